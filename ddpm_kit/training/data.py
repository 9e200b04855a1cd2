"""Data loaders whose order is a pure function of (seed, position), so a resumed run sees the same batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler


class StreamSampler(Sampler[int]):
    """Indices from an endless stream of seeded permutations; one ``epoch`` is ``len(dataset)`` of them per rank.

    Permutation e of the stream is ``randperm(n, seed + e)``; rank r of w takes stream positions r, r + w, ...
    ``start`` (samples this rank has consumed) is set from the global step when a run resumes, so
    data order does not depend on where a run was interrupted. Lightning's own sampler replacement is
    switched off (``use_distributed_sampler=False``): ranks are handled here.
    """

    def __init__(self, size: int, seed: int, rank: int = 0, world: int = 1) -> None:
        self.size, self.seed, self.rank, self.world = size, seed, rank, world
        self.start = 0
        self.per_epoch = size // world

    def __len__(self) -> int:
        return self.per_epoch

    def position(self, consumed: int) -> int:
        return consumed * self.world + self.rank

    def index_at(self, stream_position: int) -> int:
        epoch, offset = divmod(stream_position, self.size)
        if getattr(self, "_epoch", None) != epoch:
            self._epoch = epoch
            # a list: indexing it costs ~0.1 us per sample, a tensor element several us (the loader's main process)
            self._perm = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + epoch)).tolist()
        return self._perm[offset]

    def __iter__(self) -> Iterator[int]:
        first = self.start
        for consumed in range(first, first + self.per_epoch):
            self.start = consumed + 1
            yield self.index_at(self.position(consumed))


def loader_options(num_workers: int, pin_memory: bool | None, persistent_workers: bool | None,
                   on_gpu: bool) -> dict[str, Any]:
    """``pin_memory`` and ``persistent_workers`` of the run's DataLoaders; ``None`` picks the default: pinned
    memory on a GPU, persistent workers when there are workers (a new epoch then does not start them again)."""
    persistent = num_workers > 0 if persistent_workers is None else persistent_workers and num_workers > 0
    return {"pin_memory": on_gpu if pin_memory is None else pin_memory, "persistent_workers": persistent}


def share_by_name(worker_id: int) -> None:
    """``worker_init_fn`` of the run's loaders: a worker hands its batches to the trainer as named shared-memory
    files (torch's ``file_system`` sharing strategy) instead of file descriptors. Passing a descriptor costs a
    socket handshake with the worker for every tensor of every batch, and that handshake bounded a cached
    loader's images/s (``benchmarks/data_throughput``). Set in the workers only: the trainer process keeps its
    strategy, and what a worker sends is read back by either."""
    torch.multiprocessing.set_sharing_strategy("file_system")


def train_loader(dataset: Dataset, batch_size: int, num_workers: int, seed: int, **options: Any) -> DataLoader:
    """The training loader; ``options`` are ``loader_options``' (pin_memory, persistent_workers)."""
    sampler = StreamSampler(len(dataset), seed)  # type: ignore[arg-type]
    options = {"persistent_workers": False, **options, "num_workers": num_workers}
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=True, worker_init_fn=share_by_name,
                      **options)


def val_loader(dataset: Dataset | None, batch_size: int, num_workers: int, **options: Any) -> DataLoader | None:
    if dataset is None or len(dataset) == 0:  # type: ignore[arg-type]
        return None
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, worker_init_fn=share_by_name,
                      **{**options, "num_workers": num_workers})


def first_batch(loader: DataLoader, count: int) -> dict[str, Any]:
    """A fixed batch of ``count`` items (for sample grids): the first items of the dataset."""
    dataset = loader.dataset
    items = [dataset[i] for i in range(min(count, len(dataset)))]  # type: ignore[arg-type]
    return {key: torch.stack([torch.as_tensor(item[key]) for item in items]) for key in items[0]}


def on_gpu(accelerator: str) -> bool:
    """Whether a run with this ``trainer.accelerator`` trains on a CUDA GPU."""
    return accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
