"""Callbacks of a training run: sample grids, the loss curve, the data position on resume."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytorch_lightning as pl
import torch

from ddpm_kit.plotting import image_grid, line_chart, scatter_plot

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

log = logging.getLogger(__name__)


class DataPosition(pl.Callback):
    """Gives the train sampler its rank (at setup, before Lightning sizes the epoch) and, once a checkpoint is
    restored, the sample this rank consumes next."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def setup(self, trainer: pl.Trainer, module: pl.LightningModule, stage: str) -> None:
        sampler = self.loader.sampler
        sampler.rank, sampler.world = trainer.global_rank, trainer.world_size
        sampler.per_epoch = sampler.size // sampler.world

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        batch_size = self.loader.batch_size or 1
        self.loader.sampler.start = trainer.global_step * trainer.accumulate_grad_batches * batch_size


class SampleGrids(pl.Callback):
    """Writes upstream's log_images rows as PNG every ``every`` optimizer steps and at the end (rank 0)."""

    def __init__(self, out_dir: Path, batch: dict[str, Any], every: int, num_samples: int, seed: int) -> None:
        self.out_dir, self.batch, self.every = out_dir, batch, every
        self.num_samples, self.seed = num_samples, seed
        self._last = -1

    def write(self, trainer: pl.Trainer, module: DDPM, tag: str) -> list[Path]:
        if not trainer.is_global_zero or trainer.global_step == self._last:
            return []
        self._last = trainer.global_step
        was_training = module.training
        module.eval()
        generator = torch.Generator().manual_seed(self.seed)
        images = module.log_images(self.batch, N=self.num_samples, n_row=4, generator=generator)
        module.train(was_training)
        written = []
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, value in images.items():
            path = self.out_dir / f"{tag}_{name}.png"
            array = value.detach().float().cpu().numpy()
            if array.ndim == 2:  # vectors: a scatter of the first two coordinates
                scatter_plot(array, path, title=f"{name} at step {trainer.global_step}")
            elif array.ndim == 3:  # a ready grid [3, H, W]
                image_grid(array[None], nrow=1, padding=0, scale=4).save(path)
            else:
                image_grid(array, nrow=int(np.ceil(np.sqrt(len(array)))), scale=4).save(path)
            written.append(path)
        return written

    def on_train_batch_end(self, trainer: pl.Trainer, module: DDPM, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = trainer.global_step
        if self.every > 0 and step > 0 and step % self.every == 0:
            self.write(trainer, module, f"step{step:06d}")

    def on_train_end(self, trainer: pl.Trainer, module: DDPM) -> None:
        paths = self.write(trainer, module, f"step{trainer.global_step:06d}")
        for path in paths:
            log.info("wrote %s", path)


def read_metrics(csv_path: Path) -> dict[str, tuple[list[float], list[float]]]:
    """Lightning CSVLogger metrics as {column: (steps, values)} (empty cells skipped)."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    if not csv_path.exists():
        return series
    with csv_path.open() as handle:
        for row in csv.DictReader(handle):
            step = float(row.get("step") or 0)
            for key, value in row.items():
                if key in ("step", "epoch") or value in (None, ""):
                    continue
                xs, ys = series.setdefault(key, ([], []))
                xs.append(step)
                ys.append(float(value))
    return series


def loss_curve(csv_path: Path, out_path: Path) -> Path | None:
    """PNG of the training and validation losses against the optimizer step."""
    series = read_metrics(csv_path)
    train = {k: v for k, v in series.items() if k in ("train/loss_step", "train/loss_simple_step")}
    val = {k: v for k, v in series.items() if k.startswith("val/loss")}
    if not train and not val:
        return None
    panels = []
    if train:
        panels.append({"title": "training loss", "xlabel": "step", "ylabel": "loss", "series": train})
    if val:
        panels.append({"title": "validation loss", "xlabel": "step", "ylabel": "loss", "series": val})
    return line_chart(panels, out_path)
