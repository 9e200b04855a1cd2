"""The run's logger, continued across a resume.

Lightning's ``CSVLogger`` deletes an existing ``metrics.csv`` when it starts, so a resumed run would lose
every row logged before the interruption. Here the rows of the steps before the resumed checkpoint are kept
and the resumed run appends to them; rows of later steps (logged after that checkpoint, before the
interruption) are dropped because the resumed run logs those steps again. TensorBoard keeps earlier event
files by itself.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter
from pytorch_lightning.loggers.logger import Logger, rank_zero_experiment

METRICS_FILE = "metrics.csv"
SET_ASIDE = "metrics.csv.before-resume"


def run_logger(kind: str, out_dir: Path, start_step: int) -> Logger:
    """The logger of a run writing to ``out_dir/logs`` that (re)starts at optimizer step ``start_step``."""
    if kind == "tensorboard":
        return TensorBoardLogger(out_dir, name="logs", version="")
    return ContinuedCSVLogger(out_dir, start_step)


class ContinuedCSVLogger(CSVLogger):
    """``CSVLogger(out_dir, name="logs", version="")`` that keeps the rows of steps before ``start_step``."""

    def __init__(self, out_dir: Path, start_step: int) -> None:
        super().__init__(out_dir, name="logs", version="")
        self.start_step = start_step

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _ContinuedWriter(self.log_dir, self.start_step)
        return self._experiment


class _ContinuedWriter(ExperimentWriter):
    def __init__(self, log_dir: str, start_step: int) -> None:
        current, aside = Path(log_dir) / METRICS_FILE, Path(log_dir) / SET_ASIDE
        if current.is_file():
            # Lightning's writer deletes metrics.csv; the rows wait here until they are written back. An
            # older file set aside by an interrupted resume holds a subset of `current`, so it is replaced.
            os.replace(current, aside)
        super().__init__(log_dir)
        if aside.is_file():
            self.metrics_keys = _write_rows_before(aside, current, start_step)
            aside.unlink()


def _write_rows_before(source: Path, target: Path, start_step: int) -> list[str]:
    """Copy the rows of ``source`` with step < ``start_step`` to ``target`` (atomically); return the header."""
    with source.open(newline="") as file:
        reader = csv.DictReader(file)
        header = list(reader.fieldnames or [])
        rows = [row for row in reader if _step(row) < start_step]
    partial = target.with_name(target.name + ".partial")
    with partial.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, target)
    return sorted(header)


def _step(row: dict[str, Any]) -> float:
    value = row.get("step") or ""
    return float(value) if value else float("inf")
