"""Properties of the function-like kinds: schedule, loss, weighting, lr_schedule."""

from __future__ import annotations

import math
from typing import Any

import torch

from ddpm_kit.testing.conformance.base import Context, Property, Skip, close

# ----------------------------------------------------------------------------------------- schedule
SCHEDULE_TIMESTEPS = (10, 100, 1000)


def schedule_invariants(spec: Any, ctx: Context) -> list[str]:
    """``check_schedule`` at every T of SCHEDULE_TIMESTEPS that the spec's own ``check(T)`` accepts."""
    from ddpm_kit.testing.schedules import check_schedule

    accepted = [T for T in SCHEDULE_TIMESTEPS if not spec.check(T)]
    if not accepted:
        return [f"spec.check refuses T = {SCHEDULE_TIMESTEPS}: {spec.check(SCHEDULE_TIMESTEPS[-1])}"]
    return [f"T={T}: {problem}" for T in accepted for problem in check_schedule(spec, T)]


def schedule_family(spec_cls: Any, ctx: Context) -> list[str]:
    """``check_schedule_family`` (hypothesis over the fields' constraints) with ctx.max_examples examples."""
    from hypothesis.errors import Unsatisfiable

    from ddpm_kit.testing.schedule_family import check_schedule_family

    try:
        check_schedule_family(spec_cls, max_examples=ctx.max_examples)
    except TypeError as exc:  # a field type the strategy builder does not know
        raise Skip(f"no hypothesis strategy: {exc}") from None
    except Unsatisfiable:
        return ["spec.check refuses every generated (spec, T): the field ranges admit no valid schedule"]
    except AssertionError as exc:
        return [str(exc).strip().splitlines()[0]]
    return []


SCHEDULE = (
    Property("schedule invariants", schedule_invariants),
    Property("schedule invariants (hypothesis)", schedule_family, per_class=True),
)


# ----------------------------------------------------------------------------------------- loss
LOSS_SHAPES = ((4, 3, 5, 5), (4, 2), (4, 1, 3))


def _pair(shape: tuple[int, ...], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=generator), torch.randn(shape, generator=generator)


def loss_shape(spec: Any, ctx: Context) -> list[str]:
    """One finite, non-negative float per sample for images, vectors and sequences; 0 when prediction == target."""
    loss, problems = spec.load_impl()(spec), []
    for shape in LOSS_SHAPES:
        prediction, target = _pair(shape, 0)
        value = loss(prediction, target)
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != (shape[0],):
            problems.append(f"input {shape}: expected a tensor of shape ({shape[0]},), got "
                            f"{tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__}")
            continue
        if not bool(torch.isfinite(value).all()) or bool((value < 0).any()):
            problems.append(f"input {shape}: losses not finite and >= 0: {value.tolist()}")
        same = loss(target, target)
        if not bool((same.abs() <= 1e-7).all()):
            problems.append(f"input {shape}: loss(x, x) = {same.tolist()}, expected 0")
    return problems


def loss_gradient(spec: Any, ctx: Context) -> list[str]:
    """Finite gradients w.r.t. the prediction at random, equal and far-apart (1e3) inputs."""
    loss, problems = spec.load_impl()(spec), []
    base, target = _pair((4, 3, 5, 5), 1)
    for label, prediction in (("random", base), ("equal", target.clone()), ("far", target + 1e3)):
        prediction = prediction.clone().requires_grad_(True)
        loss(prediction, target).sum().backward()
        if prediction.grad is None or not bool(torch.isfinite(prediction.grad).all()):
            problems.append(f"{label} inputs: gradient missing or not finite")
    return problems


def loss_independence(spec: Any, ctx: Context) -> list[str]:
    """Sample b's loss depends on sample b only; a shape mismatch raises instead of broadcasting."""
    loss = spec.load_impl()(spec)
    prediction, target = _pair((4, 2, 3), 2)
    changed = prediction.clone()
    changed[0] += 5.0
    before, after = loss(prediction, target), loss(changed, target)
    problems = []
    if not torch.equal(before[1:], after[1:]):
        problems.append("changing sample 0 changed the loss of other samples")
    if not torch.equal(before, loss(prediction, target)):
        problems.append("two calls with the same inputs differ")
    try:
        loss(torch.zeros(4, 3), torch.zeros(4, 1))
        problems.append("prediction [4, 3] vs target [4, 1] did not raise (silent broadcasting)")
    except (ValueError, RuntimeError):
        pass
    return problems


LOSS = (
    Property("per-sample shape, >= 0, 0 at equality", loss_shape),
    Property("finite gradient", loss_gradient),
    Property("per-sample independence, determinism, shape errors", loss_independence),
)


# ----------------------------------------------------------------------------------------- weighting
SNRS = (0.0, 1e-12, 1e-3, 0.5, 1.0, 5.0, 1e3, 1e12, math.inf)


def weighting_limits(spec: Any, ctx: Context) -> list[str]:
    """For every declared parameterization: ``weight_reference`` is a finite float >= 0 at SNR 0, ..., inf."""
    problems = []
    for parameterization in spec.parameterizations:
        values = [spec.weight_reference(snr, parameterization) for snr in SNRS]
        bad = [s for s, w in zip(SNRS, values) if not (isinstance(w, (int, float)) and math.isfinite(w) and w >= 0)]
        if bad:
            problems.append(f"{parameterization}: weight not a finite float >= 0 at snr={bad}")
    return problems


def weighting_table(spec: Any, ctx: Context) -> list[str]:
    """The [T] table a model builds (``weight_table``) on a CompVis schedule and a zero-terminal-SNR one."""
    from ddpm_kit.components.schedules.base_impl import make_betas
    from ddpm_kit.components.weightings.base_impl import weight_table
    from ddpm_kit.diffusion.buffers import schedule_buffers
    from ddpm_kit.components.schedules.linear import LinearSchedule

    problems = []
    for zero_terminal_snr in (False, True):
        alphas_cumprod = schedule_buffers(make_betas(LinearSchedule(zero_terminal_snr=zero_terminal_snr), 1000))[
            "alphas_cumprod"]
        for parameterization in spec.parameterizations:
            table = weight_table(spec, alphas_cumprod, parameterization)
            if table.shape != (1000,):
                problems.append(f"{parameterization}: table of shape {tuple(table.shape)}, expected (1000,)")
    return problems


WEIGHTING = (
    Property("finite at SNR 0 and inf", weighting_limits),
    Property("builds a model's weight table", weighting_table),
)


# ----------------------------------------------------------------------------------------- lr_schedule
LR_STEPS = (0, 1, 2, 5, 10, 50, 99, 100, 101, 1000, 10_000, 1_000_000)


def lr_values(spec: Any, ctx: Context) -> list[str]:
    """m(step) finite and >= 0 at steps 0 .. 1e6, equal to ``multiplier_reference``."""
    multiplier, problems = spec.load_impl()(spec), []
    for step in LR_STEPS:
        value = multiplier(step)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            problems.append(f"step {step}: multiplier {value!r} is not a finite number >= 0")
        elif not close(float(value), spec.multiplier_reference(step), 1e-12):
            problems.append(f"step {step}: {value!r} != multiplier_reference {spec.multiplier_reference(step)!r}")
    return problems


def lr_lambda_lr(spec: Any, ctx: Context) -> list[str]:
    """Drives ``torch.optim.lr_scheduler.LambdaLR`` for a few steps with finite learning rates."""
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, spec.load_impl()(spec))
    rates = []
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return [] if all(math.isfinite(r) and r >= 0 for r in rates) else [f"learning rates {rates}"]


LR_SCHEDULE = (
    Property("finite, >= 0, equal to multiplier_reference", lr_values),
    Property("works with LambdaLR", lr_lambda_lr),
)
