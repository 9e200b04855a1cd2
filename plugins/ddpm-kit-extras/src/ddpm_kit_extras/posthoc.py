"""Post-hoc synthesis: the EMA weights of another profile width from a trained ``extras.posthoc_power`` EMA.

    from ddpm_kit.inference import load_checkpoint
    from ddpm_kit_extras.posthoc import synthesize_into
    module = load_checkpoint("run/checkpoints/last.ckpt").module
    synthesize_into(module, target_std=0.06)      # module.model now holds the sigma_rel = 0.06 weights

Imports torch (through the EMA module); not a spec module.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ddpm_kit.components.ema.base import power_std_to_gamma
from ddpm_kit_extras.ema import posthoc_coefficients
from ddpm_kit_extras.impl.ema import PostHocPowerEma, combine


def synthesize(ema: PostHocPowerEma, target_std: float) -> dict[str, Tensor]:
    """Parameter name -> the weights of the profile of width ``target_std`` (same fit as the spec's)."""
    spec = type(ema.spec)(stds=ema.spec.stds, target_std=target_std)  # validates the width (range, weights >= 0)
    weights = posthoc_coefficients(ema.gammas, power_std_to_gamma(spec.target_std))
    return {name: combine(ema.profiles(name), weights) for name in ema.param_to_shadow}


@torch.no_grad()
def synthesize_into(module: Any, target_std: float, index: int = 0) -> None:
    """Copy the synthesised weights of EMA number ``index`` of a DDPM into ``module.model``."""
    ema = getattr(module, module.ema_modules[index])
    if not isinstance(ema, PostHocPowerEma):
        raise TypeError(f"EMA {index} of this model is {type(ema).__name__}, not extras.posthoc_power")
    weights = synthesize(ema, target_std)
    for name, param in module.model.named_parameters():
        if name in weights:
            param.copy_(weights[name])
