"""npz extra_keys: more arrays of the file as batch keys, checked for length from the headers at start-up."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from ddpm_kit.components.data.base_impl import DataSourceError
from ddpm_kit.components.data.npz_impl import build_npz
from ddpm_kit.components.data.npz import NpzSpec


def write(tmp_path, **arrays):
    rng = np.random.default_rng(0)
    base = {"image": rng.uniform(0, 1, (10, 8, 8)).astype(np.float32),
            "lowres": rng.integers(0, 256, (10, 4, 4), dtype=np.uint8),
            "mask": rng.integers(0, 2, (10, 1, 8, 8)).astype(bool),
            "emb": rng.normal(size=(10, 3, 5)).astype(np.float32)}
    path = tmp_path / "d.npz"
    np.savez(path, **{**base, **arrays})
    return path, {**base, **arrays}


def spec(path, **extra) -> NpzSpec:
    return NpzSpec(path=str(path), value_range=(0.0, 1.0), val_fraction=0.0, **extra)


def test_extras_are_served_under_their_keys_mapped_or_as_stored(tmp_path):
    path, arrays = write(tmp_path)
    s = spec(path, extra_keys={"lowres": {"array": "lowres", "value_range": [0, 255]},
                               "mask": {"array": "mask", "value_range": [0, 1], "layout": "channels_first"},
                               "context": "emb"})
    assert s.keys() == ("image", "lowres", "mask", "context")
    item = build_npz(s).train[7]
    assert item["lowres"].shape == (1, 4, 4) and item["mask"].shape == (1, 8, 8)
    assert torch.allclose(item["lowres"][0], torch.from_numpy(arrays["lowres"][7] / 127.5 - 1).float())
    assert set(item["mask"].unique().tolist()) <= {-1.0, 1.0}
    assert torch.equal(item["context"], torch.from_numpy(arrays["emb"][7]))  # as stored: [M, D] float32
    assert item["context"].dtype == torch.float32


def test_an_extra_of_another_length_is_refused_from_its_header(tmp_path):
    path, _ = write(tmp_path, emb=np.zeros((9, 3, 5), np.float32))
    with pytest.raises(DataSourceError, match=r"extra_keys 'context': array 'emb' has shape \(9, 3, 5\), but the "
                                              r"samples 'image' have 10 items"):
        build_npz(spec(path, extra_keys={"context": "emb"}))


def test_a_missing_extra_array_lists_what_the_file_holds(tmp_path):
    path, _ = write(tmp_path)
    with pytest.raises(DataSourceError, match=r"no array 'lowres_x'; it holds \['image', 'lowres', 'mask', 'emb'\]. "
                                              r"Set extra_keys"):
        build_npz(spec(path, extra_keys={"lowres": "lowres_x"}))


def test_extras_outside_their_range_or_not_finite_are_refused(tmp_path):
    path, _ = write(tmp_path)
    with pytest.raises(DataSourceError, match=r"array 'lowres' spans \[0, 255\], outside value_range \[0, 1\]"):
        build_npz(spec(path, extra_keys={"lowres": {"array": "lowres", "value_range": [0, 1]}}))
    emb = np.zeros((10, 3, 5), np.float32)
    emb[2, 1, 1] = np.nan
    path, _ = write(tmp_path, emb=emb)
    with pytest.raises(DataSourceError, match=r"extra_keys 'context': array 'emb' holds 1 NaN/inf"):
        build_npz(spec(path, extra_keys={"context": "emb"}))


def test_the_spec_refuses_clashing_keys_and_layout_without_range(tmp_path):
    with pytest.raises(ValidationError, match="extra_keys 'image' is already the image_key"):
        spec(tmp_path / "d.npz", extra_keys={"image": "lowres"})
    with pytest.raises(ValidationError, match="layout applies to image-like arrays"):
        spec(tmp_path / "d.npz", extra_keys={"mask": {"array": "mask", "layout": "channels_first"}})
    with pytest.raises(ValidationError, match="extra"):
        spec(tmp_path / "d.npz", extra_keys={"mask": {"array": "mask", "scale": 2}})
