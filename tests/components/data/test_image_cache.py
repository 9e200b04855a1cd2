"""The decoded image_folder cache: same pixels as decoding, rebuilt whenever the folder or settings change."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from ddpm_kit.components.data.base_impl import DataSourceError
from ddpm_kit.components.data.image_folder_impl import build_image_folder
from ddpm_kit.components.data.image_folder import ImageFolderSpec


def write_folder(root: Path, count: int = 6) -> None:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)).save(root / f"{i:02d}.png")


def spec(root: Path, cache_dir: Path, **kwargs) -> ImageFolderSpec:
    return ImageFolderSpec(path=str(root), cache_dir=str(cache_dir), val_fraction=0.0, image_size=8, **kwargs)


def caches(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*.npy"))


def images(dataset) -> torch.Tensor:
    return torch.stack([dataset[i]["image"] for i in range(len(dataset))])


def test_cached_items_equal_decoded_items_and_workers_read_them(tmp_path: Path) -> None:
    write_folder(tmp_path / "img")
    cached = build_image_folder(spec(tmp_path / "img", tmp_path / "cache"))
    plain = build_image_folder(spec(tmp_path / "img", tmp_path / "cache", cache=False))
    assert torch.equal(images(cached.train), images(plain.train))
    [path] = caches(tmp_path / "cache")
    assert np.load(path, mmap_mode="r").shape == (6, 3, 8, 8)
    batch = next(iter(DataLoader(cached.train, batch_size=6, num_workers=1)))
    assert torch.equal(batch["image"], images(plain.train))


@pytest.mark.parametrize("cache", [True, False])
def test_batched_fetch_equals_item_by_item(tmp_path: Path, cache: bool) -> None:
    """``__getitems__`` (what the DataLoader calls for a batch, through Subset) gives each item's own values."""
    for label in ("a", "b"):
        write_folder(tmp_path / "img" / label, count=3)
    dataset = build_image_folder(spec(tmp_path / "img", tmp_path / "cache", labels=True, cache=cache)).train
    order = [4, 0, 5, 2]
    for fetched, index in zip(dataset.__getitems__(order), order):
        single = dataset[index]
        assert fetched.keys() == single.keys() and torch.equal(fetched["image"], single["image"])
        assert torch.equal(fetched["class_label"], single["class_label"])


def test_second_build_reuses_the_cache(tmp_path: Path) -> None:
    write_folder(tmp_path / "img")
    build_image_folder(spec(tmp_path / "img", tmp_path / "cache"))
    [first] = caches(tmp_path / "cache")
    stamp = first.stat().st_mtime_ns
    build_image_folder(spec(tmp_path / "img", tmp_path / "cache"))
    assert caches(tmp_path / "cache") == [first] and first.stat().st_mtime_ns == stamp


@pytest.mark.parametrize("change", ["touch", "add", "delete", "image_size", "height_width"])
def test_a_changed_folder_or_setting_rebuilds(tmp_path: Path, change: str) -> None:
    root = tmp_path / "img"
    write_folder(root)
    build_image_folder(spec(root, tmp_path / "cache"))
    [before] = caches(tmp_path / "cache")
    size = 8
    if change == "touch":
        stat = (root / "03.png").stat()
        os.utime(root / "03.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    elif change == "add":
        Image.new("RGB", (9, 9), (1, 2, 3)).save(root / "new.png")
    elif change == "delete":
        (root / "00.png").unlink()
    elif change == "image_size":
        size = 4
    else:
        size = [8, 4]  # H x W: same pixel count as 4 x 8 would have, another key
    if change == "height_width":
        build_image_folder(ImageFolderSpec(path=str(root), cache_dir=str(tmp_path / "cache"), val_fraction=0.0,
                                           image_size=[4, 8]))
        [before] = caches(tmp_path / "cache")
    splits = build_image_folder(ImageFolderSpec(path=str(root), cache_dir=str(tmp_path / "cache"),
                                                val_fraction=0.0, image_size=size))
    [after] = caches(tmp_path / "cache")
    assert after != before  # rebuilt under a new key; the stale cache removed
    plain = build_image_folder(ImageFolderSpec(path=str(root), cache=False, val_fraction=0.0, image_size=size))
    assert torch.equal(images(splits.train), images(plain.train))
    assert np.load(after, mmap_mode="r").shape[2:] == ((size, size) if isinstance(size, int) else tuple(size))


def test_corrupt_file_named_at_start_up_and_no_cache_left(tmp_path: Path) -> None:
    write_folder(tmp_path / "img")
    data = (tmp_path / "img" / "02.png").read_bytes()
    (tmp_path / "img" / "02.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataSourceError, match="02.png"):
        build_image_folder(spec(tmp_path / "img", tmp_path / "cache", check_files=False))
    assert list((tmp_path / "cache").iterdir()) == []  # no partial file


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_cache_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    write_folder(tmp_path / "img")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(DataSourceError, match=r"cache folder .*locked.* not writable.*cache: false"):
            build_image_folder(spec(tmp_path / "img", locked))
    finally:
        locked.chmod(0o700)


def test_cache_folder_that_is_a_file_is_an_error_naming_it(tmp_path: Path) -> None:
    write_folder(tmp_path / "img")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataSourceError, match=r"cache folder .*file.* not writable.*data.cache_dir"):
        build_image_folder(spec(tmp_path / "img", tmp_path / "file"))
