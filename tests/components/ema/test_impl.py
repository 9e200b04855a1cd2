"""EMA modules: LitEma parity with upstream, closed-form values, state dicts, swaps and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from ddpm_kit.components.ema.base_impl import EMAError, EMAModule, ema_scope
from ddpm_kit.components.ema.constant import ConstantEmaSpec
from ddpm_kit.components.ema.constant_impl import ConstantEma
from ddpm_kit.components.ema.half_life import HalfLifeEmaSpec
from ddpm_kit.components.ema.half_life_impl import HalfLifeEma
from ddpm_kit.components.ema.lit_ema import LitEmaSpec
from ddpm_kit.components.ema.lit_ema_impl import LitEma
from ddpm_kit.components.ema.power import PowerEmaSpec
from ddpm_kit.components.ema.power_impl import PowerEma
from ddpm_kit.registry import EMAS

VECTORS = json.loads((Path(__file__).parents[2] / "data" / "misc" / "lr_ema_vectors.json").read_text())["lit_ema"]

SPECS = [LitEmaSpec(), ConstantEmaSpec(decay=0.9), HalfLifeEmaSpec(half_life_images=64, batch_size=8),
         PowerEmaSpec(std=0.1)]


class Vector(nn.Module):
    def __init__(self, *values: float) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(values))


class Small(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Linear(3, 4), nn.SiLU(), nn.Linear(4, 2))
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)


def perturb(model: nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn(param.shape, generator=generator))


def build(spec, model, **kwargs) -> EMAModule:
    return spec.load_impl()(spec, model, **kwargs)


# --------------------------------------------------------------------------- LitEma parity
def test_lit_ema_reproduces_upstream_trajectory_bit_for_bit():
    model = Vector(1.0, 2.0)
    ema = build(EMAS.get("lit_ema")(), model)
    assert isinstance(ema, LitEma)
    assert list(ema.state_dict()) == VECTORS["state_dict_keys"]
    assert ema.decay.dtype == torch.float32 and ema.num_updates.dtype == torch.int32
    for row in VECTORS["history"]:
        with torch.no_grad():
            model.w.copy_(torch.tensor(row["param_after_step"]))
        used = ema.update(row["update"], model)
        assert int(ema.num_updates) == row["num_updates"]
        assert used == pytest.approx(row["decay_used"], rel=1e-7)  # float32 of upstream's decay
        assert ema.w.tolist() == row["shadow"]  # exact float32 values


def test_lit_ema_warmup_off_uses_fixed_decay():
    model = Vector(0.0)
    ema = LitEma(LitEmaSpec(decay=0.5, use_num_updates=False), model)
    assert int(ema.num_updates) == -1
    with torch.no_grad():
        model.w.fill_(1.0)
    assert ema.update(1, model) == 0.5
    assert ema.w.item() == 0.5 and int(ema.num_updates) == -1


def test_lit_ema_names_shadows_like_upstream_and_skips_frozen():
    model = Small()
    ema = LitEma(LitEmaSpec(), model)
    assert list(ema.state_dict()) == ["decay", "num_updates", "body0weight", "body0bias", "body2weight", "body2bias"]


def test_lit_ema_loads_an_upstream_style_state_dict():
    model = Small()
    upstream = {"decay": torch.tensor(0.9999), "num_updates": torch.tensor(1234, dtype=torch.int32)}
    upstream |= {name.replace(".", ""): torch.full_like(p, 0.25) for name, p in model.named_parameters()
                 if p.requires_grad}
    ema = LitEma(LitEmaSpec(), model)
    ema.load_state_dict(upstream, strict=True)
    assert int(ema.num_updates) == 1234
    ema.copy_to(model)
    assert torch.all(model.body[0].weight == 0.25)


def test_lit_ema_name_collision_is_an_error():
    # upstream silently keeps one shadow for both: layers.1.10.weight and layers.11.0.weight -> layers110weight
    model = nn.Module()
    model.layers = nn.ModuleList(
        [nn.ModuleList([nn.Identity()]) for _ in range(12)]
    )
    model.layers[1] = nn.ModuleList([nn.Identity()] * 10 + [nn.Linear(1, 1, bias=False)])
    model.layers[11] = nn.ModuleList([nn.Linear(1, 1, bias=False)])
    with pytest.raises(EMAError, match=r"'layers\.1\.10\.weight' and 'layers\.11\.0\.weight'.*'layers110weight'"):
        LitEma(LitEmaSpec(), model)
    ema = ConstantEma(ConstantEmaSpec(), model)  # collision-free naming
    assert {"layers__1__10__weight", "layers__11__0__weight"} <= set(ema.state_dict())


def test_lit_ema_parameter_named_like_a_counter_is_an_error():
    model = nn.Module()
    model.decay = nn.Parameter(torch.zeros(1))
    with pytest.raises(EMAError, match="counter buffer 'decay'"):
        LitEma(LitEmaSpec(), model)


def test_lit_ema_reset_num_updates():
    model = Vector(1.0)
    ema = LitEma(LitEmaSpec(), model)
    ema.update(1, model)
    ema.update(2, model)
    ema.reset_num_updates()
    assert int(ema.num_updates) == 0
    off = LitEma(LitEmaSpec(use_num_updates=False), model)
    off.reset_num_updates()
    assert int(off.num_updates) == -1


# --------------------------------------------------------------------------- closed forms
def run_sequence(ema: EMAModule, model: Vector, values: list[float]) -> list[float]:
    out = []
    for step, value in enumerate(values, start=1):
        with torch.no_grad():
            model.w.fill_(value)
        ema.update(step, model)
        out.append(ema.w.item())
    return out


@settings(max_examples=25, deadline=None)
@given(decay=st.floats(0.0, 1.0), values=st.lists(st.floats(-10, 10), min_size=1, max_size=20))
def test_constant_matches_closed_form(decay, values):
    # s_t = d^t s_0 + sum_tau (1 - d) d^(t - tau) theta_tau
    model = Vector(3.0)
    ema = ConstantEma(ConstantEmaSpec(decay=decay), model)
    t = len(values)
    run_sequence(ema, model, values)
    expected = decay**t * 3.0 + sum((1 - decay) * decay ** (t - tau) * v for tau, v in enumerate(values, start=1))
    assert ema.w.item() == pytest.approx(expected, rel=1e-4, abs=1e-4)
    assert int(ema.num_updates) == t


@settings(max_examples=25, deadline=None)
@given(gamma=st.floats(0.5, 20.0), values=st.lists(st.floats(-10, 10), min_size=1, max_size=30))
def test_power_matches_closed_form(gamma, values):
    # EDM2: weight of theta_tau at step t is (tau^(g+1) - (tau-1)^(g+1)) / t^(g+1); the start is forgotten
    model = Vector(123.0)
    ema = PowerEma(PowerEmaSpec(gamma=gamma), model)
    run_sequence(ema, model, values)
    t, e = len(values), gamma + 1
    expected = sum((tau**e - (tau - 1) ** e) / t**e * v for tau, v in enumerate(values, start=1))
    assert ema.w.item() == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_half_life_matches_closed_form_and_edm_rampup():
    model = Vector(5.0)
    spec = HalfLifeEmaSpec(half_life_images=80, batch_size=8)  # 10 steps, ramp-up 0.05 * (t - 1)
    ema = HalfLifeEma(spec, model)
    values = [float(v) for v in range(1, 41)]
    run_sequence(ema, model, values)
    expected = 5.0
    for step, value in enumerate(values, start=1):
        half_life = min(10.0, 0.05 * (step - 1))
        beta = 0.0 if half_life == 0 else 0.5 ** (1 / half_life)
        expected = beta * expected + (1 - beta) * value
    assert ema.w.item() == pytest.approx(expected, rel=1e-5)


def test_half_life_step_units_halve_the_gap():
    model = Vector(0.0)
    ema = HalfLifeEma(HalfLifeEmaSpec(half_life_updates=4, rampup_ratio=None), model)
    with torch.no_grad():
        model.w.fill_(1.0)
    for step in range(1, 5):
        ema.update(step, model)
    assert ema.w.item() == pytest.approx(0.5, rel=1e-6)  # after one half-life the gap to theta has halved


def test_half_life_batch_size_resolution():
    model = Vector(0.0)
    spec = HalfLifeEmaSpec(half_life_images=64)
    with pytest.raises(ValueError, match="effective batch size"):
        HalfLifeEma(spec, model)
    assert HalfLifeEma(spec, model, batch_size=16).batch_size == 16
    with pytest.raises(ValueError, match="but the run uses"):
        HalfLifeEma(HalfLifeEmaSpec(half_life_images=64, batch_size=8), model, batch_size=16)
    # strategies that do not need it accept and ignore it
    assert ConstantEma(ConstantEmaSpec(), model, batch_size=16).update(1, model) == 0.9999


# --------------------------------------------------------------------------- state dicts
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_state_dict_round_trip(spec, tmp_path):
    model = Small()
    ema = build(spec, model)
    for step in range(1, 6):
        perturb(model, step)
        ema.update(step, model)
    path = tmp_path / "ema.pt"
    torch.save(ema.state_dict(), path)
    fresh = build(spec, Small())
    fresh.load_state_dict(torch.load(path, weights_only=True), strict=True)
    for (key, a), (key_b, b) in zip(ema.state_dict().items(), fresh.state_dict().items()):
        assert key == key_b and a.dtype == b.dtype and torch.equal(a, b)
    assert int(fresh.num_updates) == 5
    # the restored EMA continues exactly like the original
    perturb(model, 99)
    assert ema.update(6, model) == fresh.update(6, model)
    assert all(torch.equal(a, b) for a, b in zip(ema.state_dict().values(), fresh.state_dict().values()))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_ema_moves_with_its_owner_as_a_submodule(spec):
    owner = nn.Module()
    owner.model = Small()
    owner.model_ema = build(spec, owner.model)
    keys = [k for k in owner.state_dict() if k.startswith("model_ema.")]
    assert "model_ema.num_updates" in keys and len(keys) >= 5
    owner.to(torch.float64)
    perturb(owner.model, 1)
    owner.model_ema.update(1, owner.model)  # shadows followed the dtype change: no mismatch


# --------------------------------------------------------------------------- refusals
def test_dtype_mismatch_is_an_error_not_a_silent_skip():
    model = Small()
    ema = LitEma(LitEmaSpec(), model)
    model.to(torch.float64)  # the EMA is not a submodule here, so its shadows stay float32
    with pytest.raises(EMAError, match="body.0.weight.*torch.float32.*torch.float64"):
        ema.update(1, model)


def test_parameter_frozen_or_unfrozen_after_creation_is_an_error():
    model = Small()
    ema = ConstantEma(ConstantEmaSpec(), model)
    model.frozen.weight.requires_grad_(True)
    with pytest.raises(EMAError, match="'frozen.weight' requires grad but has no EMA shadow"):
        ema.update(1, model)
    model.frozen.weight.requires_grad_(False)
    model.body[0].bias.requires_grad_(False)
    with pytest.raises(EMAError, match="'body.0.bias' has an EMA shadow but no longer requires grad"):
        ema.copy_to(model)


def test_other_model_is_an_error():
    ema = ConstantEma(ConstantEmaSpec(), Small())
    with pytest.raises(EMAError):
        ema.update(1, Vector(1.0))


def test_step_contract():
    model = Vector(1.0)
    ema = PowerEma(PowerEmaSpec(gamma=7.0), model)
    with pytest.raises(ValueError, match=">= 1"):
        ema.update(0, model)
    with pytest.raises(TypeError):
        ema.update(1.0, model)  # type: ignore[arg-type]
    ema.update(1, model)
    with pytest.raises(EMAError, match="once per optimizer step"):
        ema.update(1, model)  # e.g. once per micro-batch


# --------------------------------------------------------------------------- swapping
def test_ema_scope_swaps_and_restores():
    model = Small()
    ema = ConstantEma(ConstantEmaSpec(decay=0.5), model)
    perturb(model, 3)
    ema.update(1, model)
    perturb(model, 4)
    original = {k: v.clone() for k, v in model.state_dict().items()}
    with ema_scope(model, ema, context="Validation"):
        assert torch.equal(model.body[0].weight, ema.body__0__weight)
        assert torch.equal(model.frozen.weight, original["frozen.weight"])
    assert all(torch.equal(v, original[k]) for k, v in model.state_dict().items())


def test_ema_scope_restores_after_an_exception():
    model = Small()
    ema = LitEma(LitEmaSpec(), model)
    perturb(model, 5)
    before = model.body[2].weight.clone()
    with pytest.raises(RuntimeError, match="boom"), ema_scope(model, ema):
        assert not torch.equal(model.body[2].weight, before)
        raise RuntimeError("boom")
    assert torch.equal(model.body[2].weight, before)
    assert ema.collected_params is None


def test_store_restore_contract():
    model = Small()
    ema = ConstantEma(ConstantEmaSpec(), model)
    with pytest.raises(EMAError, match="without a matching store"):
        ema.restore(model.parameters())
    ema.store(model.parameters())
    with pytest.raises(EMAError, match="twice"):
        ema.store(model.parameters())
    with pytest.raises(EMAError, match="got 1 parameters"):
        ema.restore([model.body[0].weight])


def test_reset_restarts_from_current_weights():
    model = Small()
    ema = PowerEma(PowerEmaSpec(std=0.05), model)
    perturb(model, 1)
    ema.update(1, model)
    perturb(model, 2)
    ema.reset(model)
    assert int(ema.num_updates) == 0 and ema.last_step == 0
    assert torch.equal(ema.body__2__bias, model.body[2].bias)
    ema.update(1, model)  # the step count may start again
