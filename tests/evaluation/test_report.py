"""evaluate_features: the requested subset of metrics, each equal to its own function, and its input errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.metrics import classifier_score, feature_stats, frechet_distance, kernel_inception_distance
from ddpm_kit.evaluation.neighbours import memorisation_score, precision_recall
from ddpm_kit.evaluation.reference import ReferenceStats
from ddpm_kit.evaluation.report import evaluate_features

RNG = np.random.default_rng(0)
SAMPLES, REAL, TRAIN = RNG.normal(size=(120, 6)), RNG.normal(size=(100, 6)) + 0.2, RNG.normal(size=(150, 6))
PROBS = RNG.dirichlet(np.ones(4) * 0.3, size=120)
REFERENCE = ReferenceStats.from_features(REAL)


def test_all_metrics_equal_their_functions():
    out = evaluate_features(SAMPLES, REFERENCE, ["fd", "kid", "pr", "cs", "mem"], train_feats=TRAIN, seed=3,
                            sample_probs=PROBS, kid_subset_size=50, kid_subsets=5, cs_splits=2)
    assert set(out) == {"fd", "kid", "kid_std", "precision", "recall", "cs", "cs_std", "mem"}
    assert out["fd"] == frechet_distance(feature_stats(SAMPLES), feature_stats(REAL))
    assert (out["kid"], out["kid_std"]) == kernel_inception_distance(SAMPLES, REAL, 50, 5, seed=3)
    assert (out["precision"], out["recall"]) == precision_recall(SAMPLES, REAL)
    assert (out["cs"], out["cs_std"]) == classifier_score(PROBS, 2)
    assert out["mem"] == memorisation_score(SAMPLES, TRAIN, REAL)
    assert all(isinstance(v, float) for v in out.values())


def test_only_requested_metrics_are_computed():
    assert set(evaluate_features(SAMPLES, REFERENCE, ["pr"])) == {"precision", "recall"}


def test_identical_features_give_zero_fd_and_perfect_precision_recall():
    out = evaluate_features(REAL, REFERENCE, ["fd", "pr"])
    assert abs(out["fd"]) < 1e-8 and out["precision"] == out["recall"] == 1.0


def test_input_errors():
    with pytest.raises(EvaluationError, match="did you mean 'mem'"):
        evaluate_features(SAMPLES, REFERENCE, ["memo"])
    with pytest.raises(EvaluationError, match="N = 1 rows"):
        evaluate_features(SAMPLES[:1], REFERENCE, ["kid"])
    with pytest.raises(EvaluationError, match="D = 5.*D = 6"):
        evaluate_features(SAMPLES[:, :5], REFERENCE, ["fd"])
    with pytest.raises(EvaluationError, match="class probabilities"):
        evaluate_features(SAMPLES, REFERENCE, ["cs"])
    with pytest.raises(EvaluationError, match="train_feats"):
        evaluate_features(SAMPLES, REFERENCE, ["mem"])
    with pytest.raises(EvaluationError, match="'pr' needs at least 4"):
        evaluate_features(SAMPLES[:3], REFERENCE, ["pr"])


def test_fd_below_feature_dimension_warns(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="ddpm_kit.evaluation.report"):
        out = evaluate_features(SAMPLES[:5], REFERENCE, ["fd"])
    assert np.isfinite(out["fd"]) and "n > D" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ddpm_kit.evaluation.report"):
        evaluate_features(SAMPLES, REFERENCE, ["fd"])
    assert caplog.text == ""
