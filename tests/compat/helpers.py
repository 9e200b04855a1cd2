"""Tiny DDPMs built the way upstream code builds them, and upstream's schedule in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

UNET_TARGET = "ldm.modules.diffusionmodules.openaimodel.UNetModel"
UNET_PARAMS: dict[str, Any] = dict(image_size=8, in_channels=3, out_channels=3, model_channels=32,
                                   attention_resolutions=[2], num_res_blocks=1, channel_mult=[1, 2],
                                   num_head_channels=16, use_scale_shift_norm=True)
SHAPE = (3, 8, 8)  # upstream's (C, H, W)


def upstream_ddpm(seed: int = 0, **kwargs: Any):
    """``DDPM(unet_config={target, params}, ...)`` as upstream code passes it, in eval mode, weights from ``seed``."""
    from ddpm_kit import DDPM

    torch.manual_seed(seed)
    options = dict(timesteps=10, image_size=8, channels=3, use_ema=False)
    options.update(kwargs)
    return DDPM(unet_config={"target": UNET_TARGET, "params": dict(UNET_PARAMS)}, **options).eval()


def randomize(module: torch.nn.Module, seed: int) -> None:
    """Non-trivial weights (zero-initialised output layers would make every output 0)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(0.2 * torch.randn(param.shape, generator=generator))


def upstream_schedule_f64(betas: np.ndarray) -> dict[str, np.ndarray]:
    """Upstream ``register_schedule`` in float64 (Ho et al. 2020 eq. 6-7; compvis-ddpm-spec.md §3)."""
    alphas_cumprod = np.cumprod(1.0 - betas)
    prev = np.append(1.0, alphas_cumprod[:-1])
    variance = betas * (1.0 - prev) / (1.0 - alphas_cumprod)
    return {
        "alphas_cumprod": alphas_cumprod,
        "sqrt_ac": np.sqrt(alphas_cumprod), "sqrt_1m_ac": np.sqrt(1.0 - alphas_cumprod),
        "variance": variance, "log_variance": np.log(np.maximum(variance, 1e-20)),
        "coef1": betas * np.sqrt(prev) / (1.0 - alphas_cumprod),
        "coef2": (1.0 - prev) * np.sqrt(1.0 - betas) / (1.0 - alphas_cumprod),
    }


def per_sample(values: np.ndarray, t: torch.Tensor) -> torch.Tensor:
    """values[t] as float64 [B, 1, 1, 1]."""
    return torch.from_numpy(values[t.numpy()]).reshape(-1, 1, 1, 1)
