"""DataLoader options of a run: pinned memory on a GPU, persistent workers when there are workers."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from ddpm_kit.components.data.base_impl import TensorDictDataset
from ddpm_kit.training.data import loader_options, train_loader, val_loader


def test_defaults_follow_the_device_and_the_worker_count() -> None:
    assert loader_options(0, None, None, on_gpu=False) == {"pin_memory": False, "persistent_workers": False}
    assert loader_options(2, None, None, on_gpu=True) == {"pin_memory": True, "persistent_workers": True}
    assert loader_options(2, False, False, on_gpu=True) == {"pin_memory": False, "persistent_workers": False}
    assert loader_options(0, None, True, on_gpu=False)["persistent_workers"] is False  # needs workers


def test_train_loader_takes_the_options() -> None:
    data = TensorDictDataset({"image": torch.zeros(8, 2)})
    loader = train_loader(data, 4, 1, 0, **loader_options(1, None, None, on_gpu=False))
    assert loader.persistent_workers and not loader.pin_memory and loader.num_workers == 1


class _Strategies(Dataset):
    """Items that say which sharing strategy the process that made them uses."""

    def __len__(self) -> int:
        return 6

    def __getitem__(self, index: int) -> dict:
        return {"strategy": torch.multiprocessing.get_sharing_strategy(), "x": torch.full((3,), float(index))}


def test_workers_hand_batches_over_by_name_and_the_trainer_keeps_its_strategy() -> None:
    before = torch.multiprocessing.get_sharing_strategy()
    from_workers = list(train_loader(_Strategies(), 2, 2, 0))
    in_process = list(train_loader(_Strategies(), 2, 0, 0))
    assert [batch["strategy"] for batch in from_workers] == [["file_system"] * 2] * 3
    assert torch.multiprocessing.get_sharing_strategy() == before
    assert all(torch.equal(a["x"], b["x"]) for a, b in zip(from_workers, in_process, strict=True))
    val = val_loader(_Strategies(), 3, 1)
    assert val is not None and [batch["strategy"] for batch in val] == [["file_system"] * 3] * 2
