"""Augmentation implementations: ``impl(spec)(images [B, C, H, W], generators [B]) -> (images, cond or None)``,
and ``Augmentations``, the ``data.augment`` list as one seeded step of the training batch."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ddpm_kit.registry import AugmentSpec
from ddpm_kit.seeding import derive_seed


class Augmentations:
    """Applies ``data.augment`` in order. Augmentation k of sample ``s`` (its index in the global batch of
    optimizer step ``step``) draws from a CPU generator seeded ``derive_seed(seed, "augment", k, step, s)``:
    the draws depend on (seed, step, sample) alone, so resumed runs repeat them and DDP ranks, whose samples
    have other indices, draw disjoint streams. Conditions of the augmentations that give one are concatenated
    ([B, sum of k]); None when none does."""

    def __init__(self, specs: Sequence[AugmentSpec], seed: int) -> None:
        self.specs = list(specs)
        self.seed = seed
        self.functions = [spec.load_impl()(spec) for spec in self.specs]
        self.condition_dim = sum(spec.condition_dim() for spec in self.specs)

    def generators(self, position: int, step: int, samples: Sequence[int]) -> list[torch.Generator]:
        return [torch.Generator().manual_seed(derive_seed(self.seed, "augment", position, step, s)) for s in samples]

    def __call__(self, images: Tensor, step: int, samples: Sequence[int]) -> tuple[Tensor, Tensor | None]:
        """images [B, C, H, W] -> (augmented images, condition [B, k] or None); ``samples``: the B global indices."""
        if len(samples) != images.shape[0]:
            raise ValueError(f"{len(samples)} sample indices for a batch of {images.shape[0]}")
        conditions = []
        for position, function in enumerate(self.functions):
            images, condition = function(images, self.generators(position, step, samples))
            if condition is not None:
                conditions.append(condition.to(images.device, images.dtype))
        return images, torch.cat(conditions, dim=1) if conditions else None


def uniforms(generators: Sequence[torch.Generator], count: int = 1) -> Tensor:
    """[B, count] float64 draws U[0, 1), ``count`` from each sample's generator."""
    return torch.stack([torch.rand(count, generator=g, dtype=torch.float64) for g in generators])


def per_sample_mask(flags: Tensor, images: Tensor) -> Tensor:
    """[B] booleans -> [B, 1, 1, 1] on the images' device (for ``torch.where``)."""
    return flags.to(images.device).reshape(-1, *([1] * (images.dim() - 1)))
