"""Data sources: shapes, value range, labels, determinism, layouts and the errors for bad inputs."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from ddpm_kit.components.data.base_impl import DataSourceError, DataSplits, TensorDictDataset, split_indices
from ddpm_kit.registry import DATA_SOURCES
from ddpm_kit.components.data.digits import DigitsSpec
from ddpm_kit.components.data.image_folder import ImageFolderSpec
from ddpm_kit.components.data.npz import NpzSpec
from ddpm_kit.components.data.toy2d import Toy2dSpec


def build(spec) -> DataSplits:
    return spec.load_impl()(spec)


def stack(dataset, key: str = "image") -> torch.Tensor:
    return torch.stack([dataset[i][key] for i in range(len(dataset))])


# --------------------------------------------------------------------------- shared pieces
def test_split_indices_is_deterministic_and_disjoint():
    train, val = split_indices(100, 0.1, seed=3)
    again_train, again_val = split_indices(100, 0.1, seed=3)
    assert torch.equal(train, again_train) and torch.equal(val, again_val)
    assert len(val) == 10 and len(train) == 90
    assert set(train.tolist()).isdisjoint(val.tolist())
    assert not torch.equal(split_indices(100, 0.1, seed=4)[1], val)
    assert split_indices(5, 0.0, seed=0)[1] is None
    with pytest.raises(DataSourceError):
        split_indices(3, 0.1, seed=0)


def test_data_splits_layout_is_checked():
    dataset = TensorDictDataset({"image": torch.zeros(2, 3)})
    with pytest.raises(ValueError, match="layout"):
        DataSplits(dataset, None, "channels_last")
    with pytest.raises(ValueError):
        TensorDictDataset({"a": torch.zeros(2), "b": torch.zeros(3)})


# --------------------------------------------------------------------------- digits
def test_digits_loads_fast_with_range_labels_and_split():
    build(DigitsSpec())  # the first call pays the scikit-learn import
    start = time.perf_counter()
    splits = build(DATA_SOURCES.get("digits")())
    assert time.perf_counter() - start < 0.5
    assert splits.layout == "channels_first"
    assert len(splits.train) + len(splits.val) == 1797 and len(splits.val) == 180
    item = splits.train[0]
    assert set(item) == {"image", "class_label"}
    assert item["image"].shape == (1, 8, 8) and item["image"].dtype == torch.float32
    assert item["class_label"].dtype == torch.int64 and item["class_label"].shape == ()
    images = stack(splits.train)
    assert images.min() == -1.0 and images.max() == 1.0
    values = torch.unique(images)
    assert torch.allclose(values, torch.arange(17) / 8 - 1)  # 17 grey levels mapped x / 8 - 1


def test_digits_is_deterministic_and_seeded():
    a, b = build(DigitsSpec(split_seed=1)), build(DigitsSpec(split_seed=1))
    assert torch.equal(stack(a.val), stack(b.val))
    c = build(DigitsSpec(split_seed=2))
    assert not torch.equal(stack(a.val), stack(c.val))


def test_digits_resize_classes_and_keys():
    splits = build(DigitsSpec(image_size=16, classes=[3, 7], image_key="x", label_key="y", val_fraction=0.0))
    assert splits.val is None
    images = stack(splits.train, "x")
    assert images.shape == (183 + 179, 1, 16, 16)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert set(stack(splits.train, "y").tolist()) == {3, 7}
    nearest = stack(build(DigitsSpec(image_size=16, interpolation="nearest", val_fraction=0.0)).train)
    native = stack(build(DigitsSpec(val_fraction=0.0)).train)
    assert torch.equal(nearest[:, :, ::2, ::2], native)  # nearest x2 = pixel replication
    small = stack(build(DigitsSpec(image_size=4, val_fraction=0.0)).train)
    assert small.shape[-1] == 4 and small.min() >= -1.0 and small.max() <= 1.0


def test_digits_batches_through_a_dataloader():
    splits = build(DigitsSpec())
    batch = next(iter(DataLoader(splits.train, batch_size=5)))
    assert batch["image"].shape == (5, 1, 8, 8) and batch["class_label"].shape == (5,)


# --------------------------------------------------------------------------- toy2d
@pytest.mark.parametrize("dataset", ["moons", "swiss_roll", "gaussian_mixture"])
def test_toy2d_shapes_scale_determinism(dataset):
    spec = Toy2dSpec(dataset=dataset, n_samples=2000, seed=7, val_fraction=0.0)
    splits = build(spec)
    assert splits.layout == "vector" and splits.val is None
    points = stack(splits.train)
    assert points.shape == (2000, 2) and points.dtype == torch.float32
    assert points.mean(0).abs().max() < 1e-5
    assert points.std(unbiased=False).item() == pytest.approx(1.0, rel=1e-4)  # one scalar over both axes
    assert torch.equal(points, stack(build(spec).train))
    assert not torch.equal(points, stack(build(spec.model_copy(update={"seed": 8})).train))


def test_toy2d_labels_and_key():
    splits = build(Toy2dSpec(dataset="gaussian_mixture", n_components=5, labels=True, n_samples=500,
                             image_key="x", noise=0.01))
    item = splits.train[0]
    assert set(item) == {"x", "class_label"} and item["x"].shape == (2,)
    labels = stack(splits.train, "class_label")
    assert set(labels.tolist()) == set(range(5))
    points = stack(splits.train, "x")
    for k in range(5):  # each component is a tight cluster
        assert points[labels == k].std(0).max() < 0.05
    moons = build(Toy2dSpec(labels=True, n_samples=100, val_fraction=0.0))
    assert set(stack(moons.train, "class_label").tolist()) == {0, 1}


# --------------------------------------------------------------------------- image_folder
def write_image(path, size=(10, 6), mode="RGB", color=(255, 0, 0)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)


def test_image_folder_recursive_resize_crop_and_labels(tmp_path):
    write_image(tmp_path / "cats" / "a.png", size=(20, 10), color=(255, 0, 0))
    write_image(tmp_path / "cats" / "deep" / "b.JPG", size=(10, 20), color=(0, 255, 0))
    write_image(tmp_path / "dogs" / "c.jpeg", size=(8, 8), color=(0, 0, 255))
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    spec = ImageFolderSpec(path=str(tmp_path), image_size=8, labels=True, val_fraction=0.0)
    splits = build(spec)
    assert splits.layout == "channels_first" and len(splits.train) == 3
    items = [splits.train[i] for i in range(3)]
    assert all(it["image"].shape == (3, 8, 8) and it["image"].dtype == torch.uint8 for it in items)  # pixels
    assert [int(it["class_label"]) for it in items] == [0, 0, 1]  # cats=0, dogs=1, by sorted folder name
    assert splits.train.dataset.classes == ["cats", "dogs"]
    red = items[0]["image"]
    assert torch.all(red[0] == 255) and torch.all(red[1] == 0)
    blue = items[2]["image"].int()  # JPEG: lossy, close to the colour
    assert torch.all(blue[2] >= 252) and torch.all(blue[0] <= 3)


def test_image_folder_grey_and_split(tmp_path):
    for i in range(10):
        write_image(tmp_path / f"{i}.png", size=(4, 4), mode="L", color=i * 20)
    splits = build(ImageFolderSpec(path=str(tmp_path), image_size=4, channels=1, val_fraction=0.2))
    assert len(splits.train) == 8 and len(splits.val) == 2
    item = splits.val[0]
    assert set(item) == {"image"} and item["image"].shape == (1, 4, 4)
    batch = next(iter(DataLoader(splits.train, batch_size=4)))
    assert batch["image"].shape == (4, 1, 4, 4)


def test_image_folder_missing_and_empty(tmp_path):
    with pytest.raises(DataSourceError, match="does not exist") as missing:
        build(ImageFolderSpec(path=str(tmp_path / "nope")))
    assert str(tmp_path / "nope") in str(missing.value)
    (tmp_path / "readme.md").write_text("x")
    with pytest.raises(DataSourceError, match=r"no \.png/\.jpg/\.jpeg files found.*1 other file"):
        build(ImageFolderSpec(path=str(tmp_path)))
    with pytest.raises(DataSourceError, match="is a file"):
        build(ImageFolderSpec(path=str(tmp_path / "readme.md")))


def test_image_folder_corrupt_file_named_at_startup(tmp_path):
    write_image(tmp_path / "good.png")
    (tmp_path / "bad.png").write_bytes(b"this is not a png")
    with pytest.raises(DataSourceError, match="bad.png"):
        build(ImageFolderSpec(path=str(tmp_path)))


def test_image_folder_truncated_file_named_on_read(tmp_path):
    write_image(tmp_path / "a.png", size=(64, 64))
    data = (tmp_path / "a.png").read_bytes()
    write_image(tmp_path / "b.png", size=(64, 64))
    (tmp_path / "b.png").write_bytes(data[: len(data) // 2])  # the header is intact, the pixels are not
    splits = build(ImageFolderSpec(path=str(tmp_path), image_size=8, val_fraction=0.0, cache=False))
    assert splits.train[0]["image"].shape == (3, 8, 8)
    with pytest.raises(DataSourceError, match="b.png"):
        splits.train[1]
    with pytest.raises(DataSourceError, match="b.png"):  # with the cache (default) it stops at start-up
        build(ImageFolderSpec(path=str(tmp_path), image_size=8, val_fraction=0.0, cache_dir=str(tmp_path / "c")))


def test_image_folder_refuses_16_bit_images_and_loose_files_with_labels(tmp_path):
    Image.fromarray(np.full((4, 4), 60000, dtype=np.uint16)).save(tmp_path / "deep.png")
    with pytest.raises(DataSourceError, match="deep.png.*8-bit"):
        build(ImageFolderSpec(path=str(tmp_path)))
    other = tmp_path / "other"
    write_image(other / "loose.png")
    with pytest.raises(DataSourceError, match="class sub-folder.*loose.png"):
        build(ImageFolderSpec(path=str(other), labels=True))


# --------------------------------------------------------------------------- npz
def npz_spec(path, **kwargs) -> NpzSpec:
    return NpzSpec(path=str(path), val_fraction=0.0, **kwargs)


def test_npz_channels_last_and_first_agree(tmp_path):
    rng = np.random.default_rng(0)
    first = rng.integers(0, 256, size=(6, 3, 4, 5), dtype=np.uint8)
    np.savez(tmp_path / "first.npz", image=first, y=np.arange(6))
    np.savez(tmp_path / "last.npz", image=first.transpose(0, 2, 3, 1))
    a = build(npz_spec(tmp_path / "first.npz", layout="channels_first", value_range=(0, 255), labels_key="y"))
    b = build(npz_spec(tmp_path / "last.npz", layout="channels_last", value_range=(0, 255)))
    assert a.layout == b.layout == "channels_first"
    xa, xb = stack(a.train), stack(b.train)
    assert xa.shape == (6, 3, 4, 5) and torch.equal(xa, xb)
    assert torch.allclose(xa, torch.from_numpy(first).float() / 127.5 - 1, atol=1e-6)
    assert stack(a.train, "class_label").tolist() == list(range(6))


def test_npz_grey_vectors_and_value_range(tmp_path):
    np.savez(tmp_path / "d.npz", image=np.zeros((4, 3, 3)), vec=np.linspace(-2, 2, 12).reshape(6, 2))
    grey = build(npz_spec(tmp_path / "d.npz", value_range=(0, 1)))
    assert stack(grey.train).shape == (4, 1, 3, 3) and torch.all(stack(grey.train) == -1)
    vectors = build(npz_spec(tmp_path / "d.npz", key="vec", value_range=(-2, 2)))
    assert vectors.layout == "vector"
    v = stack(vectors.train)
    assert v.shape == (6, 2) and v.min() == -1 and v.max() == 1


def test_npz_requires_layout_for_4d(tmp_path):
    np.savez(tmp_path / "d.npz", image=np.zeros((2, 8, 8, 3)))
    with pytest.raises(DataSourceError, match="say layout: channels_first.*does not guess"):
        build(npz_spec(tmp_path / "d.npz", value_range=(0, 1)))
    np.savez(tmp_path / "g.npz", image=np.zeros((2, 8, 8)))
    with pytest.raises(DataSourceError, match="remove layout"):
        build(npz_spec(tmp_path / "g.npz", value_range=(0, 1), layout="channels_last"))


@pytest.mark.parametrize(("arrays", "kwargs", "message"), [
    ({"other": np.zeros((2, 2))}, {}, r"no array 'image'.*\['other'\]"),
    ({"image": np.zeros(5)}, {}, "has shape"),
    ({"image": np.zeros((1, 2, 3, 4, 5))}, {}, "has shape"),
    ({"image": np.array([[0.0, np.nan]])}, {}, "NaN/inf"),
    ({"image": np.array([[0.0, 2.0]])}, {}, r"outside value_range \[0, 1\]"),
    ({"image": np.array([["a", "b"]])}, {}, "dtype"),
    ({"image": np.zeros((3, 2)), "y": np.zeros(2, dtype=int)}, {"labels_key": "y"}, r"expected \(3,\)"),
    ({"image": np.zeros((2, 2)), "y": np.zeros(2)}, {"labels_key": "y"}, "integers"),
    ({"image": np.zeros((2, 2)), "y": np.array([0, -1])}, {"labels_key": "y"}, "negative"),
])
def test_npz_errors(tmp_path, arrays, kwargs, message):
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(DataSourceError, match=message):
        build(npz_spec(tmp_path / "d.npz", value_range=(0, 1), **kwargs))


def test_npz_missing_corrupt_and_npy(tmp_path):
    with pytest.raises(DataSourceError, match="no such file"):
        build(npz_spec(tmp_path / "missing.npz", value_range=(0, 1)))
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(DataSourceError, match="bad.npz: cannot read"):
        build(npz_spec(tmp_path / "bad.npz", value_range=(0, 1)))
    np.save(tmp_path / "single.npy", np.zeros((2, 2)))
    with pytest.raises(DataSourceError, match="single-array .npy"):
        build(npz_spec(tmp_path / "single.npy", value_range=(0, 1)))
    np.savez(tmp_path / "objects.npz", image=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataSourceError, match="cannot read its arrays"):
        build(npz_spec(tmp_path / "objects.npz", value_range=(0, 1)))
