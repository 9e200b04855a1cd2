"""``ddpm-kit train [CONFIG] [--set a.b=c ...] [--out DIR] [--resume]``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.errors import UserError
from ddpm_kit.cli.validate_core import SET_HELP

DEFAULT_PRESET = Path(__file__).resolve().parents[1] / "presets" / "digits.yaml"


@app.command()
def train(
    config: Optional[Path] = typer.Argument(None, help="YAML config; without it, the built-in digits default"),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    out: Optional[Path] = typer.Option(None, "--out", help="run directory (default: output.dir of the config)"),
    resume: bool = typer.Option(False, "--resume", help="continue from <out>/checkpoints/last.ckpt (also automatic "
                                                       "when it holds a run of the same config)"),
    force: bool = typer.Option(False, "--force", help="train afresh into a non-empty --out, overwriting its run"),
    strict: bool = typer.Option(False, "--strict", help="treat validation warnings as errors"),
) -> None:
    """Validate, then train with Lightning; writes checkpoints, logs, sample grids and a loss curve."""
    from ddpm_kit.config import validate_file
    from ddpm_kit.config.summary import format_summary, summarize

    report = validate_file(config or DEFAULT_PRESET, set_, strict=strict)
    for issue in report.issues:
        typer.echo(issue.format(), err=True)
    if not report.ok:
        typer.echo(f"{report.source}: {len(report.errors)} error(s); nothing was started", err=True)
        raise typer.Exit(1)
    run = report.config
    out_dir = out or Path(run.output.dir)
    typer.echo(f"training {report.source} -> {out_dir}")
    for line in format_summary(summarize(run)):
        typer.echo("  " + line)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    from ddpm_kit.checkpoint import CheckpointError
    from ddpm_kit.components.data.base_impl import DataSourceError
    from ddpm_kit.components.feature_extractors.base_impl import ExtractorError
    from ddpm_kit.training.startup import DeviceError
    from ddpm_kit.training.run import RunDirError, TrainingInterrupted, TrainingStopped, train as run_training

    try:
        result = run_training(run, out_dir, resume=resume, force=force, config_path=config)
    except TrainingInterrupted as exc:
        error = UserError(str(exc).replace("CONFIG", str(config or DEFAULT_PRESET)))
        error.exit_code = exc.exit_code
        raise error from None
    except (RunDirError, CheckpointError, DataSourceError, DeviceError, ExtractorError, TrainingStopped) as exc:
        raise UserError(str(exc)) from None

    for line in result.lines():
        typer.echo(line)
