"""``ddpm-kit schedule show|plot``: what a schedule name means, in numbers and in a picture (torch-free)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.errors import UserError
from ddpm_kit.config.model import MAX_TIMESTEPS

schedule_app = typer.Typer(no_args_is_help=True,
                           help="Inspect beta schedules: key numbers and alpha_bar / log-SNR plots.")
app.add_typer(schedule_app, name="schedule")

SPEC_HELP = "schedule name, or YAML with parameters: 'cosine' or '{name: cosine, cosine_s: 0.02}'"


def _specs(items: list[str]) -> list[Any]:
    """Validated schedule specs from names or YAML mappings (errors name the item)."""
    from pydantic import ValidationError

    from ddpm_kit.config.errors import ConfigFileError
    from ddpm_kit.config.source import parse_yaml
    from ddpm_kit.registry import SCHEDULES, Component

    specs = []
    for item in items:
        try:
            value = parse_yaml(item, item).data
        except ConfigFileError as exc:
            raise UserError(str(exc)) from None
        try:
            specs.append(Component(SCHEDULES).validate(value))
        except (ValidationError, ValueError) as exc:
            raise UserError(f"schedule {item!r}: {exc}") from None
    return specs


def schedule_numbers(spec: Any, timesteps: int) -> dict[str, float]:
    """Key numbers of a schedule at T in pure Python: betas, terminal alpha_bar and SNR, where SNR crosses 1."""
    betas = spec.reference_betas(timesteps)
    alpha_bar = spec.reference_alphas_cumprod(timesteps)
    log_snr = [math.log(a / (1 - a)) if 0 < a < 1 else (math.inf if a >= 1 else -math.inf) for a in alpha_bar]
    crossing = next((t for t, value in enumerate(log_snr) if value < 0), None)
    return {
        "timesteps": len(betas), "beta_first": betas[0], "beta_last": betas[-1], "beta_max": max(betas),
        "alpha_bar_first": alpha_bar[0], "alpha_bar_last": alpha_bar[-1],
        "log_snr_first": log_snr[0], "log_snr_last": log_snr[-1],
        "snr_below_1_from_t": float("nan") if crossing is None else crossing,
    }


def _label(spec: Any) -> str:
    params = ", ".join(f"{k}={v}" for k, v in spec.explicit_params().items() if k != "betas")
    return spec.name + (f" ({params})" if params else "")


@schedule_app.command("show")
def show(schedules: list[str] = typer.Argument(..., help=SPEC_HELP),
         timesteps: int = typer.Option(1000, "--timesteps", "-T", min=2, max=MAX_TIMESTEPS,
                                        help="number of steps T")) -> None:
    """Print the key numbers of each schedule at T."""
    for spec in _specs(schedules):
        numbers = schedule_numbers(spec, timesteps)
        typer.echo(_label(spec))
        for key, value in numbers.items():
            typer.echo(f"  {key:<20} {value:.6g}")


@schedule_app.command("plot")
def plot(schedules: list[str] = typer.Argument(..., help=SPEC_HELP),
         timesteps: int = typer.Option(1000, "--timesteps", "-T", min=2, max=MAX_TIMESTEPS,
                                        help="number of steps T"),
         output: Path = typer.Option(Path("schedules.png"), "-o", "--output", help="PNG to write")) -> None:
    """Draw alpha_bar and log-SNR against t for the named schedules."""
    from ddpm_kit.cli.errors import UserError
    from ddpm_kit.cli.common import check_output
    from ddpm_kit.plotting import line_chart

    check_output(output, (".png",), "-o")

    alpha_series, snr_series = {}, {}
    for spec in _specs(schedules):
        alpha_bar = spec.reference_alphas_cumprod(timesteps)
        steps = list(range(len(alpha_bar)))
        label = _label(spec)
        alpha_series[label] = (steps, alpha_bar)
        snr_series[label] = (steps, [math.log(a / (1 - a)) if 0 < a < 1 else math.nan for a in alpha_bar])
    try:
        line_chart([
            {"title": f"alpha_bar(t), T = {timesteps}", "xlabel": "t", "ylabel": "alpha_bar", "series": alpha_series},
            {"title": "log SNR(t) = log(alpha_bar / (1 - alpha_bar))", "xlabel": "t", "ylabel": "log SNR",
             "series": snr_series},
        ], output)
    except OSError as exc:
        raise UserError(f"-o {output}: cannot be written ({exc.strerror or exc})") from None
    typer.echo(f"wrote {output}")
