"""Torch implementations of the broken components in ``broken_specs`` (each wrong in one way)."""

from __future__ import annotations

import torch
from torch import nn

from ddpm_kit.components.data.base import VECTOR
from ddpm_kit.components.data.base_impl import split_tensors
from ddpm_kit.components.ema.constant import ConstantEmaSpec
from ddpm_kit.components.ema.constant_impl import ConstantEma
from ddpm_kit.diffusion.sampling.loop import Sampler


def batch_mean_loss(spec):
    def loss(prediction, target):
        if prediction.shape != target.shape:
            raise ValueError("shape mismatch")
        return (prediction - target).square().mean()  # [] instead of [B]
    return loss


class NoisyBackbone(nn.Module):
    def __init__(self, spec) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, x, timesteps, context=None, y=None):
        return self.linear(x) + 0.01 * torch.randn_like(x)


class OvershootingEma(ConstantEma):
    def __init__(self, spec, model, *, batch_size=None) -> None:
        super().__init__(ConstantEmaSpec(decay=0.5), model)

    def decay_at(self, step: int) -> float:
        return 1.5


class ForgetfulEma(ConstantEma):
    def __init__(self, spec, model, *, batch_size=None) -> None:
        super().__init__(ConstantEmaSpec(decay=0.5), model)
        self.count = 0  # not a buffer: lost by state_dict

    def decay_at(self, step: int) -> float:
        self.count += 1
        return min(0.9, self.count / (self.count + 1))


class IdleSampler(Sampler):
    def plan(self, buffers, parameterization):
        return []  # no steps: the samples are x_T

    def update(self, x, prediction, step, noise, denoiser, state):
        return x


def wrong_shape_data(spec):
    return split_tensors({"image": torch.zeros(10, 2)}, 0.0, 0, VECTOR)
