"""Nearest-neighbour metrics on feature matrices (numpy float64), with chunked pairwise distances:
k-NN precision and recall and the memorisation (training-data copy) score."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.metrics import as_features
from ddpm_kit.evaluation.names import DEFAULT_K

CHUNK_ROWS = 1024  # rows of x per pairwise-distance block: memory O(CHUNK_ROWS * N_y)


def distance_chunks(x: np.ndarray, y: np.ndarray, chunk: int = CHUNK_ROWS) -> Iterator[np.ndarray]:
    """Euclidean distances |x_i - y_j| in blocks of ``chunk`` rows of x: ||x||^2 + ||y||^2 - 2 x.y,
    clipped at 0 before the square root."""
    y_sq = (y * y).sum(axis=1)
    for start in range(0, x.shape[0], chunk):
        block = x[start:start + chunk]
        sq = (block * block).sum(axis=1)[:, None] + y_sq[None, :] - 2.0 * block @ y.T
        yield np.sqrt(np.clip(sq, 0.0, None))


def nn_distances(x: np.ndarray, y: np.ndarray, chunk: int = CHUNK_ROWS) -> np.ndarray:
    """[N_x]: d(x_i, NN_y(x_i)) = min_j |x_i - y_j|."""
    return np.concatenate([block.min(axis=1) for block in distance_chunks(x, y, chunk)])


def knn_radii(x: np.ndarray, k: int = DEFAULT_K, chunk: int = CHUNK_ROWS) -> np.ndarray:
    """[N]: distance from each x_i to its k-th nearest neighbour in x, the point itself counted as the 0-th
    (Kynkaanniemi et al. 2019, reference code's ``np.partition(d, k)[k]``)."""
    if not 1 <= k < x.shape[0]:
        raise EvaluationError(f"k-NN radii need 1 <= k < N, got k = {k}, N = {x.shape[0]}.")
    return np.concatenate([np.partition(block, k, axis=1)[:, k] for block in distance_chunks(x, x, chunk)])


def manifold_coverage(points: np.ndarray, support: np.ndarray, k: int = DEFAULT_K, chunk: int = CHUNK_ROWS) -> float:
    """Share of ``points`` inside the k-NN manifold of ``support``: 1/N sum_i 1[exists j: |p_i - s_j| <= r_k(s_j)]."""
    radii = knn_radii(support, k, chunk)
    inside = [(block <= radii[None, :]).any(axis=1) for block in distance_chunks(points, support, chunk)]
    return float(np.concatenate(inside).mean())


def precision_recall(samples: np.ndarray, reference: np.ndarray, k: int = DEFAULT_K,
                     chunk: int = CHUNK_ROWS) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019): precision = share of samples inside the
    k-NN manifold of the reference features; recall = share of reference features inside the k-NN
    manifold of the samples (default k = 3)."""
    g = as_features(samples, "sample features", min_rows=k + 1)
    r = as_features(reference, "reference features", min_rows=k + 1)
    if g.shape[1] != r.shape[1]:
        raise EvaluationError(f"precision/recall need equal feature dimensions, got {g.shape[1]} and {r.shape[1]}.")
    return manifold_coverage(g, r, k, chunk), manifold_coverage(r, g, k, chunk)


def memorisation_score(samples: np.ndarray, train: np.ndarray, reference: np.ndarray, threshold: float = 1 / 3,
                       chunk: int = CHUNK_ROWS) -> float:
    """Share of samples that look like copies of training items:

    mem = 1/N sum_i 1[ d(g_i, NN_train(g_i)) < threshold * median_j d(r_j, NN_train(r_j)) ]

    g_i: sample features; r_j: held-out real (reference) features, so the median is the typical distance of a
    fresh real image to its nearest training image; ``threshold`` defaults to 1/3. Fresh samples from the
    data distribution score ~0, copies of training items score ~1: a low FD obtained by copying the
    training set becomes visible. The idea of comparing a sample's distance to the training set with
    held-out real data's distance follows the data-copying test of Meehan et al. 2020 and the
    "authenticity" of Alaa et al. 2022; this thresholded-ratio form is this package's definition.
    """
    g = as_features(samples, "sample features", min_rows=1)
    t = as_features(train, "training features", min_rows=1)
    r = as_features(reference, "reference features", min_rows=1)
    if not g.shape[1] == t.shape[1] == r.shape[1]:
        raise EvaluationError(f"memorisation needs equal feature dimensions, got samples {g.shape[1]}, "
                              f"training {t.shape[1]}, reference {r.shape[1]}.")
    if not threshold > 0:
        raise EvaluationError(f"memorisation threshold must be > 0, got {threshold}.")
    scale = float(np.median(nn_distances(r, t, chunk)))
    return float((nn_distances(g, t, chunk) < threshold * scale).mean())
