"""The LambdaLR wrapper: upstream multipliers through a real optimizer, logging, checkpoint-safe state."""

from __future__ import annotations

import io
import logging

import pytest
import torch
from torch.optim.lr_scheduler import LambdaLR

from ddpm_kit.registry import LR_SCHEDULES
from ddpm_kit.components.lr_schedules.lambda_linear import LambdaLinearSpec
from ddpm_kit.components.lr_schedules.lambda_warmup_cosine2 import LambdaWarmUpCosine2Spec
from ddpm_kit.components.lr_schedules.warmup_cosine import WarmupCosineSpec

BASE_LR = 4.8e-3  # LD churches: 1 x 1 x 96 x 5e-5


def optimizer() -> torch.optim.Optimizer:
    return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=BASE_LR)


@pytest.mark.parametrize("spec", [
    LambdaLinearSpec(warm_up_steps=[100], f_min=[0.1], f_max=[1.0], f_start=[0.0], cycle_lengths=[1000]),
    LambdaWarmUpCosine2Spec(warm_up_steps=[10, 10], f_min=[0.1, 0.1], f_max=[1.0, 0.5], f_start=[0.0, 0.0],
                            cycle_lengths=[100, 100]),
    WarmupCosineSpec(warmup_steps=5, total_steps=50, min_ratio=0.2),
    LR_SCHEDULES.get("constant")(),
], ids=lambda s: s.name)
def test_lambda_lr_follows_the_reference(spec):
    opt = optimizer()
    scheduler = LambdaLR(opt, spec.load_impl()(spec))
    for step in range(260):  # past the last cycle: held, no TypeError
        assert opt.param_groups[0]["lr"] == pytest.approx(BASE_LR * spec.multiplier_reference(step), rel=1e-12)
        opt.step()
        scheduler.step()


def test_scheduler_state_holds_no_spec_objects():
    spec = LambdaLinearSpec(warm_up_steps=[10], f_min=[1.0], f_max=[1.0], f_start=[1e-6], cycle_lengths=[10**13],
                            verbosity_interval=5)
    opt = optimizer()
    scheduler = LambdaLR(opt, spec.load_impl()(spec))
    for _ in range(3):
        opt.step()
        scheduler.step()
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # would fail on a pickled pydantic object
    assert state["last_epoch"] == 3 and state["lr_lambdas"] == [None]


def test_verbosity_interval_logs(caplog):
    spec = WarmupCosineSpec(warmup_steps=2, total_steps=10)
    quiet = spec.load_impl()(spec)
    loud = LambdaLinearSpec(warm_up_steps=[2], f_min=[1.0], f_max=[1.0], f_start=[0.5], cycle_lengths=[10],
                            verbosity_interval=2)
    multiplier = loud.load_impl()(loud)
    with caplog.at_level(logging.INFO, logger="ddpm_kit.components.lr_schedules.base_impl"):
        quiet(0)
        values = [multiplier(n) for n in range(5)]
    assert values == [loud.multiplier_reference(n) for n in range(5)]
    assert [r.getMessage() for r in caplog.records] == [
        "lambda_linear: step 0, lr multiplier 0.5",
        "lambda_linear: step 2, lr multiplier 1",
        "lambda_linear: step 4, lr multiplier 1",
    ]
