"""What a training run hands back: ``TrainResult`` (the step reached, the files written) and its
``summary.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainResult:
    out_dir: Path
    global_step: int
    seconds: float
    last_checkpoint: Path | None
    best_checkpoint: Path | None
    images: list[Path] = field(default_factory=list)
    loss_curve: Path | None = None
    metrics_csv: Path | None = None
    resumed_from: Path | None = None

    def summary(self) -> dict[str, Any]:
        """``summary.json``: JSON types, paths relative to the run directory (null when absent)."""
        def rel(path: Path | None) -> str | None:
            if path is None:
                return None
            try:
                return str(Path(path).resolve().relative_to(Path(self.out_dir).resolve()))
            except ValueError:
                return str(path)

        return {"global_step": self.global_step, "seconds": round(self.seconds, 3),
                "last_checkpoint": rel(self.last_checkpoint), "best_checkpoint": rel(self.best_checkpoint),
                "images": [rel(image) for image in self.images], "loss_curve": rel(self.loss_curve),
                "metrics_csv": rel(self.metrics_csv), "resumed_from": rel(self.resumed_from)}

    def lines(self) -> list[str]:
        out = [f"trained to step {self.global_step} in {self.seconds:.0f} s"
               + (f" (resumed from {self.resumed_from})" if self.resumed_from else ""),
               f"  run directory   {self.out_dir}",
               f"  last checkpoint {self.last_checkpoint}"]
        if self.best_checkpoint:
            out.append(f"  best checkpoint {self.best_checkpoint}")
        if self.metrics_csv:
            out.append(f"  metrics         {self.metrics_csv}")
        if self.loss_curve:
            out.append(f"  loss curve      {self.loss_curve}")
        for image in self.images:
            out.append(f"  samples         {image}")
        return out


def collect_result(trainer: Any, out_dir: Path, seconds: float, best_ckpt: Any,
                   resume_from: Path | None) -> TrainResult:
    """The run's outcome (and ``summary.json``, the loss curve on rank 0)."""
    from ddpm_kit.training import callbacks as cb

    last = out_dir / "checkpoints" / "last.ckpt"
    metrics_csv = out_dir / "logs" / "metrics.csv"
    curve = cb.loss_curve(metrics_csv, out_dir / "loss_curve.png") if trainer.is_global_zero else None
    images = sorted((out_dir / "images").glob(f"step{trainer.global_step:06d}_*.png"))
    result = TrainResult(out_dir, trainer.global_step, seconds, last if last.exists() else None,
                         Path(best_ckpt.best_model_path) if best_ckpt and best_ckpt.best_model_path else None,
                         images, curve, metrics_csv if metrics_csv.exists() else None, resume_from)
    if trainer.is_global_zero:
        (out_dir / "summary.json").write_text(json.dumps(result.summary(), indent=2))
    return result
