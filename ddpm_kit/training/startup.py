"""Start-up checks of a training run, before anything is written: what the ``trainer`` section asks of this machine
and of Lightning, and whether the data, once read, fits the model (validation is torch-free and reads no data)."""

from __future__ import annotations

from typing import Any

from ddpm_kit.config.run import RunConfig, TrainerConfig
from ddpm_kit.registry.sizes import as_hw


class DeviceError(ValueError):
    """The machine lacks what ``trainer`` asks for; the message names the field."""


def check_devices(trainer: TrainerConfig) -> None:
    """DeviceError for ``accelerator: gpu|cuda`` without a usable CUDA device, ``mps`` without MPS, or more
    ``devices`` than the machine has."""
    import torch

    accelerator = trainer.accelerator
    if accelerator in ("gpu", "cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise DeviceError(f"trainer.accelerator: {accelerator!r}, but this machine has no usable CUDA GPU "
                              f"(torch {torch.__version__}, torch.cuda.is_available() is False); use cpu or auto")
        wanted = len(trainer.devices) if isinstance(trainer.devices, list) else trainer.devices
        if isinstance(wanted, int) and wanted > count:
            raise DeviceError(f"trainer.devices: {trainer.devices!r} asks for {wanted} GPUs; this machine has {count}")
    if accelerator == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("trainer.accelerator: 'mps', but Apple's MPS backend is not available here; use cpu or auto")


def check_trainer_settings(kwargs: dict[str, Any]) -> None:
    """DeviceError when Lightning refuses the trainer arguments (what validation cannot know without Lightning):
    a Trainer is built with them, without logger or checkpoints, before anything is written."""
    import pytorch_lightning as pl
    from pytorch_lightning.utilities.exceptions import MisconfigurationException

    from ddpm_kit.training.progress import quiet_lightning

    quiet_lightning()  # the probe would print Lightning's banners and tips
    probe = {k: v for k, v in kwargs.items() if k != "enable_progress_bar"}
    try:
        pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                   **probe)
    except (MisconfigurationException, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DeviceError(f"the trainer section was refused by Lightning: {first}") from None


def check_labels_fit(run: RunConfig, splits: Any) -> None:
    """DataSourceError when in-memory labels reach past the network's ``num_classes`` (known only once an npz is
    read; validation checks the sources that declare their classes)."""
    from ddpm_kit.components.data.base_impl import DataSourceError

    classes = getattr(run.model.unet_config, "num_classes", None)
    key = getattr(run.data, "label_key", None)
    if not isinstance(classes, int) or isinstance(classes, bool) or key is None:
        return
    for name, dataset in (("train", splits.train), ("val", splits.val)):
        labels = getattr(dataset, "tensors", {}).get(key)
        if labels is not None and len(labels) and int(labels.max()) >= classes:
            raise DataSourceError(f"{run.data.name} data: the {name} labels {key!r} reach {int(labels.max())}, outside "
                                  f"model.unet_config.num_classes = {classes} (labels 0..{classes - 1})")


def check_items_fit(run: RunConfig, splits: Any) -> None:
    """DataSourceError when the data's items do not have the shape the model takes (known only once a file is
    read): [channels] vectors for a vector backbone, [channels, H, W] images otherwise."""
    from ddpm_kit.components.data.base_impl import DataSourceError

    if len(splits.train) == 0:  # type: ignore[arg-type]
        return
    item = splits.train[0].get(run.model.first_stage_key)
    model = run.model
    expected = model.item_shape()
    shape = tuple(item.shape) if item is not None and splits.layout in ("channels_first", "vector") else None
    if shape is not None and shape != expected:
        fields = "model.channels" if len(expected) == 1 else "model.channels / model.image_size"
        raise DataSourceError(f"{run.data.name} data: its {model.first_stage_key!r} items have shape "
                              f"{list(shape)}, the model takes {list(expected)} ({fields}); change the model or "
                              "the data")


def check_extractor_loads(run: RunConfig) -> None:
    """The ``eval`` section's feature extractor loads (its weights file read and checked), so that a wrong file
    stops the run here rather than at the first evaluation step; raises ``ExtractorError`` naming the file."""
    if run.eval is None:
        return
    spec = run.eval.extractor
    spec.load_impl()(spec)


def check_conditions_fit(run: RunConfig, splits: Any) -> None:
    """DataSourceError when a concat condition, once read, does not stack with the samples: it must be [C_c, H, W]
    with the samples' H, W and in_channels = channels (+ 2 coordinates) + C_c (validation checks the sources
    that declare the shape, ``key_shapes``; an npz's ``extra_keys`` are known only here)."""
    from ddpm_kit.components.data.base_impl import DataSourceError
    from ddpm_kit.components.backbones.conditioning import conditioning_slots

    model = run.model
    key = model.condition_keys.concat
    if key is None or not conditioning_slots(model.conditioning_key).c_concat or len(splits.train) == 0:
        return
    item = splits.train[0].get(key)
    if item is None:
        raise DataSourceError(f"{run.data.name} data: its items have no key {key!r} (model.condition_keys.concat); "
                              f"they hold {sorted(splits.train[0])}")
    shape = tuple(item.shape)
    in_channels = model.unet_config.data_channels()
    extra = 2 if model.use_positional_encodings else 0
    height, width = as_hw(model.image_size)
    if len(shape) != 3 or shape[1:] != (height, width):
        raise DataSourceError(f"{run.data.name} data: its {key!r} conditions have shape {list(shape)}; concat "
                              f"conditioning stacks them on the channel axis of the {height}x{width} samples, so "
                              f"they must be [C, {height}, {width}]")
    if in_channels is not None and in_channels != model.channels + extra + shape[0]:
        raise DataSourceError(f"{run.data.name} data: its {key!r} conditions have {shape[0]} channels, so concat "
                              f"conditioning feeds {model.channels + extra + shape[0]} channels, but "
                              f"model.unet_config.in_channels is {in_channels}")
