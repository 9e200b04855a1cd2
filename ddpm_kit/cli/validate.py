"""``ddpm-kit validate`` and ``ddpm-kit schema``: torch-free unless ``--deep``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.validate_core import CONFIG_HELP, DEEP_HELP, JSON_HELP, SET_HELP, STRICT_HELP, run_validate


@app.command()
def validate(
    config: Path = typer.Argument(..., help=CONFIG_HELP),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    deep: bool = typer.Option(False, "--deep", help=DEEP_HELP),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
) -> None:
    """Check a config and report every problem at once (exit 0 valid, 1 invalid, 2 unreadable)."""
    raise typer.Exit(run_validate(config, set_, as_json=as_json, deep=deep, strict=strict))


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
        from ddpm_kit.cli.errors import UserError

        if output.is_dir():
            raise UserError(f"-o {output}: is a folder; give a file name")
        try:
            output.write_text(text + "\n")
        except OSError as exc:
            raise UserError(f"-o {output}: cannot be written ({exc.strerror or exc})") from None
        typer.echo(f"wrote {output}", err=True)
    raise typer.Exit(1 if strict and problems else 0)
