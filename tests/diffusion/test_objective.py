"""compose_loss + losses + forward process against upstream p_losses numbers (DDPM and LatentDiffusion)."""

from __future__ import annotations

import math

import pytest
import torch

from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.diffusion import compose_loss, q_sample, register_schedule, training_target
from ddpm_kit.components.losses.l1 import L1Loss
from ddpm_kit.components.losses.l2 import L2Loss
from ddpm_kit.components.schedules.linear import LinearSchedule
from tests.diffusion.vectors import loss_vectors

LOSSES = {"l2": L2Loss(), "l1": L1Loss()}


def _inputs():
    data = loss_vectors()["inputs"]
    shape = tuple(data["shape"])
    return tuple(torch.tensor(data[k], dtype=torch.float32).reshape(shape) for k in ("x0", "noise", "model_output"))


def _schedule(config):
    spec = LinearSchedule(linear_start=config.get("linear_start", 1e-4), linear_end=config.get("linear_end", 2e-2))
    betas = make_betas(spec, config["timesteps"])
    return register_schedule(betas, v_posterior=config.get("v_posterior", 0.0),
                             parameterization=config["parameterization"])


def _close(actual, expected, rel=1e-6):
    assert float(actual) == pytest.approx(expected, rel=rel, abs=1e-12)


def _per_sample(case):
    config = case["config"]
    schedule = _schedule(config)
    x0, noise, model_output = _inputs()
    t = torch.tensor(case["t"])
    x_t = q_sample(x0, t, noise, schedule.buffers)
    target = training_target(config["parameterization"], x0, noise, t, schedule.buffers)
    per_sample = LOSSES[config["loss_type"]].load_impl()(LOSSES[config["loss_type"]])(model_output, target)
    return schedule, t, x_t, target, per_sample


CASES = loss_vectors()["cases"]


def test_all_parameterizations_and_losses_are_covered():
    seen = {(c["config"]["timesteps"], c["config"]["parameterization"], c["config"]["loss_type"]) for c in CASES}
    assert seen == {(T, p, loss) for T in (10, 1000) for p in ("eps", "x0", "v") for loss in ("l1", "l2")}


@pytest.mark.parametrize("case", CASES,
                         ids=lambda c: "{timesteps}-{parameterization}-{loss_type}".format(**c["config"]))
def test_p_losses_parity(case):
    config = case["config"]
    schedule, t, x_t, target, per_sample = _per_sample(case)
    torch.testing.assert_close(x_t.flatten(), torch.tensor(case["x_noisy"]), rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(target.flatten(), torch.tensor(case["target"]), rtol=1e-6, atol=1e-7)
    for got, want in zip(per_sample.tolist(), case["per_sample_loss"]):
        _close(got, want)
    assert schedule.lvlb_weights[t].tolist() == case["lvlb_weights_at_t"]  # exact float32
    loss, log = compose_loss(per_sample, t, lvlb_weights=schedule.lvlb_weights, weights=None,
                             l_simple_weight=config["l_simple_weight"],
                             original_elbo_weight=config["original_elbo_weight"], prefix="train")
    assert list(log) == list(case["loss_dict_train"])
    for key, value in case["loss_dict_train"].items():
        _close(log[key], value)
    _close(loss, case["loss"])
    _, val_log = compose_loss(per_sample, t, lvlb_weights=schedule.lvlb_weights, prefix="val")
    assert sorted(val_log) == case["loss_dict_eval_keys"]


@pytest.mark.parametrize("case", loss_vectors()["latent_diffusion_logvar_cases"],
                         ids=lambda c: "{parameterization}-init{logvar_init}-learn{learn_logvar}".format(**c["config"]))
def test_latent_diffusion_logvar_parity(case):
    config = case["config"]
    schedule, t, _, _, per_sample = _per_sample(case)
    logvar = torch.full((config["timesteps"],), config["logvar_init"])
    weights = dict(lvlb_weights=schedule.lvlb_weights, l_simple_weight=config["l_simple_weight"],
                   original_elbo_weight=config["original_elbo_weight"])
    loss, log = compose_loss(per_sample, t, logvar=logvar, learn_logvar=config["learn_logvar"], **weights)
    expected = case["LatentDiffusion.p_losses"]
    assert list(log) == list(expected["loss_dict"])
    for key, value in expected["loss_dict"].items():
        _close(log[key], value)
    _close(loss, expected["loss"])
    ddpm_loss, ddpm_log = compose_loss(per_sample, t, **weights)
    _close(ddpm_loss, case["DDPM.p_losses(same inputs)"]["loss"])
    assert list(ddpm_log) == list(case["DDPM.p_losses(same inputs)"]["loss_dict"])


def test_weights_multiply_the_simple_term_only():
    per_sample = torch.tensor([1.0, 2.0, 3.0])
    t = torch.tensor([0, 1, 2])
    lvlb = torch.tensor([0.5, 0.5, 2.0])
    w = torch.tensor([2.0, 0.0, 1.0])
    loss, log = compose_loss(per_sample, t, lvlb_weights=lvlb, weights=w, l_simple_weight=1.0,
                             original_elbo_weight=0.5)
    assert float(log["train/loss_simple"]) == pytest.approx((2 + 0 + 3) / 3)
    assert float(log["train/loss_vlb"]) == pytest.approx((0.5 + 1 + 6) / 3)
    assert float(loss) == pytest.approx(5 / 3 + 0.5 * 7.5 / 3)
    unweighted = compose_loss(per_sample, t, lvlb_weights=lvlb, original_elbo_weight=0.5)
    ones = compose_loss(per_sample, t, lvlb_weights=lvlb, weights=torch.ones(3), original_elbo_weight=0.5)
    assert float(unweighted[0]) == float(ones[0])


def test_zero_elbo_weight_ignores_infinite_vlb():
    """Upstream adds 0 * loss_vlb, which is NaN when a weight is inf (zero terminal SNR with eps)."""
    per_sample = torch.tensor([1.0, 2.0])
    t = torch.tensor([0, 1])
    loss, log = compose_loss(per_sample, t, lvlb_weights=torch.tensor([1.0, math.inf]), original_elbo_weight=0.0)
    assert float(loss) == 1.5 and math.isinf(float(log["train/loss_vlb"]))


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"\[B\]"):
        compose_loss(torch.ones(2, 3), torch.tensor([0, 1]), lvlb_weights=torch.ones(3))
    with pytest.raises(ValueError, match="weights"):
        compose_loss(torch.ones(2), torch.tensor([0, 1]), lvlb_weights=torch.ones(3), weights=torch.ones(3))
