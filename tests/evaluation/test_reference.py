"""Reference statistics: .npz round trip, the disk cache (hit, stale, corrupt), user-file validation, splits."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.features import FeatureSet
from ddpm_kit.evaluation.reference import (
    ReferenceStats, cache_key, cached_reference, load_reference, save_reference, split_indices,
)

DATA = {"name": "digits", "params": {"root": None}}
SPEC = {"name": "stand_in", "width": 8}


class Counter:
    """compute() for cached_reference that counts its calls."""

    def __init__(self, seed: int = 0) -> None:
        self.calls, self.seed = 0, seed

    def __call__(self) -> FeatureSet:
        self.calls += 1
        rng = np.random.default_rng(self.seed)
        probs = rng.dirichlet(np.ones(3), size=20)
        return FeatureSet(rng.normal(size=(20, 4)), probs)


def test_cache_key_depends_on_every_part_and_not_on_dict_order():
    key = cache_key(DATA, "heldout", SPEC, "sha256:abc")
    assert len(key) == 64
    assert key == cache_key({"params": {"root": None}, "name": "digits"}, "heldout", {"width": 8, "name": "stand_in"},
                            "sha256:abc")
    others = {cache_key({**DATA, "name": "npz"}, "heldout", SPEC, "sha256:abc"), cache_key(DATA, "train", SPEC,
              "sha256:abc"), cache_key(DATA, "heldout", {**SPEC, "width": 9}, "sha256:abc"),
              cache_key(DATA, "heldout", SPEC, "sha256:abd")}
    assert key not in others and len(others) == 4


def test_cache_hit_reuses_the_stored_statistics(tmp_path: Path):
    key, compute = cache_key(DATA, "heldout", SPEC, "w"), Counter()
    first = cached_reference(tmp_path, key, compute, feature_dim=4)
    second = cached_reference(tmp_path, key, compute, feature_dim=4)
    assert compute.calls == 1
    for name in ("features", "mu", "sigma", "probs"):
        assert np.array_equal(getattr(first, name), getattr(second, name))
    assert [p.name for p in tmp_path.iterdir()] == [f"reference-{key}.npz"]  # no temporary file left


def test_stale_key_is_recomputed_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    key = cache_key(DATA, "heldout", SPEC, "w")
    save_reference(tmp_path / f"reference-{key}.npz", ReferenceStats.from_features(np.ones((3, 4)) * [[1], [2], [4]]),
                   key="0" * 64)
    compute = Counter()
    with caplog.at_level(logging.INFO, logger="ddpm_kit.evaluation.reference"):
        stats = cached_reference(tmp_path, key, compute)
    assert compute.calls == 1 and "stale" in caplog.text
    assert np.array_equal(stats.features, Counter()().features)
    assert cached_reference(tmp_path, key, compute).features.shape == (20, 4) and compute.calls == 1


def test_corrupt_cache_is_recomputed(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    key = cache_key(DATA, "heldout", SPEC, "w")
    (tmp_path / f"reference-{key}.npz").write_bytes(b"not a zip file")
    compute = Counter()
    with caplog.at_level(logging.INFO, logger="ddpm_kit.evaluation.reference"):
        cached_reference(tmp_path, key, compute)
    assert compute.calls == 1 and "recomputing" in caplog.text
    cached_reference(tmp_path, key, compute)
    assert compute.calls == 1


def test_cache_with_right_key_but_bad_content_is_recomputed(tmp_path: Path):
    key = cache_key(DATA, "heldout", SPEC, "w")
    np.savez(tmp_path / f"reference-{key}.npz", features=np.full((5, 4), np.nan), key=np.asarray(key))
    compute = Counter()
    cached_reference(tmp_path, key, compute)
    assert compute.calls == 1


def test_save_load_round_trip(tmp_path: Path):
    result = Counter()()
    stats = ReferenceStats.from_features(result.features, result.probs)
    save_reference(tmp_path / "ref.npz", stats)
    loaded = load_reference(tmp_path / "ref.npz", feature_dim=4)
    for name in ("features", "mu", "sigma", "probs"):
        assert np.array_equal(getattr(stats, name), getattr(loaded, name))


def write(path: Path, **arrays: object) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("arrays, feature_dim, match", [
    ({"feats": np.zeros((4, 4))}, None, "key 'features' .* missing"),
    ({"features": np.zeros(4)}, None, "key 'features' must be a numeric 2-D array"),
    ({"features": np.zeros((5, 3))}, 4, "key 'features' has D = 3 .* D = 4"),
    ({"features": np.array([[0.0, 1.0], [np.inf, 0.0]])}, None, "key 'features' contains NaN or inf"),
    ({"features": np.zeros((1, 4))}, None, "key 'features' has N = 1"),
    ({"features": np.zeros((4, 4)), "probs": np.zeros((3, 2))}, None, "key 'probs' has 3 rows"),
    ({"features": np.zeros((4, 4)), "probs": np.full((4, 2), np.nan)}, None, "key 'probs' contains NaN"),
    ({"features": np.array([["a", "b"], ["c", "d"]])}, None, "key 'features' must be a numeric"),
])
def test_bad_reference_files_raise_one_clear_error(tmp_path: Path, arrays, feature_dim, match):
    path = write(tmp_path / "user.npz", **arrays)
    with pytest.raises(EvaluationError, match=match) as info:
        load_reference(path, feature_dim)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unreadable_reference_files(tmp_path: Path):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, features=np.array([{"a": 1}, None], dtype=object))
    garbage = tmp_path / "garbage.npz"
    garbage.write_text("hello")
    for path in (pickled, garbage, tmp_path / "missing.npz"):
        with pytest.raises(EvaluationError, match="cannot be read") as info:
            load_reference(path)
        assert str(path) in str(info.value)


def test_split_indices_are_disjoint_deterministic_and_seeded():
    train, heldout = split_indices(1797, seed=0)
    assert train.dtype == heldout.dtype == np.int64
    assert len(train) == 898 and len(heldout) == 899
    assert np.array_equal(np.sort(np.concatenate([train, heldout])), np.arange(1797))
    again = split_indices(1797, seed=0)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], heldout)
    assert not np.array_equal(split_indices(1797, seed=1)[0], train)
    order = torch.randperm(1797, generator=torch.Generator().manual_seed(0)).numpy()
    assert np.array_equal(train, order[:898])  # the digits benchmark's half A / half B protocol
    assert len(split_indices(10, seed=0, fraction=0.8)[0]) == 8
    with pytest.raises(EvaluationError, match="fraction"):
        split_indices(10, seed=0, fraction=1.0)
