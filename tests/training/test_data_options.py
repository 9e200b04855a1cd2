"""DataLoader options of a run: pinned memory on a GPU, persistent workers when there are workers."""

from __future__ import annotations

import torch

from ddpm_kit.components.data.base_impl import TensorDictDataset
from ddpm_kit.training.data import loader_options, train_loader


def test_defaults_follow_the_device_and_the_worker_count() -> None:
    assert loader_options(0, None, None, on_gpu=False) == {"pin_memory": False, "persistent_workers": False}
    assert loader_options(2, None, None, on_gpu=True) == {"pin_memory": True, "persistent_workers": True}
    assert loader_options(2, False, False, on_gpu=True) == {"pin_memory": False, "persistent_workers": False}
    assert loader_options(0, None, True, on_gpu=False)["persistent_workers"] is False  # needs workers


def test_train_loader_takes_the_options() -> None:
    data = TensorDictDataset({"image": torch.zeros(8, 2)})
    loader = train_loader(data, 4, 1, 0, **loader_options(1, None, None, on_gpu=False))
    assert loader.persistent_workers and not loader.pin_memory and loader.num_workers == 1
