"""``compat.PLMSSampler`` reproduces upstream's PLMSSampler samples (tests/data/vectors/plms_vectors.json) through a
ddpm-kit DDPM, with upstream's call, return shapes and failures."""

from __future__ import annotations

import json

import pytest
import torch

from ddpm_kit.compat import PLMSSampler
from tests.components.backbones.helpers import PARITY, STATE_KEYS, recipe_state_dict
from tests.diffusion.vectors import VECTORS

pytestmark = pytest.mark.filterwarnings("ignore::ddpm_kit.registry.SpecWarning")
PLMS = json.loads((VECTORS / "plms_vectors.json").read_text())


def parity_ddpm(schedule: dict):
    from ddpm_kit import DDPM

    meta = json.loads((PARITY / "tiny_default" / "meta.json").read_text())
    config = dict(meta["config"])
    kwargs = {k: v for k, v in schedule.items() if k in ("linear_start", "linear_end", "cosine_s")}
    model = DDPM(unet_config={"name": "unet", **config}, timesteps=schedule["timesteps"],
                 beta_schedule=schedule["beta_schedule"], image_size=config["image_size"],
                 channels=config["in_channels"], use_ema=False, **kwargs).eval()
    net = model.model.diffusion_model
    net.load_state_dict(recipe_state_dict(net, meta["seed"], list(STATE_KEYS["tiny_default"]["state_dict"])))
    return model


@pytest.mark.parametrize("case", sorted(PLMS["cases"]))
def test_reproduces_upstream_samples(case):
    ref = PLMS["cases"][case]
    x_T = torch.tensor(PLMS["x_T"], dtype=torch.float32)
    sampler = PLMSSampler(parity_ddpm(ref["schedule"]))
    samples, inter = sampler.sample(ref["S"], x_T.shape[0], tuple(x_T.shape[1:]), x_T=x_T, log_every_t=5,
                                    verbose=False)
    expected = torch.tensor(ref["samples"], dtype=torch.float32)
    assert (samples - expected).abs().max().item() <= 1e-5 * max(expected.abs().max().item(), 1.0)
    steps = ref["n_steps"]
    kept = 1 + sum(1 for i in range(steps) if (steps - i - 1) % 5 == 0 or i == 0)
    assert len(inter["x_inter"]) == len(inter["pred_x0"]) == kept
    assert torch.equal(inter["x_inter"][0], x_T) and torch.equal(inter["x_inter"][-1], samples)


def test_pred_x0_is_the_x0_of_each_step():
    """Each step is x_prev = sqrt(a_prev) x0_hat + sqrt(1 - a_prev) eps' with x_t = sqrt(a_t) x0_hat +
    sqrt(1 - a_t) eps': eliminating eps', x_prev = sqrt(a_prev) x0_hat + c (x_t - sqrt(a_t) x0_hat), c =
    sqrt((1 - a_prev) / (1 - a_t))."""
    ref = PLMS["cases"][sorted(PLMS["cases"])[0]]
    x_T = torch.tensor(PLMS["x_T"], dtype=torch.float32)
    model = parity_ddpm(ref["schedule"])
    _, inter = PLMSSampler(model).sample(ref["S"], x_T.shape[0], tuple(x_T.shape[1:]), x_T=x_T, log_every_t=1,
                                         verbose=False)
    xs, x0s = inter["x_inter"], inter["pred_x0"][1:]
    assert len(x0s) == ref["n_steps"]
    ac = model.alphas_cumprod.double()
    visit = list(reversed(ref["ddim_timesteps"]))
    for i, x0_hat in enumerate(x0s):
        a_t = ac[visit[i]]
        a_prev = ac[visit[i + 1]] if i + 1 < len(visit) else ac[0]
        c = ((1 - a_prev) / (1 - a_t)).sqrt()
        predicted = a_prev.sqrt() * x0_hat.double() + c * (xs[i].double() - a_t.sqrt() * x0_hat.double())
        assert torch.allclose(predicted, xs[i + 1].double(), rtol=1e-4, atol=1e-4 * xs[i + 1].abs().max().item())


def test_upstream_failures_are_errors():
    model = parity_ddpm({"beta_schedule": "linear", "timesteps": 1000, "linear_start": 1e-4, "linear_end": 2e-2})
    with pytest.raises(ValueError, match="eta must be 0"):
        PLMSSampler(model).sample(10, 1, (3, 8, 8), eta=0.5, verbose=False)
    with pytest.raises(ValueError, match="exceeds"):
        PLMSSampler(model).sample(1001, 1, (3, 8, 8), verbose=False)
