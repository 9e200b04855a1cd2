"""``ddpm-kit evaluate CKPT [--n 1000] [--sampler NAME --steps S] [--metrics fd,kid,pr] [--reference val] ...``.

Samples from a checkpoint (per-sample seeded noise streams, as ``ddpm-kit sample``), extracts features and prints one
table of sample-quality metrics against reference images the model did not train on (``val`` by default), with the
real-vs-real floor at the same n. ``--samples FILE.npz`` scores existing samples without a checkpoint.
Exit codes: 0 scored, 1 bad input (names, files, shapes), 2 a path that does not exist or a malformed option.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.errors import UserError
from ddpm_kit.cli.common import (
    CKPT_HELP, eta_option, missing_path_error, one_paragraph, pick_device, sampler_option, sampler_options,
    sampler_setting_option, spacing_option, steps_option,
)

log = logging.getLogger(__name__)


@app.command()
def evaluate(
    checkpoint: Optional[Path] = typer.Argument(None, help=CKPT_HELP + " (omit with --samples)"),
    samples: Optional[Path] = typer.Option(None, "--samples", help="score the images in this .npz ('samples' "
                                                                   "[N, C, H, W] in [-1, 1]) instead of sampling"),
    config: Optional[Path] = typer.Option(None, "--config", help="run config whose data (and eval) sections give "
                                                                 "the reference (default: the checkpoint's)"),
    n: Optional[int] = typer.Option(None, "--n", help="number of samples (default: eval.n of the config, else 1000)"),
    sampler: Optional[str] = sampler_option("eval.sampler of the config, else the model's"),
    steps: Optional[int] = steps_option(),
    eta: Optional[float] = eta_option(),
    spacing: Optional[str] = spacing_option(),
    option: list[str] = sampler_setting_option(),
    metrics: Optional[str] = typer.Option(None, "--metrics", help="comma-separated: fd, kid, pr, cs, mem "
                                                                  "(default: eval.metrics, else fd,kid,pr,mem)"),
    extractor: Optional[str] = typer.Option(None, "--extractor", help="feature extractor: a name or YAML "
                                                                      "'{name: inception_fid, weights: FILE}'"),
    reference: Optional[str] = typer.Option(None, "--reference", help="train, val or FILE.npz of features"),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="seed of the samples (default: eval.seed, 0)"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="network batch while sampling"),
    cache_dir: Path = typer.Option(Path(".cache/ddpm-kit/reference"), "--cache-dir",
                                   help="where reference features are cached (keyed by data, extractor, weights)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON instead of a table"),
    ema: Optional[bool] = typer.Option(None, "--ema/--no-ema", help="EMA weights (default when present)"),
    device: str = typer.Option("auto", "--device", help="cpu, cuda, ... (auto: cuda when available)"),
) -> None:
    """Score samples of a checkpoint (or an .npz of samples) against reference images: FD, KID, precision/recall,
    classifier score, memorisation."""
    if (checkpoint is None) == (samples is None):
        raise UserError("give a checkpoint to sample from, or --samples FILE.npz to score (not both)")
    for path in (checkpoint, samples, config):
        if path is not None and not path.exists():
            raise missing_path_error(path)
    if samples is not None and ((sampler, steps, eta, spacing, ema) != (None,) * 5 or option):
        raise UserError("--sampler/--steps/--eta/--spacing/--option/--ema apply to sampling from a checkpoint, not "
                        "to --samples")
    given = {"steps": steps, "eta": eta, "spacing": spacing, **sampler_options(option)}
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    target = pick_device(device)
    with user_errors():
        from ddpm_kit.cli.evaluate_setup import resolve_settings, run_config_of

        module = _load(checkpoint, ema) if checkpoint is not None else None
        run = run_config_of(config, module)
        settings = resolve_settings(run, n=n, sampler=sampler, sampler_params=given, metrics=metrics,
                                    extractor=extractor, reference=reference, seed=seed, batch_size=batch_size)
        from ddpm_kit.evaluation.quality import evaluate_request, no_progress

        if module is not None:
            module.to(target)
        result = evaluate_request(module, run, settings, samples_file=samples, cache_dir=cache_dir, device=target,
                                  phase=no_progress if as_json else progress_phase)
    if checkpoint is not None:
        result["source"] = str(checkpoint)
    if as_json:
        typer.echo(json.dumps(result, indent=2, allow_nan=False, default=_json_value))
    else:
        print_table(result)


@contextmanager
def progress_phase(what: str) -> Iterator[Any]:
    """A progress bar (rich on a terminal, plain lines otherwise, on stderr) for one phase of the evaluation."""
    from ddpm_kit.progress import CallbackProgress

    bar = CallbackProgress(what)
    try:
        yield bar
    finally:
        bar.close()


def _load(checkpoint: Path, ema: bool | None) -> Any:
    from ddpm_kit.inference import load_for_sampling

    return load_for_sampling(checkpoint, ema=ema)


@contextmanager
def user_errors() -> Iterator[None]:
    """Expected failures (checkpoint, config, registry, extractor weights, evaluation input) as one-paragraph
    UserErrors."""
    from ddpm_kit.checkpoint import CheckpointError
    from ddpm_kit.components.feature_extractors.base_impl import ExtractorError
    from ddpm_kit.config import ConfigError
    from ddpm_kit.evaluation.errors import EvaluationError
    from ddpm_kit.generation import NonFiniteSamples
    from ddpm_kit.registry import RegistryError

    try:
        yield
    except (CheckpointError, EvaluationError, ExtractorError, NonFiniteSamples, RegistryError) as exc:
        raise UserError(str(exc)) from None
    except ConfigError as exc:
        raise UserError(f"{exc.source}: {one_paragraph(exc)}") from None


def _json_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def print_table(result: dict) -> None:
    """One rich table: metric, value for the samples, the real-vs-real floor at the same n."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result['source']}: n={result['n']} vs {result['reference']} "
                        f"({result['reference_n']} images), {result['extractor']} features")
    table.add_column("metric")
    table.add_column("samples", justify="right")
    table.add_column("real vs real", justify="right")
    for key, value in result["metrics"].items():
        floor = result["floor"].get(key)
        table.add_row(key, _fmt(value), "" if floor is None else _fmt(floor))
    Console().print(table)


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.3e}"
