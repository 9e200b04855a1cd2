"""Rules between the data's declared condition shapes and the model's conditioning (pure Python, no data read).

With ``conditioning_key`` concat (or hybrid) the network sees the data and the condition stacked on the channel
axis, so ``in_channels`` must be the data channels (+ 2 coordinate channels) + the condition's channels and the
condition must have the samples' spatial size; a source that declares the shape of its condition key
(``DataSpec.key_shapes``, e.g. ``paired_folder``) lets validation check both before anything is built.
"""

from __future__ import annotations

from ddpm_kit.registry.sizes import as_hw
from ddpm_kit.config.errors import Issues
from ddpm_kit.config.run import RunConfig
from ddpm_kit.components.backbones.conditioning import conditioning_slots


def check_concat_condition(run: RunConfig, issues: Issues) -> None:
    """in_channels = channels (+2) + condition channels, and the condition's side = model.image_size."""
    model = run.model
    key = model.condition_keys.concat
    if key is None or not conditioning_slots(model.conditioning_key).c_concat:
        return
    shape = run.data.key_shapes().get(key)
    if shape is None or len(shape) != 3:
        return
    channels, height, width = shape
    extra = 2 if model.use_positional_encodings else 0
    expected = model.unet_config.data_channels()
    wanted = model.channels + extra + channels
    if expected is not None and expected != wanted:
        field = ("model.unet_config.in_channels" if "in_channels" in type(model.unet_config).model_fields
                 else "model.unet_config")
        issues.error(field, f"concat conditioning feeds {model.channels} data{' + 2 coordinate' if extra else ''} + "
                     f"{channels} condition channels ({key!r} from the {run.data.name} data) = {wanted}",
                     value=expected, hint=f"set in_channels: {wanted}")
    size = as_hw(model.image_size)
    if (height, width) != size:
        issues.error("model.condition_keys.concat", f"the {run.data.name} data's {key!r} conditions are "
                     f"{height}x{width}, the samples {size[0]}x{size[1]}: concat stacks them on "
                     "the channel axis, so they need the same size", value=key)
