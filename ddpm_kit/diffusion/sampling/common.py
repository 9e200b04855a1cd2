"""Shared pieces of the samplers: noise drawing, devices, timestep batches and the intermediates rule."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.seeding import derive_seed

class PerSampleNoise:
    """Noise with one seeded stream per sample: sample i's draws depend on (seed, i) alone, so the first k
    samples of a run of n are the samples of a run of k. Pass it where a sampler takes ``generator``."""

    def __init__(self, seed: int, count: int) -> None:
        self.generators = [torch.Generator().manual_seed(_mix(seed, index)) for index in range(count)]

    def randn(self, shape: Sequence[int], dtype: torch.dtype) -> Tensor:
        if shape[0] != len(self.generators):
            raise ValueError(f"PerSampleNoise holds {len(self.generators)} streams, asked for a batch of {shape[0]}")
        return torch.stack([torch.randn(tuple(shape[1:]), generator=g, dtype=dtype) for g in self.generators])


def _mix(seed: int, index: int) -> int:
    return derive_seed(seed, index)


def draw_noise(
    shape: Sequence[int], generator: torch.Generator | PerSampleNoise | None, device: torch.device,
    dtype: torch.dtype,
) -> Tensor:
    """Standard normal noise [*shape]. With a generator it is drawn on the generator's device and moved,
    so a CPU generator gives the same numbers whatever device the buffers live on."""
    if isinstance(generator, PerSampleNoise):
        return generator.randn(shape, dtype).to(device)
    if generator is None:
        return torch.randn(tuple(shape), device=device, dtype=dtype)
    return torch.randn(tuple(shape), generator=generator, device=generator.device, dtype=dtype).to(device)


def buffer_device(buffers: Buffers) -> tuple[torch.device, torch.dtype]:
    """Device and float dtype of the schedule buffers (the sampling device and dtype)."""
    betas = buffers["betas"]
    return betas.device, betas.dtype


def initial_noise(
    shape: Sequence[int], x_T: Tensor | None, generator: torch.Generator | None, buffers: Buffers
) -> Tensor:
    """x_T: the given tensor (shape checked) or fresh noise."""
    device, dtype = buffer_device(buffers)
    if x_T is None:
        return draw_noise(shape, generator, device, dtype)
    if tuple(x_T.shape) != tuple(shape):
        raise ValueError(f"x_T has shape {tuple(x_T.shape)}, expected {tuple(shape)}")
    return x_T.to(device=device, dtype=dtype)


def timestep_batch(t: int, batch: int, device: torch.device) -> Tensor:
    """A LongTensor [B] filled with t."""
    return torch.full((batch,), t, device=device, dtype=torch.long)


def keep_intermediate(index: int, first_index: int, log_every_t: int | None) -> bool:
    """Upstream's rule: keep when index % log_every_t == 0 or at the first (noisiest) step; never when None."""
    if log_every_t is None:
        return False
    if log_every_t < 1:
        raise ValueError(f"log_every_t must be >= 1, got {log_every_t}")
    return index % log_every_t == 0 or index == first_index


def check_parameterization(parameterization: str, supported: Sequence[str]) -> None:
    if parameterization not in supported:
        raise ValueError(f"unknown parameterization {parameterization!r} (known: {', '.join(supported)})")


def check_eps_defined(parameterization: str, buffers: Buffers, first_t: int) -> None:
    """eps-prediction cannot give x0 where alpha_bar = 0 (zero terminal SNR): x0 = (x - eps) / 0."""
    if parameterization == "eps" and float(buffers["alphas_cumprod"][first_t]) == 0.0:
        raise ValueError(
            f"alpha_bar[{first_t}] = 0 (zero terminal SNR): an eps-prediction model cannot be sampled from there "
            "(x0 = (x - sqrt(1 - alpha_bar) eps) / 0); train with parameterization 'v' or 'x0'"
        )
