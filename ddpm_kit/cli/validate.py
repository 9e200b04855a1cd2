"""``ddpm-kit validate`` and ``ddpm-kit schema``: torch-free unless ``--deep``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ddpm_kit.cli.app import app

SET_HELP = "override a config value: --set trainer.max_steps=200 (value is YAML; repeatable)"


@app.command()
def validate(
    config: Path = typer.Argument(..., help="YAML config (ddpm-kit or CompVis layout)"),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
    deep: bool = typer.Option(False, "--deep", help="build the model on the meta device and check forward shapes"),
    strict: bool = typer.Option(False, "--strict", help="treat warnings as errors"),
) -> None:
    """Check a config and report every problem at once (exit 0 valid, 1 invalid, 2 unreadable)."""
    from ddpm_kit.config import validate_file
    from ddpm_kit.config.summary import format_summary, summarize

    report = validate_file(config, set_, strict=strict)
    summary = summarize(report.config) if report.ok else None
    deep_result = None
    if deep and report.ok:
        from ddpm_kit.deep import deep_check

        deep_result = deep_check(report.config)
        report.issues.extend(deep_result.issues)
    if as_json:
        typer.echo(json.dumps({
            "valid": report.ok,
            "source": report.source,
            "layout": "compvis" if report.compvis_layout else "ddpm-kit",
            "errors": [i.to_json() for i in report.errors],
            "warnings": [i.to_json() for i in report.warnings],
            "summary": summary,
            "parameters": deep_result.parameters if deep_result else None,
        }, indent=2, default=str))
    else:
        for issue in report.issues:
            typer.echo(issue.format(), err=issue.severity == "error")
        if report.ok:
            typer.echo(f"{report.source}: valid" + (" (CompVis layout)" if report.compvis_layout else ""))
            for line in format_summary(summary):
                typer.echo("  " + line)
            if deep_result:
                for line in deep_result.lines():
                    typer.echo("  " + line)
        else:
            count = len(report.errors)
            typer.echo(f"{report.source}: {count} error{'s' if count != 1 else ''}", err=True)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def schema(
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="write the JSON Schema here instead of stdout"),
    strict: bool = typer.Option(False, "--strict", help="exit non-zero when a plugin fails to load"),
) -> None:
    """JSON Schema of the whole config, installed plugins included (for editor autocompletion)."""
    from ddpm_kit.config.schema import config_schema

    schema_dict, problems = config_schema()
    for problem in problems:
        typer.echo(f"warning: {problem}", err=True)
    text = json.dumps(schema_dict, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n")
        typer.echo(f"wrote {output}", err=True)
    raise typer.Exit(1 if strict and problems else 0)
