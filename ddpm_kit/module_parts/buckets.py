"""Training loss by timestep range: the per-sample loss summed over an epoch in quarters of [0, T).

Logged once per epoch as ``train/loss_simple_q0`` (least noise) ... ``train/loss_simple_q3``: each the mean
over every sample of the epoch whose t fell in that quarter (across processes in distributed training).
Accumulating costs no device synchronisation per step and no ``self.log`` call per step.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


class TimestepBuckets:
    """Sums and counts of the per-sample loss by bucket ``floor(t * buckets / T)``."""

    def __init__(self, num_timesteps: int, buckets: int = 4) -> None:
        self.num_timesteps, self.buckets = num_timesteps, buckets
        self.sums: Tensor | None = None  # [buckets] float64
        self.counts: Tensor | None = None  # [buckets] float64

    def reset(self) -> None:
        self.sums = self.counts = None

    def add(self, per_sample: Tensor, t: Tensor) -> None:
        """Add one batch: ``per_sample`` [B] losses at timesteps ``t`` [B]."""
        which = (t * self.buckets) // self.num_timesteps  # [B] in 0..buckets-1
        if self.sums is None or self.counts is None:
            self.sums = torch.zeros(self.buckets, dtype=torch.float64, device=per_sample.device)
            self.counts = torch.zeros(self.buckets, dtype=torch.float64, device=per_sample.device)
        self.sums.index_add_(0, which, per_sample.detach().double())
        self.counts.index_add_(0, which, torch.ones_like(self.sums[which]))

    def means(self, reduce_sum: Callable[[Tensor], Tensor]) -> dict[str, Tensor]:
        """``{train/loss_simple_q<i>: mean}`` for the buckets that saw samples; ``reduce_sum`` sums a tensor
        over processes (the identity in a single process)."""
        if self.sums is None or self.counts is None:
            return {}
        sums, counts = reduce_sum(self.sums.clone()), reduce_sum(self.counts.clone())
        seen = counts.tolist()  # one synchronisation per epoch
        return {f"train/loss_simple_q{q}": (sums[q] / counts[q]).float() for q in range(self.buckets) if seen[q] > 0}
