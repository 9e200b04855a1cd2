"""Properties of samplers (against exact denoisers of tiny data distributions) and of data sources."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from ddpm_kit.testing.conformance.base import Context, Property

# ----------------------------------------------------------------------------------------- sampler
SAMPLER_TIMESTEPS = (1000, 100)
GAUSSIAN_STD = 0.5


def oracle_buffers(timesteps: int) -> dict[str, torch.Tensor]:
    """float32 buffers of betas linear from 1e-6 to 0.02 * 1000 / T (alpha_bar_T ~ 5e-5 at every T).

    beta_0 is tiny because samplers may stop at the first noise level (DDIM keeps sqrt(1 - alpha_bar_0)
    of noise, as upstream does); ``first_level_noise`` bounds that.
    """
    from ddpm_kit.components.schedules.base_impl import make_betas
    from ddpm_kit.components.schedules.sqrt_linear import SqrtLinearSchedule
    from ddpm_kit.diffusion.buffers import schedule_buffers

    return schedule_buffers(make_betas(SqrtLinearSchedule(linear_start=1e-6, linear_end=20.0 / timesteps), timesteps))


def first_level_noise(buffers: dict[str, torch.Tensor]) -> float:
    """Tolerance for a sample that ends at noise level t = 0 rather than at clean data: 4 sqrt(1 - alpha_bar_0)."""
    return 4.0 * float(buffers["sqrt_one_minus_alphas_cumprod"][0])


def as_output(x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, buffers: dict[str, torch.Tensor],
              parameterization: str) -> torch.Tensor:
    """The network output that corresponds to the prediction x0 at x_t: eps, x0 itself, or v."""
    shape = (-1,) + (1,) * (x_t.dim() - 1)
    root_ab = buffers["sqrt_alphas_cumprod"][t].reshape(shape)  # [B, 1, ...]
    root_one_minus = buffers["sqrt_one_minus_alphas_cumprod"][t].reshape(shape)
    eps = (x_t - root_ab * x0) / root_one_minus
    if parameterization == "eps":
        return eps
    if parameterization == "x0":
        return x0
    return root_ab * eps - root_one_minus * x0  # v = sqrt(ab) eps - sqrt(1 - ab) x0


def point_mass_denoiser(point: torch.Tensor, buffers: dict[str, torch.Tensor], parameterization: str,
                        calls: list[int]) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The exact denoiser of data that is always ``point``: E[x0 | x_t] = point."""
    def denoiser(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return as_output(point.expand_as(x), x, t, buffers, parameterization)
    return denoiser


def gaussian_denoiser(buffers: dict[str, torch.Tensor], parameterization: str) -> Callable[..., torch.Tensor]:
    """The exact denoiser of x0 ~ N(0, s^2): E[x0 | x_t] = sqrt(ab) s^2 x_t / (ab s^2 + 1 - ab)."""
    def denoiser(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ab = buffers["alphas_cumprod"][t].reshape((-1,) + (1,) * (x.dim() - 1))
        x0 = ab.sqrt() * GAUSSIAN_STD**2 * x / (ab * GAUSSIAN_STD**2 + 1 - ab)
        return as_output(x0, x, t, buffers, parameterization)
    return denoiser


def _timesteps(spec: Any) -> int:
    for timesteps in SAMPLER_TIMESTEPS:
        if not spec.check(timesteps):
            return timesteps
    raise ValueError(f"spec.check refuses T = {SAMPLER_TIMESTEPS}: {spec.check(SAMPLER_TIMESTEPS[-1])}")


def _sample(spec: Any, denoiser: Any, buffers: dict[str, torch.Tensor], shape: tuple[int, ...],
            parameterization: str, seed: int) -> torch.Tensor:
    sampler = spec.load_impl()(spec)
    samples, _ = sampler.sample(denoiser, buffers, shape, parameterization=parameterization, clip_denoised=False,
                                generator=torch.Generator().manual_seed(seed))
    return samples


def sampler_point_mass(spec: Any, ctx: Context) -> list[str]:
    """With the exact denoiser of a point mass, every parameterization lands on the point (to 1e-3 plus the
    noise of the first level, see ``first_level_noise``), calling
    the network ``num_steps(T)`` times, and a seed gives the same samples twice."""
    timesteps = _timesteps(spec)
    buffers = oracle_buffers(timesteps)
    point = torch.tensor([[0.5, -0.25, 0.0]])  # [1, 3]
    problems = []
    for parameterization in spec.parameterizations:
        calls: list[int] = []
        samples = _sample(spec, point_mass_denoiser(point, buffers, parameterization, calls), buffers, (4, 3),
                          parameterization, seed=0)
        if tuple(samples.shape) != (4, 3):
            problems.append(f"{parameterization}: samples of shape {tuple(samples.shape)}, expected (4, 3)")
            continue
        error = float((samples - point).abs().max())
        if not error <= 1e-3 + first_level_noise(buffers):
            problems.append(f"{parameterization}: samples miss the point mass by {error:.3g} (T={timesteps})")
        if len(calls) != spec.num_steps(timesteps):
            problems.append(f"{parameterization}: {len(calls)} network calls, num_steps(T={timesteps}) says "
                            f"{spec.num_steps(timesteps)}")
        again = _sample(spec, point_mass_denoiser(point, buffers, parameterization, []), buffers, (4, 3),
                        parameterization, seed=0)
        if not torch.equal(samples, again):
            problems.append(f"{parameterization}: the same generator seed gave different samples")
    return problems


def sampler_gaussian(spec: Any, ctx: Context) -> list[str]:
    """With the exact denoiser of N(0, 0.5^2), 2000 samples have mean within 0.05 and std within 10% of 0.5."""
    timesteps = _timesteps(spec)
    buffers = oracle_buffers(timesteps)
    problems = []
    for parameterization in spec.parameterizations:
        samples = _sample(spec, gaussian_denoiser(buffers, parameterization), buffers, (2000, 1), parameterization, 1)
        mean, std = float(samples.mean()), float(samples.std())
        if not (abs(mean) <= 0.05 and abs(std - GAUSSIAN_STD) <= 0.1 * GAUSSIAN_STD and math.isfinite(std)):
            problems.append(f"{parameterization}: mean {mean:.3g}, std {std:.3g} (expected 0 and {GAUSSIAN_STD})")
    return problems


def sampler_contract(spec: Any, ctx: Context) -> list[str]:
    """The implementation is a ``Sampler`` (the shared loop); a sampler that declares ``stochastic = False``
    gives the same samples from the same x_T whatever the generator."""
    from ddpm_kit.diffusion.sampling.loop import Sampler

    sampler = spec.load_impl()(spec)
    if not isinstance(sampler, Sampler):
        return [f"impl(spec) is a {type(sampler).__name__}, not a ddpm_kit.diffusion.sampling.loop.Sampler "
                "(subclass it and implement plan and update)"]
    if spec.stochastic:
        return []
    timesteps = _timesteps(spec)
    buffers = oracle_buffers(timesteps)
    x_T = torch.randn(8, 2, generator=torch.Generator().manual_seed(3))
    runs = [sampler.sample(gaussian_denoiser(buffers, spec.parameterizations[0]), buffers, (8, 2),
                           parameterization=spec.parameterizations[0], clip_denoised=False,
                           generator=torch.Generator().manual_seed(seed), x_T=x_T)[0] for seed in (0, 1)]
    if not torch.equal(*runs):
        return ["declares stochastic = False, but two generators give different samples from the same x_T"]
    return []


SAMPLER = (
    Property("is a Sampler; deterministic unless stochastic", sampler_contract),
    Property("recovers a point mass", sampler_point_mass),
    Property("matches a Gaussian", sampler_gaussian),
)


# ----------------------------------------------------------------------------------------- data
def data_items(spec: Any, ctx: Context) -> list[str]:
    """Train items hold the declared keys; the first has the declared shape, is finite float32 (or uint8 pixels of
    an image), and matches the declared layout; building twice gives the same first item."""
    from ddpm_kit.components.data.base import CHANNELS_FIRST

    splits = spec.load_impl()(spec)
    if len(splits.train) == 0:
        return ["the train split is empty"]
    item = splits.train[0]
    keys = tuple(spec.keys())
    missing = [k for k in keys if k not in item]
    if missing:
        return [f"items lack the declared keys {missing} (they hold {sorted(item)})"]
    sample = item[keys[0]]
    problems = []
    declared = spec.sample_shape()
    if declared is not None and tuple(sample.shape) != tuple(declared):
        problems.append(f"{keys[0]!r} has shape {tuple(sample.shape)}, sample_shape() says {tuple(declared)}")
    if sample.dtype == torch.uint8:
        if splits.layout != CHANNELS_FIRST:
            problems.append(f"{keys[0]!r} is uint8, which means 8-bit pixels: only images (layout channels_first) "
                            "may be uint8")
    elif sample.dtype != torch.float32 or not bool(torch.isfinite(sample).all()):
        problems.append(f"{keys[0]!r} must be finite float32 (or uint8 pixels), got {sample.dtype}")
    expected_dims = 3 if splits.layout == CHANNELS_FIRST else 1
    if sample.dim() != expected_dims:
        problems.append(f"layout {splits.layout!r} but {keys[0]!r} has {sample.dim()} axes")
    again = spec.load_impl()(spec).train[0]
    if any(not torch.equal(item[k], again[k]) for k in keys):
        problems.append("building the source twice gives a different first item")
    return problems


DATA = (Property("declared keys, shape and layout", data_items),)
