"""paired_folder: images and conditions paired by name, decoded and cached as image_folder, with clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from pydantic import ValidationError

from ddpm_kit.components.data.base_impl import DataSourceError
from ddpm_kit.components.data.image_folder_impl import build_image_folder
from ddpm_kit.components.data.paired_folder_impl import build_paired_folder
from ddpm_kit.components.data.image_folder import ImageFolderSpec
from ddpm_kit.components.data.paired_folder import PairedFolderSpec


def write_pairs(root: Path, count: int = 6, size: int = 8, mask_size: int = 8) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    images, masks = root / "images", root / "masks"
    for folder in (images, masks):
        (folder / "sub").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        sub = "sub/" if i % 2 else ""
        Image.fromarray(rng.integers(0, 256, (size, size + 2, 3), dtype=np.uint8)).save(images / f"{sub}{i:02d}.png")
        Image.fromarray(rng.integers(0, 256, (mask_size, mask_size), dtype=np.uint8)).save(masks / f"{sub}{i:02d}.png")
    return images, masks


def spec(images: Path, masks: Path, tmp: Path, **kwargs) -> PairedFolderSpec:
    fields = {"path": str(images), "condition_path": str(masks), "image_size": 8, "channels": 3,
              "condition_channels": 1, "val_fraction": 0.0, "cache_dir": str(tmp / "cache"), **kwargs}
    return PairedFolderSpec(**fields)


@pytest.mark.parametrize("cache", [True, False])
def test_items_pair_each_image_with_its_condition(tmp_path: Path, cache: bool):
    images, masks = write_pairs(tmp_path)
    splits = build_paired_folder(spec(images, masks, tmp_path, cache=cache))
    alone = build_image_folder(ImageFolderSpec(path=str(images), image_size=8, val_fraction=0.0, cache=False))
    assert len(splits.train) == 6 and splits.layout == "channels_first"
    for index in range(6):
        item = splits.train[index]
        assert set(item) == {"image", "condition"}
        assert torch.equal(item["image"], alone.train[index]["image"])  # image_folder's decoding, same order
        name = alone.train.dataset.files[index].relative_to(images)
        mask = np.array(Image.open(masks / name), dtype=np.uint8)
        assert torch.equal(item["condition"], torch.from_numpy(mask)[None])  # not resized, uint8 pixels


def test_the_cache_is_image_folders_one_file_per_folder_and_reused(tmp_path: Path):
    images, masks = write_pairs(tmp_path)
    build_paired_folder(spec(images, masks, tmp_path))
    first = sorted((tmp_path / "cache").glob("*.npy"))
    assert len(first) == 2 and {np.load(p).shape for p in first} == {(6, 3, 8, 8), (6, 1, 8, 8)}
    stamps = [p.stat().st_mtime_ns for p in first]
    again = build_paired_folder(spec(images, masks, tmp_path))
    assert sorted((tmp_path / "cache").glob("*.npy")) == first and [p.stat().st_mtime_ns for p in first] == stamps
    assert torch.equal(again.train[3]["condition"], build_paired_folder(
        spec(images, masks, tmp_path, cache=False)).train[3]["condition"])


def test_mismatched_pairs_list_the_unpaired_names(tmp_path: Path):
    images, masks = write_pairs(tmp_path)
    (masks / "00.png").unlink()
    (masks / "sub" / "01.png").rename(masks / "sub" / "x1.png")
    Image.new("L", (8, 8)).save(masks / "extra.jpg")
    with pytest.raises(DataSourceError) as info:
        build_paired_folder(spec(images, masks, tmp_path))
    message = str(info.value)
    assert "mismatched pairs: 2 image(s)" in message and "'00', 'sub/01'" in message
    assert "2 condition(s)" in message and "'extra', 'sub/x1'" in message
    assert not (tmp_path / "cache").exists()  # refused before anything was written


def test_many_unpaired_names_are_cut_short(tmp_path: Path):
    images, masks = write_pairs(tmp_path, count=12)
    for path in sorted(masks.rglob("*.png")):
        path.unlink()
    Image.new("L", (8, 8)).save(masks / "lonely.png")
    with pytest.raises(DataSourceError, match=r"12 image\(s\) .*'00', '02', '04', '06', '08' and 7 more"):
        build_paired_folder(spec(images, masks, tmp_path))


@pytest.mark.parametrize("check_files", [True, False])
def test_a_condition_of_another_size_names_the_file_and_both_sizes(tmp_path: Path, check_files: bool):
    images, masks = write_pairs(tmp_path)
    Image.new("L", (6, 7)).save(masks / "sub" / "03.png")
    with pytest.raises(DataSourceError, match=r"condition .*sub/03.png is 6x7 pixels, but data.condition_size is "
                                              r"8x8"):
        build_paired_folder(spec(images, masks, tmp_path, check_files=check_files))
    assert not list((tmp_path / "cache").glob("*.npy"))  # no half-built cache left


def test_a_declared_condition_size_is_what_the_conditions_must_have(tmp_path: Path):
    images, masks = write_pairs(tmp_path, mask_size=4)
    splits = build_paired_folder(spec(images, masks, tmp_path, condition_size=4))
    assert splits.train[0]["condition"].shape == (1, 4, 4)
    assert spec(images, masks, tmp_path, condition_size=4).key_shapes() == {"image": (3, 8, 8),
                                                                            "condition": (1, 4, 4)}


def test_a_cache_folder_that_is_not_writable_is_an_error_naming_it(tmp_path: Path):
    images, masks = write_pairs(tmp_path)
    (tmp_path / "file").write_text("keep")
    with pytest.raises(DataSourceError, match=r"paired_folder: the cache folder .*file is not writable.*cache: false"):
        build_paired_folder(spec(images, masks, tmp_path, cache_dir=str(tmp_path / "file")))
    assert (tmp_path / "file").read_text() == "keep"
    assert len(list(images.rglob("*.png"))) == len(list(masks.rglob("*.png"))) == 6  # nothing lost


def test_missing_folders_name_the_field(tmp_path: Path):
    images, _ = write_pairs(tmp_path)
    with pytest.raises(DataSourceError, match=r"nowhere does not exist. Check data.condition_path"):
        build_paired_folder(spec(images, tmp_path / "nowhere", tmp_path))


def test_the_spec_refuses_one_folder_for_both_and_clashing_keys(tmp_path: Path):
    with pytest.raises(ValidationError, match="name the same folder"):
        PairedFolderSpec(path="a", condition_path="a")
    with pytest.raises(ValidationError, match="condition_key 'image' is also"):
        PairedFolderSpec(path="a", condition_path="b", condition_key="image")
    assert PairedFolderSpec(path="a", condition_path="b").keys() == ("image", "condition")


def test_non_square_images_and_conditions_are_height_by_width(tmp_path: Path):
    images, masks = write_pairs(tmp_path, size=8, mask_size=8)  # images 8 x 10 (H x W), masks 8 x 8
    paired = spec(images, masks, tmp_path, image_size=[8, 10], condition_size=[8, 8])
    assert paired.key_shapes() == {"image": (3, 8, 10), "condition": (1, 8, 8)}
    item = build_paired_folder(paired).train[0]
    assert item["image"].shape == (3, 8, 10) and item["condition"].shape == (1, 8, 8)
    with pytest.raises(DataSourceError, match=r"is 8x8 pixels, but data.condition_size is 10x8"):
        build_paired_folder(spec(images, masks, tmp_path, image_size=[8, 10], condition_size=[8, 10]))


@pytest.mark.parametrize("cache", [True, False])
def test_batched_fetch_equals_item_by_item(tmp_path: Path, cache: bool):
    images, masks = write_pairs(tmp_path)
    dataset = build_paired_folder(spec(images, masks, tmp_path, cache=cache)).train
    for fetched, index in zip(dataset.__getitems__([3, 0, 5]), [3, 0, 5]):
        single = dataset[index]
        assert fetched.keys() == single.keys() == {"image", "condition"}
        assert all(torch.equal(fetched[key], single[key]) for key in single)
