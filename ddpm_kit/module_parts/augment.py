"""The training step's augmentation: which global-batch indices the samples of this rank and micro-batch have."""

from __future__ import annotations

from torch import Tensor

from ddpm_kit.components.augment.base_impl import Augmentations


def global_indices(micro: int, world_size: int, rank: int, per_device: int, count: int) -> range:
    """Indices of this rank's ``count`` samples in the global batch of an optimizer step:
    ((micro * world_size) + rank) * per_device + i. Ranks and micro-batches never share an index, and an index
    depends on where the sample sits, not on what ran before (so a resumed run reuses it)."""
    if count > per_device:
        raise ValueError(f"a micro-batch of {count} samples is larger than data.batch_size = {per_device}")
    start = (micro * world_size + rank) * per_device
    return range(start, start + count)


def augment_batch(augmentations: Augmentations, x: Tensor, step: int, micro: int, world_size: int, rank: int,
                  per_device: int) -> tuple[Tensor, Tensor | None]:
    """``augmentations`` applied to the training images x [B, C, H, W] of optimizer step ``step``, micro-batch
    ``micro`` of this ``rank``: (augmented x, condition [B, k] or None)."""
    samples = global_indices(micro, world_size, rank, per_device, x.shape[0])
    return augmentations(x, step, samples)
