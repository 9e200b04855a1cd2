"""In-loop sample-quality evaluation: every ``eval.every_n_steps`` optimizer steps, on rank 0, with the EMA weights.

The scores are broadcast to every rank and logged as ``val/<key>_ema`` (``val/fd_ema``, ``val/kid_ema``, ...), so a
``ModelCheckpoint`` monitoring one of them keeps the checkpoints with the best sample quality. The samples are those
``ddpm-kit evaluate`` draws for the same weights and seed (``ddpm_kit.evaluation.quality``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl
import torch

from ddpm_kit.config.evaluation import EvalConfig
from ddpm_kit.config.run import RunConfig

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

log = logging.getLogger(__name__)


class SampleQuality(pl.Callback):
    """Scores ``settings.n`` samples of the EMA weights every ``settings.every_n_steps`` optimizer steps."""

    def __init__(self, settings: EvalConfig, run: RunConfig, cache_dir: Path) -> None:
        self.settings, self.run, self.cache_dir = settings, run, cache_dir
        self._evaluator: Any = None
        self._last = -1
        self.seconds = 0.0  # time spent evaluating (benchmarks/train_overhead reports it)

    def on_train_batch_end(self, trainer: pl.Trainer, module: DDPM, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = trainer.global_step
        if step == 0 or step % self.settings.every_n_steps or step == self._last:
            return  # (with gradient accumulation the hook runs once per micro-batch at the same step)
        self._last = step
        scores = self.score(module) if trainer.is_global_zero else None
        scores = trainer.strategy.broadcast(scores, src=0)
        if not scores:
            return
        metrics = {f"val/{key}_ema": float(value) for key, value in scores.items()}
        # straight to the loggers at this step (self.log in a batch hook would repeat the value at later steps),
        # and into callback_metrics, where ModelCheckpoint (run after this callback) reads its monitor
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=step)
        trainer.callback_metrics.update({key: torch.tensor(value, dtype=torch.float64)
                                         for key, value in metrics.items()})

    def score(self, module: DDPM) -> dict[str, float]:
        """The scores of the module's EMA weights (its training weights when it has no EMA)."""
        from ddpm_kit.evaluation.quality import Evaluator
        from ddpm_kit.generation import NonFiniteSamples

        start = time.perf_counter()
        if self._evaluator is None:
            self._evaluator = Evaluator(self.settings, self.run, self.cache_dir, module.device)
        was_training = module.training
        module.eval()
        try:
            with module.ema_scope("evaluation"):
                scores = self._evaluator.score_module(module)
        except NonFiniteSamples as exc:  # the run itself goes on: its loss decides whether it has diverged
            log.warning("step %d: no sample-quality scores: %s", module.global_step, exc)
            return {}
        finally:
            module.train(was_training)
        self.seconds += time.perf_counter() - start
        log.info("step %d: %s", module.global_step, ", ".join(f"{k} {v:.4g}" for k, v in scores.items()))
        return scores
