"""Sampler specs and the pure-Python DDIM timestep rules against upstream make_ddim_timesteps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ddpm_kit.components.samplers.ddim import DDIMSamplerSpec
from ddpm_kit.components.samplers.ddpm import DDPMSamplerSpec
from ddpm_kit.components.samplers.dpmpp_2m import DPMSolverPP2MSamplerSpec
from ddpm_kit.components.samplers.spacings import ddim_timesteps, upstream_ddim_timesteps
from ddpm_kit.registry import SAMPLERS
from tests.diffusion.vectors import ddim_vectors


def _parse(case: str) -> tuple[str, int, int]:
    spacing, steps, timesteps = case.split("_")
    return spacing, int(steps[1:]), int(timesteps[1:])


def test_registered_with_capabilities():
    assert {"ddpm", "ddim", "dpmpp_2m"} <= set(SAMPLERS.names())
    for name in ("ddpm", "ddim", "dpmpp_2m"):
        cls = SAMPLERS.get(name)
        assert cls.parameterizations == ("eps", "x0", "v") and cls.supports_clip_denoised
        assert cls.summary() and "Source" in cls.__doc__
        assert all(info.description for field, info in cls.model_fields.items() if field != "name")


@pytest.mark.parametrize("case", sorted(ddim_vectors()["cases"]))
def test_upstream_rule_reproduced(case):
    data = ddim_vectors()["cases"][case]
    spacing, steps, timesteps = _parse(case)
    if "error" in data:
        with pytest.raises(ValueError, match="must not be zero"):
            upstream_ddim_timesteps(spacing, steps, timesteps)
        return
    assert upstream_ddim_timesteps(spacing, steps, timesteps) == data["timesteps"]


@pytest.mark.parametrize("case", sorted(ddim_vectors()["cases"]))
def test_our_rule_equals_upstream_where_upstream_is_well_defined(case):
    data = ddim_vectors()["cases"][case]
    spacing, steps, timesteps = _parse(case)
    if steps > timesteps:
        with pytest.raises(ValueError, match="steps <= T"):
            ddim_timesteps(spacing, steps, timesteps)
        assert DDIMSamplerSpec(steps=steps, spacing=spacing).check(timesteps)
        return
    ours = ddim_timesteps(spacing, steps, timesteps)
    assert len(ours) == steps
    upstream = data["timesteps"]
    well_defined = len(upstream) == steps and max(upstream) < timesteps
    if well_defined or spacing == "quad":
        assert ours == upstream
    else:  # overshoot (S=300 -> 334 steps) or IndexError (last entry T): the first S entries, shifted for S=T
        assert ours == (upstream[:steps] if steps < timesteps else list(range(timesteps)))
        assert max(ours) < timesteps


@pytest.mark.parametrize("timesteps", [2, 3, 10, 100, 1000])
def test_uniform_rule_gives_exactly_s_distinct_in_range_steps(timesteps):
    for steps in range(1, timesteps + 1):
        taus = ddim_timesteps("uniform", steps, timesteps)
        assert len(taus) == steps and len(set(taus)) == steps
        assert taus == sorted(taus) and 0 <= taus[0] and taus[-1] < timesteps
        assert DDIMSamplerSpec(steps=steps).check(timesteps) == []


def test_upstream_crash_values_now_work():
    for steps in (111, 300, 333, 999, 1000):
        assert len(ddim_timesteps("uniform", steps, 1000)) == steps
        assert DDIMSamplerSpec(steps=steps).num_steps(1000) == steps


def test_quad_duplicates_are_reported():
    assert DDIMSamplerSpec(steps=10, spacing="quad").check(1000) == []
    problems = DDIMSamplerSpec(steps=50, spacing="quad").check(1000)
    assert problems and "distinct" in problems[0]
    assert any(">= T" in p for p in DDIMSamplerSpec(steps=2, spacing="quad").check(2))


def test_specs_and_checks():
    assert DDPMSamplerSpec().num_steps(1000) == 1000 and DDPMSamplerSpec().check(1)
    assert DPMSolverPP2MSamplerSpec().steps == 20 and DPMSolverPP2MSamplerSpec(steps=50).check(10)
    assert DDIMSamplerSpec(steps=11).check(10)
    with pytest.raises(ValidationError):
        DDIMSamplerSpec(eta=1.5)
    with pytest.raises(ValidationError):
        DDIMSamplerSpec(spacing="trailling")
    with pytest.raises(ValidationError):
        DDIMSamplerSpec(steps=0)
