"""Tiny datasets written to local disk, for the tests and the conformance checks (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path


def save_tiny_dataset(folder: Path, count: int = 6, size: int = 8, columns: tuple[str, ...] = ("image", "label"),
                      mask_size: int | None = None) -> Path:
    """``datasets.Dataset.from_dict(...).save_to_disk(folder)``: grey ``size`` x ``size`` images of rising shade,
    labels i % 3 and, with ``mask_size``, a ``mask`` column of binary grey images of that size."""
    import datasets
    from PIL import Image

    data: dict = {}
    if "image" in columns:
        data["image"] = [Image.new("L", (size, size), color=30 * i) for i in range(count)]
    if "label" in columns:
        data["label"] = [i % 3 for i in range(count)]
    features = {"image": datasets.Image(), "label": datasets.Value("int64")}
    if mask_size is not None:
        data["mask"] = [Image.new("L", (mask_size, mask_size), color=255 * (i % 2)) for i in range(count)]
        features["mask"] = datasets.Image()
    dataset = datasets.Dataset.from_dict(data, features=datasets.Features({k: features[k] for k in data}))
    dataset.save_to_disk(str(folder))
    return folder
