"""The training display: one progress bar over optimizer steps with loss, lr and the latest evaluation score.

Replaces Lightning's per-epoch bar (``enable_progress_bar=False`` on the Trainer); the full metrics stay in
the logs. Rank 0 only. ``quiet_lightning()`` drops Lightning's start-up banners and advertising tips.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, IO, Any

import pytorch_lightning as pl

from ddpm_kit.progress import Reporter, open_progress

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

#: Lightning info lines a ddpm-kit user does not need (warnings, e.g. "GPU available but not used", stay)
BANNERS = ("💡", "GPU available:", "TPU available:", "HPU available:", "LOCAL_RANK:", "`Trainer.fit` stopped")
LIGHTNING_LOGGERS = ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric")


class _DropBanners(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).lstrip().startswith(BANNERS)


def quiet_lightning() -> None:
    """Lightning's loggers to WARNING and its banners/tips filtered out (call after importing Lightning)."""
    for name in LIGHTNING_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if not any(isinstance(f, _DropBanners) for f in logger.filters):
            logger.addFilter(_DropBanners())
    rank_zero = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    if not any(isinstance(f, _DropBanners) for f in rank_zero.filters):
        rank_zero.addFilter(_DropBanners())


def total_steps(trainer: pl.Trainer) -> int:
    """Optimizer steps the fit runs to: ``max_steps``, else ``max_epochs`` x optimizer steps per epoch."""
    if trainer.max_steps and trainer.max_steps > 0:
        return int(trainer.max_steps)
    batches = trainer.num_training_batches
    per_epoch = math.ceil(batches / trainer.accumulate_grad_batches) if math.isfinite(batches) else 0
    return max(int((trainer.max_epochs or 1) * per_epoch), 1)


def figures(metrics: dict[str, Any], lr: float | None) -> str:
    """``loss 0.0412 lr 2.0e-4 val/fd 12.3``: the training loss, the learning rate, the latest ``val/fd*``."""
    parts = []
    for key in ("train/loss_step", "train/loss"):
        if key in metrics:
            parts.append(f"loss {float(metrics[key]):.4f}")
            break
    if lr is not None:
        parts.append(f"lr {lr:.1e}")
    scores = sorted(k for k in metrics if k.startswith("val/fd"))
    if scores:
        parts.append(f"{scores[0]} {float(metrics[scores[0]]):.4g}")
    return " ".join(parts)


class StepProgress(pl.Callback):
    """Progress over optimizer steps (global step / total, rate, ETA) with a short line of figures."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self.reporter: Reporter | None = None

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if trainer.is_global_zero:
            self.reporter = open_progress(total_steps(trainer), "step", self.stream, initial=trainer.global_step)

    def on_train_batch_end(self, trainer: pl.Trainer, module: DDPM, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self.reporter is not None:
            lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
            self.reporter.update(trainer.global_step, figures(trainer.callback_metrics, lr))
            if trainer.global_step >= total_steps(trainer):
                self.close()  # the last step: the bar ends before the final sample grids are logged

    def on_train_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.close()

    def on_exception(self, trainer: pl.Trainer, module: pl.LightningModule, exception: BaseException) -> None:
        self.close()

    def close(self) -> None:
        if self.reporter is not None:
            self.reporter.close()
            self.reporter = None
