"""``train(run, out_dir)``: a validated RunConfig through Lightning's Trainer, with everything written to out_dir.

Layout of ``out_dir``: ``config.yaml`` (the resolved config), ``checkpoints/last.ckpt`` and the best
checkpoints by ``monitor``, ``logs/metrics.csv``, ``images/*.png`` (sample grids), ``loss_curve.png``.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ddpm_kit.config import RunConfig
from ddpm_kit.training.result import TrainResult, collect_result
from ddpm_kit.training.rundir import RunDirError, check_out_dir, run_lock

log = logging.getLogger(__name__)


class TrainingStopped(RuntimeError):
    """Training stopped on a non-finite loss; the message names the step, the terms and the last good checkpoint."""


class TrainingInterrupted(RuntimeError):
    """SIGINT or SIGTERM stopped training after a step; a checkpoint was saved. ``exit_code`` 130 / 143."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def prepare_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` and prove it is writable before any compute starts."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".ddpm-kit-write-test"
        probe.write_bytes(b"0" * 4096)
        probe.unlink()
    except OSError as exc:
        raise RunDirError(f"output directory {out_dir} is not usable: {exc.strerror or exc}; choose another with "
                          f"--out") from None


def resume_step(run: RunConfig, checkpoint: Path) -> int:
    """The optimizer step ``checkpoint`` resumes at. A resumed run must train the same model: differing model
    settings are an error naming them."""
    from ddpm_kit.checkpoint import read_checkpoint

    stored = read_checkpoint(checkpoint)
    previous = (stored.get("hyper_parameters") or {}).get("run")
    if not isinstance(previous, dict) or not isinstance(previous.get("model"), dict):
        raise RunDirError(f"{checkpoint} holds no ddpm-kit run config; cannot resume from it")
    step = stored.get("global_step")
    if type(step) is not int or step < 0:
        raise RunDirError(f"{checkpoint}: global_step is {step!r}, not a step count; cannot resume from it")
    if not stored.get("optimizer_states"):
        raise RunDirError(f"{checkpoint}: holds no optimizer state (a weights-only checkpoint); cannot resume "
                          f"from it: start a new run (--force, or another --out) with model.ckpt_path to "
                          f"initialise from it")
    now = run.model_dump(mode="json")
    different = sorted(k for k in now["model"] if now["model"].get(k) != previous["model"].get(k))
    if different:
        raise RunDirError(f"{checkpoint} was trained with other model settings ({', '.join(different)}); "
                          f"use another --out, or the same config to resume")
    max_steps = run.trainer.max_steps
    if max_steps is not None and 0 <= max_steps <= step:
        raise RunDirError(f"{checkpoint} is already at step {step}, not before trainer.max_steps {max_steps}: "
                          f"nothing to train; raise trainer.max_steps to continue it")
    return step


def worker_message(exc: Exception) -> str:
    """The one-paragraph message of an error raised in a DataLoader worker, without the traceback text that
    torch's re-raise puts in front of it."""
    text = str(exc)
    if "Original Traceback" not in text:
        return text
    last = [line for line in text.splitlines() if line.strip()][-1]
    return last.split("Error: ", 1)[1] if "Error: " in last else last


def trainer_kwargs(run: RunConfig) -> dict[str, Any]:
    kwargs = run.trainer.model_dump()
    return {k: v for k, v in kwargs.items() if v is not None}


def launch_rank() -> int:
    """The process rank set by a launcher (torchrun, SLURM, Lightning's DDP), before the Trainer exists."""
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        if name in os.environ:
            return int(os.environ[name])
    return 0


def best_checkpoint(run: RunConfig, checkpoints: Path, has_val: bool) -> Any:
    """The ModelCheckpoint keeping the ``save_top_k`` best by ``model.monitor`` (None when nothing is monitored).
    A sample-quality key (``val/fd_ema``) is checked at each evaluation, the losses at each validation."""
    from pytorch_lightning.callbacks import ModelCheckpoint

    from ddpm_kit.config.evaluation import logged_keys, monitor_mode

    monitor = run.model.monitor
    quality = run.eval is not None and monitor in logged_keys(run.eval.metrics)
    if monitor is None or run.output.save_top_k == 0 or (monitor.startswith("val/") and not has_val and not quality):
        return None
    every = run.eval.every_n_steps if quality and run.eval is not None else None
    return ModelCheckpoint(dirpath=checkpoints, filename="best-{step:06d}", monitor=monitor, mode=monitor_mode(monitor),
                           save_top_k=run.output.save_top_k, auto_insert_metric_name=False, every_n_train_steps=every)


def train(run: RunConfig, out_dir: Path, resume: bool = False, callbacks: Sequence[Any] = (), force: bool = False,
          config_path: Path | None = None) -> TrainResult:
    """Train ``run`` into ``out_dir``; ``callbacks`` are added to the Trainer's.

    Its ``checkpoints/last.ckpt`` is resumed when the folder holds a run of the same config (other
    ``trainer.max_steps`` allowed); a non-empty folder of anything else is a RunDirError unless ``force``.
    Nothing is written before the config, the folder and the data source were checked.
    """
    import pytorch_lightning as pl

    from ddpm_kit.training.startup import (
        check_conditions_fit, check_devices, check_extractor_loads, check_items_fit, check_labels_fit,
        check_trainer_settings,
    )

    check_devices(run.trainer)
    check_trainer_settings(trainer_kwargs(run))
    out_dir = Path(out_dir)
    if launch_rank() == 0:
        resumable = check_out_dir(out_dir, run.model_dump(mode="json"), config_path, force)
    else:  # rank 0 checked the folder (and may have written config.yaml already)
        resumable = (out_dir / "checkpoints" / "last.ckpt").exists() and not force
    last = out_dir / "checkpoints" / "last.ckpt"
    if resume and not resumable:
        raise RunDirError(f"--resume: {last} does not exist" if not last.exists() else
                          "--resume and --force: choose one")
    start_step = resume_step(run, last) if resumable else 0
    pl.seed_everything(run.seed, workers=True, verbose=False)
    splits = run.data.load_impl()(run.data)  # the data source is opened and checked before anything is written
    check_labels_fit(run, splits)
    check_items_fit(run, splits)
    check_conditions_fit(run, splits)
    check_extractor_loads(run)
    prepare_out_dir(out_dir)
    if launch_rank() != 0:
        return _fit(run, out_dir, splits, last if resumable else None, start_step, callbacks)
    with run_lock(out_dir):
        if resumable:
            log.info("resuming from %s", last)
        (out_dir / "config.yaml").write_text(yaml.safe_dump(run.model_dump(mode="json"), sort_keys=False))
        return _fit(run, out_dir, splits, last if resumable else None, start_step, callbacks)


def _fit(run: RunConfig, out_dir: Path, splits: Any, resume_from: Path | None, start_step: int,
         callbacks: Sequence[Any]) -> TrainResult:
    import pytorch_lightning as pl

    from ddpm_kit.module import DDPM
    from ddpm_kit.training.data import loader_options, on_gpu, train_loader, val_loader
    from ddpm_kit.training.logs import run_logger
    from ddpm_kit.training.progress import StepProgress, quiet_lightning
    from ddpm_kit.training.signals import StopOnSignal

    last = out_dir / "checkpoints" / "last.ckpt"
    layout = {"channels_first": "channels_first", "vector": "vector"}[splits.layout]
    options = loader_options(run.data.num_workers, run.data.pin_memory, run.data.persistent_workers,
                             on_gpu(run.trainer.accelerator))
    train_data = train_loader(splits.train, run.data.batch_size, run.data.num_workers, run.seed, **options)
    val_data = val_loader(splits.val, run.data.batch_size, run.data.num_workers, **options)
    model = DDPM(run=run, input_layout=layout)
    callbacks, best_ckpt = _callbacks(run, out_dir, train_data, val_data, [stopper := StopOnSignal(), *callbacks])
    kwargs = trainer_kwargs(run)
    if kwargs.pop("enable_progress_bar", True):  # ddpm-kit's step display replaces Lightning's per-epoch bar
        callbacks.append(StepProgress())
    quiet_lightning()
    trainer = pl.Trainer(default_root_dir=out_dir, logger=run_logger(run.output.logger, out_dir, start_step),
                         callbacks=callbacks, use_distributed_sampler=False, enable_model_summary=False,
                         enable_progress_bar=False, **kwargs)
    start = time.perf_counter()
    _run_fit(trainer, model, train_data, val_data, resume_from, stopper, out_dir)
    if stopper.signal_name is not None:
        trainer.save_checkpoint(last)
        raise TrainingInterrupted(f"{stopper.signal_name}: interrupted at step {trainer.global_step}; checkpoint "
                                  f"{last} saved; resume with: ddpm-kit train CONFIG --out {out_dir} --resume",
                                  stopper.exit_code)
    return collect_result(trainer, out_dir, time.perf_counter() - start, best_ckpt, resume_from)


def _callbacks(run: RunConfig, out_dir: Path, train_data: Any, val_data: Any,
               extra: Sequence[Any]) -> tuple[list[Any], Any]:
    """The run's callbacks (``extra`` after the data position) and its best-checkpoint callback (or None)."""
    from pytorch_lightning.callbacks import ModelCheckpoint

    from ddpm_kit.training import callbacks as cb
    from ddpm_kit.training.data import first_batch
    from ddpm_kit.training.evaluation import SampleQuality

    checkpoints = out_dir / "checkpoints"
    last_ckpt = ModelCheckpoint(dirpath=checkpoints, filename="last", save_top_k=0, save_last=True,
                                every_n_train_steps=run.output.checkpoint_every_n_steps)
    callbacks = [last_ckpt, cb.DataPosition(train_data), *extra]
    if run.eval is not None:
        callbacks.append(SampleQuality(run.eval, run, out_dir / "cache"))
    best_ckpt = best_checkpoint(run, checkpoints, val_data is not None)
    if best_ckpt is not None:
        callbacks.append(best_ckpt)
    grid_batch = first_batch(val_data or train_data, run.output.num_samples)
    callbacks.append(cb.SampleGrids(out_dir / "images", grid_batch, run.output.image_every_n_steps,
                                    run.output.num_samples, run.seed))
    return callbacks, best_ckpt


def _run_fit(trainer: Any, model: Any, train_data: Any, val_data: Any, resume_from: Path | None, stopper: Any,
             out_dir: Path) -> None:
    """``trainer.fit``, Lightning's noise filtered; data and non-finite-loss failures as ``train`` reports them."""
    from pytorch_lightning.utilities.exceptions import SIGTERMException

    from ddpm_kit.components.data.base_impl import DataSourceError
    from ddpm_kit.module_parts.steps import NonFiniteLoss

    with warnings.catch_warnings(), stopper.installed():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        # On resume: the earlier metrics are kept (training/logs.py) and the data position is restored by
        # DataPosition, whatever these two Lightning warnings say.
        warnings.filterwarnings("ignore", message=".*Previous log files in this directory will be deleted.*")
        warnings.filterwarnings("ignore", message=".*your dataloader is not resumable.*")
        try:
            trainer.fit(model, train_data, val_data, ckpt_path=str(resume_from) if resume_from else None)
        except SIGTERMException:  # Lightning's own SIGTERM handling ends fit with this SystemExit(0)
            if stopper.signal_name is None:
                raise
        except DataSourceError as exc:  # from a DataLoader worker it carries the worker's traceback as text
            raise DataSourceError(worker_message(exc)) from None
        except NonFiniteLoss as exc:
            good = last if (last := out_dir / "checkpoints" / "last.ckpt").exists() else None
            raise TrainingStopped(f"{exc}. The run stopped; the last good checkpoint is "
                                  f"{good or 'none (no checkpoint was written yet)'}; per-timestep losses "
                                  f"(train/loss_simple_q0..q3) are in {out_dir / 'logs'}. Lower the learning rate, "
                                  f"set trainer.gradient_clip_val, or set on_nonfinite_loss: skip") from None
