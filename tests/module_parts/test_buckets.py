"""TimestepBuckets: epoch means of the per-sample loss by quarter of [0, T)."""

from __future__ import annotations

import torch

from ddpm_kit.module_parts.buckets import TimestepBuckets


def test_means_are_over_all_samples_of_the_epoch_by_quarter():
    generator = torch.Generator().manual_seed(0)
    buckets, losses, steps = TimestepBuckets(num_timesteps=100), [], []
    for size in (5, 16, 3):  # batches of different sizes: a mean of batch means would differ
        t = torch.randint(0, 75, (size,), generator=generator)  # nothing in the last quarter
        per_sample = torch.rand(size, generator=generator)
        buckets.add(per_sample, t)
        losses.append(per_sample), steps.append(t)
    loss, t = torch.cat(losses), torch.cat(steps)
    means = buckets.means(lambda x: x)
    assert sorted(means) == ["train/loss_simple_q0", "train/loss_simple_q1", "train/loss_simple_q2"]
    for q in range(3):
        expected = loss[(t >= 25 * q) & (t < 25 * (q + 1))].double().mean().float()
        assert torch.allclose(means[f"train/loss_simple_q{q}"], expected)


def test_reduce_sums_before_dividing_and_reset_forgets():
    buckets = TimestepBuckets(num_timesteps=8, buckets=2)
    buckets.add(torch.tensor([1.0, 3.0]), torch.tensor([0, 7]))
    doubled = buckets.means(lambda x: torch.cat([x[:1] * 2, x[1:]]))  # bucket 0 twice as much in both sums
    assert doubled["train/loss_simple_q0"] == 1.0 and doubled["train/loss_simple_q1"] == 3.0
    buckets.reset()
    assert buckets.means(lambda x: x) == {}
