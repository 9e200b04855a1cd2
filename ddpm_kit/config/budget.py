"""Memory budgets checked before anything is allocated: pure-Python lower bounds from the backbone spec.

A config whose network or one training step cannot fit in memory fails at validation, naming the
field, instead of ending in a MemoryError after minutes. The estimates are LOWER bounds (only the
largest terms are counted), so a config is refused only when it surely does not fit:

* parameters: UNet ResBlock 3x3(x3) convolutions, 2 per block, (2 n + 1) blocks per level with the
  level width c_l = model_channels x channel_mult[l] (n down, n + 1 up); MLP: 2 hidden x hidden per block.
  Training keeps weights, gradients, two AdamW moments and one EMA copy: 5 x 4 bytes per parameter.
* activations of one step: every ResBlock keeps at least its input for the backward pass:
  batch x c_l x (side / 2^l)^dims x 4 bytes per block.

The limit is the machine's RAM (``os.sysconf``), or ``DDPM_KIT_MEMORY_LIMIT`` (bytes, or with a
K/M/G/T suffix: ``64G``).
"""

from __future__ import annotations

import os

from ddpm_kit.config.errors import Issues
from ddpm_kit.config.run import RunConfig
from ddpm_kit.registry.sizes import as_hw, size_text

ENV_LIMIT = "DDPM_KIT_MEMORY_LIMIT"
BYTES_PER_TRAINED_PARAMETER = 5 * 4  # fp32 weights, gradients, AdamW exp_avg and exp_avg_sq, EMA copy
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def memory_limit() -> tuple[int | None, str]:
    """(bytes, where the number came from); None when neither the variable nor the RAM size is known."""
    text = os.environ.get(ENV_LIMIT, "").strip().upper().removesuffix("B")
    if text:
        unit = text[-1] if text[-1] in _UNITS else ""
        try:
            return int(float(text.removesuffix(unit)) * _UNITS[unit]), ENV_LIMIT
        except ValueError:
            raise ValueError(f"{ENV_LIMIT}={os.environ[ENV_LIMIT]!r} is not a size such as 64G") from None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), "the machine's RAM"
    except (ValueError, OSError, AttributeError):
        return None, ""


def parameters_lower_bound(net: object) -> int | None:
    """A lower bound on the trainable parameters of ``net`` (None for backbones it does not know)."""
    if net.name == "mlp":
        return 2 * net.hidden * net.hidden * net.depth
    if net.name != "unet":
        return None
    kernel = 3 ** net.dims
    total = 0
    for level, (mult, blocks) in enumerate(zip(net.channel_mult, net.res_blocks_per_level())):
        width = net.model_channels * mult
        total += (2 * blocks + 1) * 2 * kernel * width * width
    return total


def activation_bytes_lower_bound(run: RunConfig) -> int | None:
    """A lower bound on the activations one training step keeps for the backward pass."""
    net, batch = run.model.unet_config, run.data.batch_size
    if net.name == "mlp":
        return 4 * batch * net.hidden * 2 * net.depth
    if net.name != "unet":
        return None
    height, width = as_hw(run.model.image_size)
    total = 0
    for level, (mult, blocks) in enumerate(zip(net.channel_mult, net.res_blocks_per_level())):
        h, w = max(1, height >> level), max(1, width >> level)
        pixels = {1: w, 2: h * w, 3: h * w * w}[net.dims]  # a square side S gives S ** dims
        total += (2 * blocks + 1) * batch * net.model_channels * mult * pixels
    return 4 * total


def check_budget(run: RunConfig, issues: Issues) -> None:
    """Refuse a network or a step that surely does not fit in the memory limit."""
    try:
        limit, origin = memory_limit()
    except ValueError as exc:
        issues.error("(environment)", str(exc))
        return
    if limit is None:
        return
    params = parameters_lower_bound(run.model.unet_config)
    if params is not None and params * BYTES_PER_TRAINED_PARAMETER > limit:
        issues.error("model.unet_config", f"the network has at least {params:,} parameters: training them needs "
                     f"at least {_gib(params * BYTES_PER_TRAINED_PARAMETER)} (weights, gradients, AdamW moments, EMA), "
                     f"more than the {_gib(limit)} of {origin}",
                     hint=f"a smaller width or fewer blocks; {ENV_LIMIT} changes the limit")
        return
    activations = activation_bytes_lower_bound(run)
    if activations is not None and activations > limit:
        issues.error("data.batch_size", f"one training step keeps at least {_gib(activations)} of activations "
                     f"(batch {run.data.batch_size}, image_size {size_text(run.model.image_size)}), more than the "
                     f"{_gib(limit)} of {origin}", value=run.data.batch_size,
                     hint=f"a smaller batch_size or image_size; {ENV_LIMIT} changes the limit")


def _gib(size: int) -> str:
    return f"{size / 2**30:,.1f} GiB"
