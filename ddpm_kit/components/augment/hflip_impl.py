"""``hflip``: mirror each sample left-right with probability p."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from ddpm_kit.components.augment.base_impl import per_sample_mask, uniforms
from ddpm_kit.components.augment.hflip import HFlipSpec

Augment = Callable[[Tensor, Sequence[torch.Generator]], tuple[Tensor, None]]


def hflip(spec: HFlipSpec) -> Augment:
    """Sample i is flipped, x[..., w] <- x[..., W - 1 - w], when its draw u_i ~ U[0, 1) is below p."""
    p = spec.p

    def augment(images: Tensor, generators: Sequence[torch.Generator]) -> tuple[Tensor, None]:
        flipped = uniforms(generators)[:, 0] < p  # [B]
        return torch.where(per_sample_mask(flipped, images), images.flip(-1), images), None

    return augment
