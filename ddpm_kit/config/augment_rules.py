"""Rules of ``data.augment`` against the data and the network: image data only, and a network that takes the
condition a non-leaky augmentation hands it (``augment_labels`` [B, k]) exactly when one does."""

from __future__ import annotations

from ddpm_kit.config.errors import Issues
from ddpm_kit.config.run import RunConfig
from ddpm_kit.registry.sizes import as_hw


def check_augment(run: RunConfig, issues: Issues) -> None:
    augment, net = run.data.augment, run.model.unet_config
    if not augment:
        dim = net.augment_condition_dim()
        if dim is not None:
            issues.warning("model.unet_config.augment_dim", "is set but data.augment gives no augmentation labels: "
                           "the network's map_augment layer stays unused", value=dim)
        return
    shape = run.data.sample_shape()
    if net.data_dims() != 3 or (shape is not None and len(shape) != 3):
        issues.error("data.augment", f"augmentations work on images [C, H, W]; the {net.name} backbone takes "
                     f"{net.data_dims()}-D samples")
        return
    height, width = as_hw(run.model.image_size)
    for index, spec in enumerate(augment):
        if getattr(spec, "rotate_int", 0) > 0 and height != width:
            issues.error(f"data.augment[{index}].rotate_int", f"turns images by 90 deg, which needs square images; "
                         f"model.image_size is {height}x{width}", value=spec.rotate_int)
    wanted = sum(spec.condition_dim() for spec in augment)
    givers = [f"data.augment[{i}] ({s.name}, {s.condition_dim()})" for i, s in enumerate(augment) if s.condition_dim()]
    dim = net.augment_condition_dim()
    if wanted and dim is None:
        issues.error("model.unet_config.augment_dim", f"is not set, but {', '.join(givers)} feed(s) the network "
                     f"{wanted} augmentation labels per sample (non-leaky augmentation needs them as a condition)",
                     hint=f"set model.unet_config.augment_dim: {wanted}" if "augment_dim" in type(net).model_fields
                     else f"the {net.name} backbone takes no augmentation labels; use a unet")
    elif wanted and dim != wanted:
        issues.error("model.unet_config.augment_dim", f"is {dim}, but {', '.join(givers)} give(s) {wanted} "
                     f"augmentation labels per sample", value=dim, hint=f"set model.unet_config.augment_dim: {wanted}")
    elif not wanted and dim is not None:
        issues.warning("model.unet_config.augment_dim", "is set but no augmentation in data.augment gives labels "
                       "(only edm_augment does): the network's map_augment layer stays unused", value=dim)
