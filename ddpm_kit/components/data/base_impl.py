"""What every data source returns: ``DataSplits``, a dict-item dataset, the split and the error type; and the
one conversion of 8-bit pixels to the model's range."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from ddpm_kit.components.data.base import LAYOUTS


def to_model_range(x: Tensor) -> Tensor:
    """8-bit pixels p (uint8, 0..255) as float32 x = p / 127.5 - 1 in [-1, 1]; any other tensor (already in the
    model's range, or not an image: labels, embeddings) is returned as it is.

    Image sources may hand their items over as uint8 (a quarter of float32's bytes between loader workers
    and the trainer, and from host to device) and the model converts them here, on its device, as EDM2's
    training loop does (Karras et al. 2024, ``training_loop.py``: ``images / 127.5 - 1``).
    """
    if x.dtype == torch.uint8:
        return x.to(torch.float32).div_(127.5).sub_(1.0)
    return x


class DataSourceError(ValueError):
    """A data source that cannot be read; the message names the path or file and what to do."""


@dataclass(frozen=True)
class DataSplits:
    """Train and (optional) validation datasets of ``dict[str, Tensor]`` items, with their declared layout.

    ``layout`` is ``channels_first`` (image items [C, H, W]) or ``vector`` (items [D]).
    """

    train: Dataset
    val: Dataset | None
    layout: str

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {self.layout!r}")


class TensorDictDataset(Dataset):
    """Items ``{key: tensor[i]}`` from equally long tensors held in memory."""

    def __init__(self, tensors: dict[str, Tensor]) -> None:
        lengths = {key: len(value) for key, value in tensors.items()}
        if not tensors or len(set(lengths.values())) != 1:
            raise ValueError(f"TensorDictDataset needs tensors of one common length, got {lengths}")
        self.tensors = tensors
        self.length = next(iter(lengths.values()))

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        return {key: value[index] for key, value in self.tensors.items()}

    def subset(self, indices: Tensor) -> TensorDictDataset:
        return TensorDictDataset({key: value[indices] for key, value in self.tensors.items()})


def split_indices(count: int, val_fraction: float, seed: int) -> tuple[Tensor, Tensor | None]:
    """Deterministic split: a permutation seeded by ``seed``; the first round(count * val_fraction) are validation.

    Both index sets are returned sorted, so item order does not depend on the seed.
    """
    held_out = round(count * val_fraction)
    if val_fraction > 0 and not 1 <= held_out < count:
        raise DataSourceError(f"val_fraction {val_fraction} of {count} items leaves an empty train or validation split")
    if held_out == 0:
        return torch.arange(count), None
    order = np.random.default_rng(seed).permutation(count)
    val = torch.from_numpy(np.sort(order[:held_out]))
    train = torch.from_numpy(np.sort(order[held_out:]))
    return train, val


def split_tensors(tensors: dict[str, Tensor], val_fraction: float, seed: int, layout: str) -> DataSplits:
    """``DataSplits`` of in-memory tensors split by ``split_indices``."""
    full = TensorDictDataset(tensors)
    train, val = split_indices(len(full), val_fraction, seed)
    return DataSplits(full.subset(train), None if val is None else full.subset(val), layout)
