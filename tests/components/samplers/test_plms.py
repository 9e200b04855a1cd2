"""``plms`` against upstream CompVis ``PLMSSampler`` (tests/data/vectors/plms_vectors.json), and its validation."""

from __future__ import annotations

import json
from functools import lru_cache

import pytest
import torch

from ddpm_kit.components.backbones.unet import UNetSpec
from ddpm_kit.components.backbones.unet_impl import build_unet
from ddpm_kit.components.samplers.plms import PLMSSamplerSpec
from ddpm_kit.components.samplers.spacings import upstream_ddim_timesteps
from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.components.schedules.cosine import CosineSchedule
from ddpm_kit.components.schedules.linear import LinearSchedule
from ddpm_kit.diffusion import schedule_buffers
from tests.components.backbones.helpers import PARITY, STATE_KEYS, recipe_state_dict
from tests.diffusion.vectors import VECTORS

pytestmark = pytest.mark.filterwarnings("ignore::ddpm_kit.registry.SpecWarning")

PLMS = json.loads((VECTORS / "plms_vectors.json").read_text())


@lru_cache(maxsize=None)
def _unet() -> torch.nn.Module:
    meta = json.loads((PARITY / "tiny_default" / "meta.json").read_text())
    model = build_unet(UNetSpec(**meta["config"])).eval()
    model.load_state_dict(recipe_state_dict(model, meta["seed"], list(STATE_KEYS["tiny_default"]["state_dict"])))
    return model


def _schedule(config: dict):
    if config["beta_schedule"] == "linear":
        return LinearSchedule(linear_start=config["linear_start"], linear_end=config["linear_end"])
    return CosineSchedule(cosine_s=config["cosine_s"])


@pytest.mark.parametrize("case", sorted(PLMS["cases"]))
def test_plms_matches_upstream(case):
    ref = PLMS["cases"][case]
    T = ref["schedule"]["timesteps"]
    spec = PLMSSamplerSpec(steps=ref["S"])
    assert spec.timesteps(T) == ref["ddim_timesteps"]
    assert spec.num_steps(T) == ref["n_unet_calls"]
    buffers = schedule_buffers(make_betas(_schedule(ref["schedule"]), T))
    calls: list[int] = []

    def denoiser(x, t):
        calls.append(int(t[0]))
        return _unet()(x, t)

    x_T = torch.tensor(PLMS["x_T"], dtype=torch.float32)
    samples, inter = spec.load_impl()(spec).sample(
        denoiser, buffers, x_T.shape, parameterization="eps", clip_denoised=False, generator=None,
        log_every_t=1, x_T=x_T)
    assert calls == ref["unet_call_t"]
    assert len(inter) == ref["n_steps"] + 1
    expected = torch.tensor(ref["samples"], dtype=torch.float32)
    scale = expected.abs().max().item()  # random weights: samples reach |x| ~ 100 (see the vectors' notes)
    error = (samples - expected).abs().max().item()
    print(f"{case}: max abs error {error:.3g}, max abs reference {scale:.3g}")
    assert error <= 1e-5 * max(scale, 1.0)


def _failing(errors: dict) -> set[int]:
    out = set()
    for ranges in errors.values():
        for r in ranges:
            out.update(range(r[0], r[1] + 1) if isinstance(r, list) else [r])
    return out


@pytest.mark.parametrize("schedule", sorted(PLMS["S_table"]))
def test_check_refuses_exactly_where_upstream_fails(schedule):
    table = PLMS["S_table"][schedule]
    T, failing = table["T"], _failing(table["errors"])
    refused = {S for S in range(1, T + 2) if PLMSSamplerSpec(steps=S).check(T)}
    assert refused == failing


def test_timesteps_and_evaluations_follow_upstream_uniform():
    spec = PLMSSamplerSpec(steps=15)
    assert spec.timesteps(1000) == upstream_ddim_timesteps("uniform", 15, 1000)
    assert spec.num_steps(1000) == 17  # 16 steps (upstream's overshoot) + the warm-up's second evaluation
    assert PLMSSamplerSpec(steps=50).num_steps(1000) == 51


def test_plms_refuses_eta():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="eta"):
        PLMSSamplerSpec(steps=15, eta=0.5)


@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
def test_recovers_gaussian_data_for_every_parameterization(parameterization):
    from tests.components.samplers.test_impl import MU, STD, gaussian_oracle

    buffers = schedule_buffers(make_betas(LinearSchedule(), 1000))
    spec = PLMSSamplerSpec(steps=50)
    samples, _ = spec.load_impl()(spec).sample(
        gaussian_oracle(buffers, parameterization), buffers, (4096, 4), parameterization=parameterization,
        clip_denoised=False, generator=torch.Generator().manual_seed(0))
    assert abs(float(samples.mean()) - MU) < 0.01
    assert abs(float(samples.std()) / STD - 1) < 0.03


def test_passes_the_sampler_conformance_checks():
    from ddpm_kit.testing.conformance import check_component

    assert check_component("sampler", "plms", max_examples=3) == []
