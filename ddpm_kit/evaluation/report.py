"""``evaluate_features``: the requested metrics of sample features against reference statistics."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.metrics import (
    as_features, classifier_score, feature_stats, frechet_distance, kernel_inception_distance,
)
from ddpm_kit.evaluation.names import DEFAULT_K, check_metric_names, min_samples_for
from ddpm_kit.evaluation.neighbours import memorisation_score, precision_recall
from ddpm_kit.evaluation.reference import ReferenceStats

log = logging.getLogger(__name__)


def _check_counts(names: list[str], n_samples: int, n_reference: int, dim: int, k: int) -> None:
    """Errors for too few samples/reference items; a warning when FD's covariance cannot be full rank."""
    for name in names:
        need = min_samples_for(name, dim, k)
        if name == "fd" and min(n_samples, n_reference) < need:
            log.warning("FD with n = %d samples and %d reference items in D = %d dimensions: a covariance needs "
                        "n > D to be full rank, so this FD is dominated by the rank deficiency and not comparable "
                        "with FDs at n > D.", n_samples, n_reference, dim)
        elif name != "fd" and min(n_samples, n_reference) < need:
            raise EvaluationError(f"metric {name!r} needs at least {need} samples and reference items, got "
                                  f"{n_samples} samples and {n_reference} reference items.")


def evaluate_features(sample_feats: np.ndarray, reference: ReferenceStats, metrics: Sequence[str],
                      train_feats: np.ndarray | None = None, seed: int = 0, sample_probs: np.ndarray | None = None,
                      kid_subset_size: int = 1000, kid_subsets: int = 100, k: int = DEFAULT_K,
                      mem_threshold: float = 1 / 3, cs_splits: int = 1) -> dict[str, float]:
    """Metrics of ``sample_feats`` [N, D] against ``reference``, for the names in ``metrics`` (``METRIC_NAMES``).

    Keys of the result: ``fd``; ``kid``, ``kid_std`` (``kid_subsets`` subsets of ``kid_subset_size``, seeded by
    ``seed``); ``precision``, ``recall`` (k-NN, ``k``); ``cs``, ``cs_std`` (needs ``sample_probs``, ``cs_splits``
    splits); ``mem`` (needs ``train_feats``, ``mem_threshold``). Unknown names, N < 2, mismatched D or a
    missing input are ``EvaluationError``; FD at N <= D is computed with a warning.
    """
    names = check_metric_names(metrics)
    samples = as_features(sample_feats, "sample features")
    if samples.shape[1] != reference.features.shape[1]:
        raise EvaluationError(f"sample features have D = {samples.shape[1]}, the reference D = "
                              f"{reference.features.shape[1]}: they come from different extractors.")
    _check_counts(names, samples.shape[0], reference.features.shape[0], samples.shape[1], k)
    out: dict[str, float] = {}
    if "fd" in names:
        out["fd"] = frechet_distance(feature_stats(samples), (reference.mu, reference.sigma))
    if "kid" in names:
        out["kid"], out["kid_std"] = kernel_inception_distance(samples, reference.features, kid_subset_size,
                                                               kid_subsets, seed)
    if "pr" in names:
        out["precision"], out["recall"] = precision_recall(samples, reference.features, k)
    if "cs" in names:
        if sample_probs is None:
            raise EvaluationError("metric 'cs' needs class probabilities of the samples; this extractor gives none.")
        if len(sample_probs) != samples.shape[0]:
            raise EvaluationError(f"sample probs have {len(sample_probs)} rows, sample features {samples.shape[0]}.")
        out["cs"], out["cs_std"] = classifier_score(sample_probs, cs_splits)
    if "mem" in names:
        if train_feats is None:
            raise EvaluationError("metric 'mem' needs the features of the training images (train_feats).")
        out["mem"] = memorisation_score(samples, train_feats, reference.features, mem_threshold)
    return out
