"""The quality metric of ``benchmarks/digits_quality`` and its re-implemented lucidrains baseline."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import digits_quality as dq
from benchmarks import digits_quality_baseline as base
from tests.conftest import DATA

GOLDEN = json.loads((DATA / "benchmarks" / "lucidrains_unet_golden.json").read_text())


def _random_stats(seed: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(dim, dim))
    return rng.normal(size=dim), factor @ factor.T / dim + 1e-3 * np.eye(dim)


def test_frechet_distance_closed_forms():
    mu, sigma = _random_stats(0, 5)
    assert dq.frechet_distance((mu, sigma), (mu, sigma)) == pytest.approx(0.0, abs=1e-9)
    shift = np.arange(5.0)
    assert dq.frechet_distance((mu + shift, sigma), (mu, sigma)) == pytest.approx(float(shift @ shift), rel=1e-9)
    # diagonal covariances: |mu_a - mu_b|^2 + sum (sqrt(var_a) - sqrt(var_b))^2
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = 1.0 + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    got = dq.frechet_distance((np.zeros(3), np.diag(var_a)), (np.array([1.0, 0, 0]), np.diag(var_b)))
    assert got == pytest.approx(expected, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(1, 12))
def test_frechet_distance_matches_scipy_sqrtm_and_is_symmetric(seed_a, seed_b, dim):
    a, b = _random_stats(seed_a, dim), _random_stats(seed_b + 10_001, dim)
    covmean = scipy.linalg.sqrtm(a[1] @ b[1]).real  # the FID reference implementation's route
    reference = np.sum((a[0] - b[0]) ** 2) + np.trace(a[1] + b[1] - 2 * covmean)
    assert dq.frechet_distance(a, b) == pytest.approx(reference, rel=1e-6, abs=1e-8)
    assert dq.frechet_distance(a, b) == pytest.approx(dq.frechet_distance(b, a), rel=1e-6, abs=1e-8)
    assert dq.frechet_distance(a, b) >= -1e-9


def test_feature_stats_of_known_samples():
    features = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]])
    mu, sigma = dq.feature_stats(features)
    np.testing.assert_allclose(mu, [2.0, 2.0])
    np.testing.assert_allclose(sigma, np.cov(features.T))


def test_real_digits_range_and_count():
    images, labels = dq.real_digits()
    assert images.shape == (1797, 1, 8, 8) and labels.shape == (1797,)
    assert images.min() == -1.0 and images.max() == 1.0


def test_scorer_real_vs_real_far_below_noise_vs_real():
    scorer = dq.QualityScorer.build(n_noise=500, epochs=4)
    assert scorer.classifier_accuracy > 0.9  # the features separate the digits
    assert 0 < scorer.floor < 0.1 * scorer.ceiling
    images, _ = dq.real_digits()
    noisy = images + 0.5 * torch.randn(images.shape, generator=torch.Generator().manual_seed(0))  # [N, 1, 8, 8]
    assert scorer.floor < scorer.score(noisy) < scorer.ceiling  # a degraded set lands in between
    assert dq.net_features(scorer.net, images[:10]).shape == (10, 64)


def test_baseline_unet_matches_the_package_golden_output():
    torch.manual_seed(0)  # the package and the re-implementation create their parameters in the same order
    unet = base.Unet(dim=32, dim_mults=(1, 2), channels=1)
    assert sum(p.numel() for p in unet.parameters()) == GOLDEN["num_params"]
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 1, 8, 8, generator=g)
    t = torch.tensor(GOLDEN["t"])
    with torch.no_grad():
        out = unet(x, t)
    np.testing.assert_allclose(out.flatten().numpy(), GOLDEN["output"], atol=2e-5)
    x0 = torch.rand(3, 1, 8, 8, generator=g) * 2 - 1
    noise = torch.randn(3, 1, 8, 8, generator=g)
    diffusion = base.VDiffusion(1000)
    for index, value in GOLDEN["alphas_cumprod_at"].items():
        assert diffusion.alphas_cumprod[int(index)].item() == pytest.approx(value, rel=1e-6)
    for index, value in GOLDEN["loss_weight_at"].items():
        assert diffusion.loss_weight[int(index)].item() == pytest.approx(value, rel=1e-6)
    x_t = base._at(diffusion.sqrt_abar, t) * x0 + base._at(diffusion.sqrt_one_minus_abar, t) * noise
    v = base._at(diffusion.sqrt_abar, t) * noise - base._at(diffusion.sqrt_one_minus_abar, t) * x0
    with torch.no_grad():
        loss = ((unet(x_t, t) - v).pow(2).mean(dim=(1, 2, 3)) * diffusion.loss_weight[t]).mean()
    assert loss.item() == pytest.approx(GOLDEN["p_losses"], rel=1e-5)


def test_baseline_schedule_equals_ddpm_kit_sigmoid_alphabar():
    from ddpm_kit.components.schedules import make_betas
    from ddpm_kit.registry import SCHEDULES

    spec = SCHEDULES.get("sigmoid_alphabar").model_validate({"name": "sigmoid_alphabar"})
    betas = make_betas(spec, 1000)
    np.testing.assert_allclose(torch.cumprod(1 - betas, 0).numpy(), base.sigmoid_alphas_cumprod(1000).numpy(),
                               rtol=0, atol=1e-8)  # the package rounds its sigmoid endpoints to float32


def test_package_ema_warm_up_and_cadence():
    net = torch.nn.Linear(2, 1)
    ema = base.PackageEMA(net, beta=0.995, update_every=10, update_after_step=100)
    decays = []
    for call in range(400):
        with torch.no_grad():
            net.weight.fill_(float(call))
        before = ema.model.weight.clone()
        decays.append(ema.decay())
        ema.update(net)
        changed = not torch.equal(before, ema.model.weight)
        if call == 0 or (call % 10 == 0 and call <= 100):
            assert torch.equal(ema.model.weight, net.weight)  # copies during the warm-up
        elif call % 10:
            assert not changed  # only every 10th call does anything
    assert decays[110] == pytest.approx(1 - 11 ** (-2 / 3))  # e = 10
    assert decays[399] == pytest.approx(min(0.995, 1 - 300 ** (-2 / 3)))


def test_step_overrides_scale_the_default_and_still_validate():
    from ddpm_kit.config import load_config

    overrides = dq.step_overrides(dq.PRESET, 0.1)
    default, scaled = load_config(dq.PRESET), load_config(dq.PRESET, overrides)
    assert scaled.trainer.max_steps == round(default.trainer.max_steps * 0.1)
    assert scaled.model.scheduler_config.total_steps == scaled.trainer.max_steps  # the cosine still ends at the end
    assert scaled.output.image_every_n_steps == round(default.output.image_every_n_steps * 0.1)
    assert dq.step_overrides(dq.PRESET, 1.0) == []


def test_example_digits_is_the_builtin_default():
    assert (dq.ROOT / "examples" / "digits.yaml").read_text() == dq.PRESET.read_text()
