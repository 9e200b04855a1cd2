"""Reference statistics (features, mu, Sigma, probs) saved to / loaded from ``.npz`` files, a disk cache keyed
by what determines them, user-supplied reference files, and the seeded train / held-out split.

A reference ``.npz`` holds ``features`` [N, D] float (N >= 2, finite) and optionally ``probs`` [N, K];
cache files also hold ``mu`` [D], ``sigma`` [D, D] and ``key`` (the sha256 they were stored under).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.features import FeatureSet
from ddpm_kit.evaluation.metrics import feature_stats

log = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bump when the stored content or its computation changes: old caches become stale


@dataclass(frozen=True)
class ReferenceStats:
    """Reference features [N, D] float64, their mean [D] and covariance [D, D], and probs [N, K] or None."""

    features: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    probs: np.ndarray | None = None

    @classmethod
    def from_features(cls, features: np.ndarray, probs: np.ndarray | None = None) -> ReferenceStats:
        """Statistics of ``features`` (``feature_stats``), ``probs`` kept as given (float64)."""
        mu, sigma = feature_stats(features)
        return cls(np.asarray(features, np.float64), mu, sigma,
                   None if probs is None else np.asarray(probs, np.float64))


def cache_key(data_config: Mapping[str, Any], split: str, extractor_spec: Mapping[str, Any], weights_id: str) -> str:
    """sha256 hex of the canonical JSON (sorted keys, no whitespace) of the data-source config, split name,
    extractor spec, extractor weights identity and ``FORMAT_VERSION``."""
    payload = {"data": data_config, "split": split, "extractor": extractor_spec, "weights": weights_id,
               "format_version": FORMAT_VERSION}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def save_reference(path: Path, stats: ReferenceStats, key: str | None = None) -> None:
    """Write ``stats`` (and ``key``) to ``path`` atomically: a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"features": stats.features, "mu": stats.mu, "sigma": stats.sigma,
                                     "format_version": np.asarray(FORMAT_VERSION)}
    if stats.probs is not None:
        arrays["probs"] = stats.probs
    if key is not None:
        arrays["key"] = np.asarray(key)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _array(data: Mapping[str, np.ndarray], path: Path, name: str, ndim: int) -> np.ndarray:
    """``data[name]`` as finite float64 with ``ndim`` dimensions, else an ``EvaluationError`` naming file and key."""
    value = data[name]
    if value.ndim != ndim or not np.issubdtype(value.dtype, np.number):
        raise EvaluationError(f"{path}: key '{name}' must be a numeric {ndim}-D array, got shape "
                              f"{tuple(value.shape)} dtype {value.dtype}.")
    value = value.astype(np.float64)
    if not np.isfinite(value).all():
        raise EvaluationError(f"{path}: key '{name}' contains NaN or inf.")
    return value


def load_reference(path: Path, feature_dim: int | None = None) -> ReferenceStats:
    """Read a reference ``.npz`` (``allow_pickle=False``) and validate it: ``features`` [N, D] finite with
    N >= 2 and D == ``feature_dim`` (if given); optional ``probs`` [N, K] finite. mu and Sigma are recomputed
    from the features. Every problem is an ``EvaluationError`` naming the file and the key."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError) as exc:  # missing, not a zip, truncated, pickled object arrays
        raise EvaluationError(f"{path}: cannot be read as a .npz reference file ({exc}).") from exc
    if "features" not in data:
        raise EvaluationError(f"{path}: key 'features' [N, D] is missing (found: {', '.join(sorted(data)) or 'none'}).")
    features = _array(data, path, "features", 2)
    if features.shape[0] < 2:
        raise EvaluationError(f"{path}: key 'features' has N = {features.shape[0]} rows; at least 2 are needed.")
    if feature_dim is not None and features.shape[1] != feature_dim:
        raise EvaluationError(f"{path}: key 'features' has D = {features.shape[1]} columns but the feature "
                              f"extractor gives D = {feature_dim}; the reference was made with another extractor.")
    probs = _array(data, path, "probs", 2) if "probs" in data else None
    if probs is not None and probs.shape[0] != features.shape[0]:
        raise EvaluationError(f"{path}: key 'probs' has {probs.shape[0]} rows, key 'features' {features.shape[0]}.")
    return ReferenceStats.from_features(features, probs)


def _stored_key(path: Path) -> str | None:
    """The ``key`` recorded in a cache file, or None if the file has none or cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return str(npz["key"]) if "key" in npz.files else None
    except (OSError, ValueError, EOFError, KeyError):
        return None


def cached_reference(cache_dir: Path, key: str, compute: Callable[[], FeatureSet],
                     feature_dim: int | None = None) -> ReferenceStats:
    """Reference statistics from ``cache_dir/reference-<key>.npz`` if that file records ``key`` and is valid;
    otherwise (missing, stale key, corrupt) ``compute()`` them, log why at INFO and store them atomically."""
    path = Path(cache_dir) / f"reference-{key}.npz"
    if path.exists():
        stored = _stored_key(path)
        if stored == key:
            try:
                return load_reference(path, feature_dim)
            except EvaluationError as exc:
                log.info("Reference cache %s is invalid (%s); recomputing.", path, exc)
        else:
            log.info("Reference cache %s records key %s, expected %s (stale or corrupt); recomputing.",
                     path, stored, key)
    else:
        log.info("No reference cache at %s; computing the reference statistics.", path)
    result = compute()
    stats = ReferenceStats.from_features(result.features, result.probs)
    save_reference(path, stats, key)
    return stats


def split_indices(n: int, seed: int, fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of a dataset of ``n`` items into (train_idx, heldout_idx), int64 index arrays.

    The evaluation protocol trains on one part and uses the other, never seen in training, as the
    reference. order = ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``; train_idx =
    order[:int(n * fraction)], heldout_idx = the rest (both in permutation order; the two are disjoint and
    cover range(n)). Same (n, seed, fraction) -> same split on every machine.
    """
    if n < 2 or not 0.0 < fraction < 1.0:
        raise EvaluationError(f"split_indices needs n >= 2 and 0 < fraction < 1, got n = {n}, fraction = {fraction}.")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy().astype(np.int64)
    n_train = min(max(int(n * fraction), 1), n - 1)
    return order[:n_train], order[n_train:]
