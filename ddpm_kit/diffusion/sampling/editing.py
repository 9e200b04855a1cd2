"""Image editing on any sampler: SDEdit (start from a noised input) and inpainting (keep a known region).

SDEdit (Meng et al. 2022): with strength s in [0, 1] and a plan of S steps, the first S - round(s S) steps are
skipped and the loop starts at the level of the first kept step, from the input noised to that level,
x = alpha x_init + sigma z (z: the loop's x_T draw). s = 0 keeps no step and returns the input; s = 1 keeps
every step and starts from z itself, which is unconditional sampling with the same seed.

Inpainting (RePaint, Lugmayr et al. 2022, without resampling by default): after every step, the known region
(mask = 1) of the sampler's x is replaced by the input noised to the level x has reached, x <- m (alpha' x_init
+ sigma' z') + (1 - m) x, and after the last step by the input itself, so masked-in pixels equal the input
exactly at the end. ``resample = U`` repeats each step U times, sending x back to the step's level in between
with the forward transition q(x_a | x_b) = N((alpha_a / alpha_b) x_b, (sigma_a^2 - (alpha_a / alpha_b)^2
sigma_b^2) I) (RePaint's jumps of length 1).

A level is (alpha, sigma) of x_t = alpha x0 + sigma eps: the step's ``Frame`` when it has one, else the schedule
buffers at its integer t; "clean" (1, 0) after the last step.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers


class EditUnsupported(ValueError):
    """The sampler does not run on the shared loop (``Sampler``), so it cannot edit images."""


@dataclass(frozen=True)
class Edit:
    """What to edit: ``init`` [B, C, H, W] in [-1, 1]; ``strength`` in [0, 1]; ``mask`` broadcastable to init
    (1 = keep the input, 0 = generate) or None; ``resample`` >= 1 repetitions of each step (with a mask)."""

    init: Tensor
    strength: float = 1.0
    mask: Tensor | None = None
    resample: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"strength must lie in [0, 1], got {self.strength}")
        if self.resample < 1:
            raise ValueError(f"resample must be >= 1, got {self.resample}")
        if self.resample > 1 and self.mask is None:
            raise ValueError("resample repeats the steps of inpainting: it needs a mask")
        if self.mask is not None:
            try:
                torch.broadcast_shapes(self.mask.shape, self.init.shape)
            except RuntimeError:
                raise ValueError(f"mask of shape {list(self.mask.shape)} does not match the images "
                                 f"{list(self.init.shape)}") from None


def first_kept_step(strength: float, count: int) -> int:
    """Index of the first step SDEdit runs: S - round(s S) (S when s = 0: nothing runs)."""
    return count - round(strength * count)


def level(step: Any, buffers: Buffers) -> tuple[float, float]:
    """(alpha, sigma) of the x a step starts from: its frame, or sqrt(alpha_bar_t), sqrt(1 - alpha_bar_t)."""
    if step.frame is not None:
        return float(step.frame.alpha), float(step.frame.sigma)
    alpha_bar = float(buffers["alphas_cumprod"][step.t])
    return math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar)


def level_after(steps: list[Any], index: int, buffers: Buffers) -> tuple[float, float]:
    """The level x has reached after step ``index``: the next step's, or clean (1, 0) after the last."""
    return level(steps[index + 1], buffers) if index + 1 < len(steps) else (1.0, 0.0)


def noised(init: Tensor, at: tuple[float, float], z: Tensor) -> Tensor:
    """alpha x_init + sigma z."""
    alpha, sigma = at
    return alpha * init + sigma * z if sigma else init * alpha


def renoise(x: Tensor, to: tuple[float, float], frm: tuple[float, float], z: Tensor) -> Tensor:
    """A draw of q(x_to | x_from) for VP levels: (a_to / a_from) x + sqrt(s_to^2 - (a_to / a_from)^2 s_from^2) z."""
    ratio = to[0] / frm[0]
    return ratio * x + math.sqrt(max(to[1] ** 2 - (ratio * frm[1]) ** 2, 0.0)) * z


def snapshot(state: dict[str, Any]) -> dict[str, Any]:
    """A copy of a sampler's multistep state whose lists a repeated step cannot grow."""
    return {key: copy.copy(value) for key, value in state.items()}
