"""``DDPM(unet_config={target, params})`` as upstream code and ``instantiate_from_config`` pass it."""

from __future__ import annotations

import sys

import pytest
import torch

from ddpm_kit import DDPM
from ddpm_kit.config.compvis import BACKBONE_TARGETS, LR_TARGETS
from ddpm_kit.config.errors import ConfigError
from tests.compat.helpers import UNET_PARAMS, UNET_TARGET, randomize


def _build(unet_config, **kwargs) -> DDPM:
    torch.manual_seed(3)
    return DDPM(unet_config=unet_config, timesteps=10, image_size=8, **kwargs).eval()


def test_upstream_form_builds_the_same_model_as_the_name_form():
    upstream = _build({"target": UNET_TARGET, "params": dict(UNET_PARAMS)})
    native = _build({"name": "unet", **UNET_PARAMS})
    assert upstream.cfg == native.cfg
    ours, theirs = upstream.state_dict(), native.state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert torch.equal(ours[key], theirs[key]), key  # buffers and (seeded) weights bitwise
    randomize(upstream.model, 5)
    randomize(native.model, 5)
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    t = torch.tensor([0, 7])
    with torch.no_grad():
        assert torch.equal(upstream.apply_model(x, t), native.apply_model(x, t))


def test_upstream_form_scheduler_config_goes_through_the_same_table():
    block = {"warm_up_steps": [10], "cycle_lengths": [100], "f_start": [1e-6], "f_max": [1.0], "f_min": [1.0]}
    upstream = _build({"target": UNET_TARGET, "params": dict(UNET_PARAMS)},
                      scheduler_config={"target": "ldm.lr_scheduler.LambdaLinearScheduler", "params": block})
    native = _build({"name": "unet", **UNET_PARAMS}, scheduler_config={"name": "lambda_linear", **block})
    assert upstream.cfg.scheduler_config == native.cfg.scheduler_config
    assert upstream.use_scheduler and LR_TARGETS["ldm.lr_scheduler.LambdaLinearScheduler"] == "lambda_linear"


@pytest.mark.parametrize("field,target,known", [
    ("unet_config", "wave.Wave_read", BACKBONE_TARGETS),
    ("scheduler_config", "wave.Wave_write", LR_TARGETS),
])
def test_unknown_target_is_an_error_naming_it_and_nothing_is_imported(field, target, known):
    if "wave" in sys.modules:
        pytest.skip("wave already imported by something else")
    kwargs = {"unet_config": {"target": UNET_TARGET, "params": dict(UNET_PARAMS)}}
    kwargs[field] = {"target": target, "params": {}}
    with pytest.raises(ConfigError) as info:
        DDPM(**kwargs)
    message = str(info.value)
    assert f"{field}.target" in message and repr(target) in message
    for name in known:
        assert name in message
    assert "wave" not in sys.modules


def test_extra_key_beside_target_is_an_error():
    with pytest.raises(ConfigError, match="unet_config.parms"):
        DDPM(unet_config={"target": UNET_TARGET, "parms": dict(UNET_PARAMS)})
