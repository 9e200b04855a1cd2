"""Feature statistics, Frechet distance, KID and classifier score against closed forms and direct sums."""

from __future__ import annotations

import numpy as np
import pytest

from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.metrics import (
    classifier_score, feature_stats, frechet_distance, kernel_inception_distance, mmd2_unbiased, sqrtm_psd,
)

scipy_linalg = pytest.importorskip("scipy.linalg")


def random_spd(dim: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(dim, dim))
    return a @ a.T + 0.1 * np.eye(dim)


def exact_samples(mu: np.ndarray, sigma: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n rows whose sample mean is mu and unbiased sample covariance is sigma (to rounding)."""
    z = np.random.default_rng(seed).normal(size=(n, len(mu)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(z.T @ z / (n - 1))).T  # whitened: covariance exactly I
    return mu + z @ np.linalg.cholesky(sigma).T


def test_feature_stats_are_mean_and_unbiased_covariance():
    x32 = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    x = x32.astype(np.float64)
    mu, sigma = feature_stats(x32)
    assert mu.dtype == sigma.dtype == np.float64
    np.testing.assert_allclose(mu, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x, rowvar=False), rtol=1e-12)


@pytest.mark.parametrize("scale", [0.5, 2.0, 3.0])
def test_fd_of_scaled_covariance_matches_closed_form(scale):
    # S_b = c^2 S_a  =>  tr((S_a S_b)^1/2) = c tr(S_a)  =>  FD = |dmu|^2 + (1 - c)^2 tr(S_a)
    sigma = random_spd(6, 1)
    mu_a, mu_b = np.arange(6.0), np.arange(6.0)[::-1] * 0.5
    expected = float((mu_a - mu_b) @ (mu_a - mu_b) + (1 - scale) ** 2 * np.trace(sigma))
    got = frechet_distance((mu_a, sigma), (mu_b, scale ** 2 * sigma))
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-8)


def test_fd_of_diagonal_gaussians_matches_closed_form_including_ill_conditioned():
    var_a, var_b = np.logspace(-12, 2, 8), np.logspace(2, -12, 8)
    expected = 4.0 + float(((np.sqrt(var_a) - np.sqrt(var_b)) ** 2).sum())
    got = frechet_distance((np.zeros(8), np.diag(var_a)), (np.r_[2.0, np.zeros(7)], np.diag(var_b)))
    assert got == pytest.approx(expected, abs=1e-8)


def test_fd_from_sample_statistics_matches_closed_form():
    sigma = random_spd(5, 2)
    mu_a, mu_b = np.zeros(5), np.full(5, 0.3)
    x = exact_samples(mu_a, sigma, 400, seed=3)
    y = exact_samples(mu_b, 4.0 * sigma, 300, seed=4)
    expected = float((mu_a - mu_b) @ (mu_a - mu_b) + np.trace(sigma))  # c = 2: (1 - 2)^2 tr(S)
    assert frechet_distance(feature_stats(x), feature_stats(y)) == pytest.approx(expected, abs=1e-8)


def test_fd_identical_sets_is_zero_and_fd_is_symmetric():
    x = np.random.default_rng(5).normal(size=(200, 8))
    y = np.random.default_rng(6).normal(size=(150, 8)) * 1.5 + 0.2
    assert abs(frechet_distance(feature_stats(x), feature_stats(x))) < 1e-8
    assert frechet_distance(feature_stats(x), feature_stats(y)) == pytest.approx(
        frechet_distance(feature_stats(y), feature_stats(x)), rel=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fd_matches_scipy_sqrtm_for_full_rank(seed):
    a, b = random_spd(7, seed), random_spd(7, seed + 10)
    mu_a, mu_b = np.ones(7), np.zeros(7)
    reference = 7.0 + np.trace(a) + np.trace(b) - 2 * np.trace(scipy_linalg.sqrtm(a @ b).real)
    assert frechet_distance((mu_a, a), (mu_b, b)) == pytest.approx(reference, rel=1e-9)


def test_fd_is_stable_for_singular_covariances():
    rng = np.random.default_rng(7)
    mixing = rng.normal(size=(3, 12))  # 12 features of rank 3
    x, y = rng.normal(size=(500, 3)) @ mixing, rng.normal(size=(400, 3)) @ mixing * 1.3 + 0.1
    (mu_a, s_a), (mu_b, s_b) = feature_stats(x), feature_stats(y)
    assert np.linalg.matrix_rank(s_a) == 3
    got = frechet_distance((mu_a, s_a), (mu_b, s_b))
    assert np.isfinite(got)
    # independent route: tr((S_a S_b)^1/2) = sum sqrt(eigvals(S_a S_b)) of the non-symmetric product
    eig = np.clip(scipy_linalg.eigvals(s_a @ s_b).real, 0, None)
    reference = float((mu_a - mu_b) @ (mu_a - mu_b) + np.trace(s_a) + np.trace(s_b) - 2 * np.sqrt(eig).sum())
    assert got == pytest.approx(reference, rel=1e-6)
    # exact closed form on the singular covariance itself: S_b = 4 S_a -> FD = tr(S_a)
    assert frechet_distance((mu_a, s_a), (mu_a, 4 * s_a)) == pytest.approx(np.trace(s_a), rel=1e-9)
    assert abs(frechet_distance((mu_a, s_a), (mu_a, s_a))) < 1e-8


def test_sqrtm_psd_squares_back_and_has_no_nan_for_singular():
    s = random_spd(4, 3)
    root = sqrtm_psd(s)
    np.testing.assert_allclose(root @ root, s, atol=1e-10)
    singular = np.outer([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert np.isfinite(sqrtm_psd(singular)).all()


def test_fd_rejects_mismatched_dimensions():
    with pytest.raises(EvaluationError, match="equal D"):
        frechet_distance((np.zeros(3), np.eye(3)), (np.zeros(4), np.eye(4)))


def direct_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    k = lambda a, b: (a @ b / len(a) + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_kid_single_full_subset_matches_direct_unbiased_mmd2():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(25, 4)), rng.normal(size=(25, 4)) + 0.5
    expected = direct_mmd2(x, y)
    assert mmd2_unbiased(x, y) == pytest.approx(expected, rel=1e-10)
    mean, std = kernel_inception_distance(x, y, subset_size=25, n_subsets=1, seed=0)
    assert mean == pytest.approx(expected, rel=1e-10) and std == 0.0


def test_kid_is_seeded_and_detects_a_shift():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(300, 6)), rng.normal(size=(300, 6))
    same = kernel_inception_distance(x, y, subset_size=100, n_subsets=20, seed=1)
    assert same == kernel_inception_distance(x, y, subset_size=100, n_subsets=20, seed=1)
    assert same != kernel_inception_distance(x, y, subset_size=100, n_subsets=20, seed=2)
    shifted = kernel_inception_distance(x, y + 1.0, subset_size=100, n_subsets=20, seed=1)
    assert abs(same[0]) < 3 * same[1] + 1e-3 and shifted[0] > 10 * abs(same[0]) + 0.1


def test_classifier_score_bounds():
    k = 5
    confident_uniform = np.tile(np.eye(k), (4, 1))  # each class predicted with certainty, equally often
    assert classifier_score(confident_uniform) == pytest.approx((k, 0.0), rel=1e-12)
    constant = np.tile(np.array([0.1, 0.2, 0.3, 0.2, 0.2]), (20, 1))
    assert classifier_score(constant)[0] == pytest.approx(1.0, rel=1e-12)
    mean, std = classifier_score(confident_uniform, splits=4)
    assert mean == pytest.approx(k) and std == pytest.approx(0.0, abs=1e-12)


def test_classifier_score_splits_and_bad_probs():
    rng = np.random.default_rng(10)
    logits = rng.normal(size=(100, 3)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    scores = [classifier_score(part)[0] for part in np.array_split(probs, 5)]
    assert classifier_score(probs, splits=5) == pytest.approx((np.mean(scores), np.std(scores)))
    assert 1.0 < classifier_score(probs)[0] < 3.0
    with pytest.raises(EvaluationError, match="summing to 1"):
        classifier_score(logits)
    with pytest.raises(EvaluationError, match="splits"):
        classifier_score(probs, splits=0)
