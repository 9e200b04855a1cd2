"""Distribution metrics on feature matrices (numpy float64): feature statistics, Frechet distance,
kernel inception distance (KID) and the classifier score (an Inception-Score analogue).

Features are ``[N, D]`` arrays (converted to float64); class probabilities are ``[N, K]`` rows summing
to 1. Nearest-neighbour metrics (precision/recall, memorisation) live in ``neighbours``.
"""

from __future__ import annotations

import numpy as np

from ddpm_kit.evaluation.errors import EvaluationError


def as_features(features: np.ndarray, name: str = "features", min_rows: int = 2) -> np.ndarray:
    """``features`` as a float64 [N, D] array; wrong rank, N < ``min_rows`` or NaN/inf raise ``EvaluationError``."""
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] < 1:
        raise EvaluationError(f"{name} must be a [N, D] array, got shape {tuple(array.shape)}.")
    if array.shape[0] < min_rows:
        raise EvaluationError(f"{name} has N = {array.shape[0]} rows; at least {min_rows} are needed.")
    if not np.isfinite(array).all():
        raise EvaluationError(f"{name} contains NaN or inf.")
    return array


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu [D], Sigma [D, D]) in float64: mu = 1/N sum_i f_i, Sigma = 1/(N-1) sum_i (f_i - mu)(f_i - mu)^T
    (unbiased covariance, as in the FID reference code, Heusel et al. 2017)."""
    f = as_features(features)
    mu = f.mean(axis=0)
    centred = f - mu
    return mu, centred.T @ centred / (f.shape[0] - 1)


def _clip_rounding(values: np.ndarray) -> np.ndarray:
    """Eigenvalues of a symmetric PSD matrix with those at rounding level, l <= D eps max|l| (negative ones
    included), set to 0: they are noise of a singular matrix, and their square roots would not be small."""
    tol = len(values) * np.finfo(np.float64).eps * max(float(np.abs(values).max(initial=0.0)), 0.0)
    return np.where(values > tol, values, 0.0)


def sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root A^1/2 of a symmetric PSD matrix: A = V diag(l) V^T -> V diag(sqrt(l)) V^T, with
    rounding-level and negative eigenvalues of a singular A set to 0 (``_clip_rounding``), so no NaN appears."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(_clip_rounding(values))) @ vectors.T


def trace_sqrt_product(sigma_1: np.ndarray, sigma_2: np.ndarray) -> float:
    """tr((S1 S2)^1/2) = tr((S1^1/2 S2 S1^1/2)^1/2) = sum_i sqrt(l_i), l_i the eigenvalues of the symmetric
    PSD matrix S1^1/2 S2 S1^1/2 (similar to S1 S2), rounding-level ones set to 0 (``_clip_rounding``)."""
    root_1 = sqrtm_psd(sigma_1)
    inner = root_1 @ sigma_2 @ root_1
    return float(np.sqrt(_clip_rounding(np.linalg.eigvalsh((inner + inner.T) / 2))).sum())


def frechet_distance(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Squared Frechet (2-Wasserstein) distance of N(mu_a, S_a) and N(mu_b, S_b), in float64:

    d^2 = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^1/2)

    (Dowson & Landau 1982; FID, Heusel et al. 2017). The trace of the cross term is computed from the
    symmetric form (``trace_sqrt_product``), stable for singular or ill-conditioned covariances.
    """
    (mu_a, s_a), (mu_b, s_b) = a, b
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    s_a, s_b = np.asarray(s_a, np.float64), np.asarray(s_b, np.float64)
    if mu_a.shape != mu_b.shape or s_a.shape != s_b.shape or s_a.shape != mu_a.shape * 2:
        raise EvaluationError(f"Frechet distance needs mu [D] and Sigma [D, D] of equal D; got mu {mu_a.shape} / "
                              f"{mu_b.shape}, Sigma {s_a.shape} / {s_b.shape}.")
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(s_a) + np.trace(s_b) - 2.0 * trace_sqrt_product(s_a, s_b))


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x . y / d + 1)^3, the KID kernel (Binkowski et al. 2018), for rows of x [n, d], y [m, d]."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 (Gretton et al. 2012, eq. 3) with the polynomial kernel:

    MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j) - 2/(mn) sum_{i,j} k(x_i, y_j)
    """
    m, n = x.shape[0], y.shape[0]
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    return float((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
                 - 2.0 * k_xy.mean())


def kernel_inception_distance(x: np.ndarray, y: np.ndarray, subset_size: int = 1000, n_subsets: int = 100,
                              seed: int = 0) -> tuple[float, float]:
    """KID (Binkowski et al. 2018): mean and std of ``mmd2_unbiased`` over ``n_subsets`` pairs of random
    subsets of m = min(``subset_size``, N_x, N_y) rows each, drawn without replacement from
    ``numpy.random.default_rng(seed)`` (the reference implementation's subset protocol)."""
    x, y = as_features(x, "sample features"), as_features(y, "reference features")
    if x.shape[1] != y.shape[1]:
        raise EvaluationError(f"KID needs equal feature dimensions, got {x.shape[1]} and {y.shape[1]}.")
    if subset_size < 2 or n_subsets < 1:
        raise EvaluationError(f"KID needs subset_size >= 2 and n_subsets >= 1, got {subset_size}, {n_subsets}.")
    m = min(subset_size, x.shape[0], y.shape[0])
    rng = np.random.default_rng(seed)
    values = [mmd2_unbiased(x[rng.choice(x.shape[0], m, replace=False)], y[rng.choice(y.shape[0], m, replace=False)])
              for _ in range(n_subsets)]
    return float(np.mean(values)), float(np.std(values))


def as_probs(probs: np.ndarray, name: str = "class probabilities") -> np.ndarray:
    """``probs`` as float64 [N, K] with finite, non-negative rows summing to 1 (to 1e-4), else ``EvaluationError``."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
        raise EvaluationError(f"{name} must be a [N, K] array, got shape {tuple(p.shape)}.")
    if not np.isfinite(p).all() or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise EvaluationError(f"{name} must be finite, non-negative rows summing to 1 (softmax outputs).")
    return p


def _log_classifier_score(p: np.ndarray) -> float:
    """log CS = 1/N sum_x KL(p(y|x) || p(y)), p(y) = 1/N sum_x p(y|x), with 0 log 0 = 0."""
    marginal = p.mean(axis=0, keepdims=True)
    safe = np.where(p > 0, p, 1.0)
    return float((p * (np.log(safe) - np.log(np.where(p > 0, marginal, 1.0)))).sum(axis=1).mean())


def classifier_score(probs: np.ndarray, splits: int = 1) -> tuple[float, float]:
    """Classifier score (Inception Score, Salimans et al. 2016, with any classifier): CS = exp(E_x KL(p(y|x) || p(y))),
    in [1, K]. With ``splits`` > 1 the N rows are cut into that many consecutive parts and the mean and std
    of the parts' scores are returned (the IS protocol: 10 splits); ``splits`` = 1 gives (CS, 0.0)."""
    p = as_probs(probs)
    if not 1 <= splits <= p.shape[0]:
        raise EvaluationError(f"classifier score splits must be in [1, N = {p.shape[0]}], got {splits}.")
    scores = [np.exp(_log_classifier_score(part)) for part in np.array_split(p, splits)]
    return float(np.mean(scores)), float(np.std(scores))
