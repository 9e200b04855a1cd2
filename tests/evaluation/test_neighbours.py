"""k-NN precision/recall and the memorisation score on constructed cases and against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.neighbours import knn_radii, memorisation_score, nn_distances, precision_recall


def brute_force_pr(g: np.ndarray, r: np.ndarray, k: int) -> tuple[float, float]:
    def coverage(points, support):
        d_ss = np.linalg.norm(support[:, None] - support[None], axis=-1)
        radii = np.sort(d_ss, axis=1)[:, k]
        d_ps = np.linalg.norm(points[:, None] - support[None], axis=-1)
        return float(np.mean([(d_ps[i] <= radii).any() for i in range(len(points))]))
    return coverage(g, r), coverage(r, g)


def test_identical_sets_have_precision_and_recall_one():
    x = np.random.default_rng(0).normal(size=(100, 5))
    assert precision_recall(x, x) == (1.0, 1.0)


def test_disjoint_sets_have_precision_and_recall_zero():
    rng = np.random.default_rng(1)
    assert precision_recall(rng.normal(size=(60, 3)), rng.normal(size=(50, 3)) + 100.0) == (0.0, 0.0)


def test_samples_covering_part_of_the_reference():
    rng = np.random.default_rng(2)
    reference = rng.uniform(0, 10, size=(400, 1))
    samples = reference[reference[:, 0] < 2.0]  # a mode-dropping generator: a subset of the reference
    precision, recall = precision_recall(samples, reference)
    assert precision == 1.0
    assert 0.1 < recall < 0.35
    assert (precision, recall) == pytest.approx(brute_force_pr(samples, reference, 3))


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_matches_brute_force_for_any_chunk(k):
    rng = np.random.default_rng(3)
    g, r = rng.normal(size=(70, 4)) * 1.3, rng.normal(size=(90, 4)) + 0.3
    expected = brute_force_pr(g, r, k)
    assert precision_recall(g, r, k) == pytest.approx(expected)
    assert precision_recall(g, r, k, chunk=7) == precision_recall(g, r, k)


def test_knn_radii_and_nn_distances_agree_with_direct_sorting():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(30, 3))
    direct = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.testing.assert_allclose(knn_radii(x, 3, chunk=9), np.sort(direct, axis=1)[:, 3], atol=1e-12)
    np.testing.assert_allclose(nn_distances(x, y, chunk=9), np.linalg.norm(x[:, None] - y[None], axis=-1).min(1),
                               atol=1e-12)
    with pytest.raises(EvaluationError, match="k < N"):
        knn_radii(x[:3], 3)


def test_memorisation_detects_copies_and_not_fresh_samples():
    rng = np.random.default_rng(5)
    train, reference = rng.normal(size=(500, 16)), rng.normal(size=(300, 16))
    copies = train[rng.choice(500, 200)] + 1e-3 * rng.normal(size=(200, 16))
    fresh = rng.normal(size=(200, 16))
    assert memorisation_score(copies, train, reference) == 1.0
    assert memorisation_score(fresh, train, reference) < 0.02
    half = np.concatenate([copies[:100], fresh[:100]])
    assert memorisation_score(half, train, reference) == pytest.approx(0.5, abs=0.02)


def test_memorisation_threshold_and_dimensions_are_checked():
    x = np.zeros((4, 2))
    with pytest.raises(EvaluationError, match="threshold"):
        memorisation_score(x, x, x, threshold=0.0)
    with pytest.raises(EvaluationError, match="equal feature dimensions"):
        memorisation_score(x, np.zeros((4, 3)), x)
