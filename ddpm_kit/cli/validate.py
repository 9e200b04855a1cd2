"""``ddpm-kit validate`` and ``ddpm-kit schema``: torch-free unless ``--deep``."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, Optional

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.validate_core import VALIDATE_OPTIONS, Argument, run_validate


def _parameter(argument: Argument) -> inspect.Parameter:
    """The typer parameter of one ``VALIDATE_OPTIONS`` entry."""
    if argument.kind == "path":
        default, annotation = typer.Argument(..., help=argument.help), Path
    elif argument.kind == "repeat":
        default, annotation = typer.Option([], argument.flag, help=argument.help), list[str]
    else:
        default, annotation = typer.Option(False, argument.flag, help=argument.help), bool
    return inspect.Parameter(argument.keyword, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def validate(**options: Any) -> None:
    """Check a config and report every problem at once (exit 0 valid, 1 invalid, 2 unreadable)."""
    raise typer.Exit(run_validate(**options))


# the signature typer reads, built from the one definition of the arguments
_PARAMETERS = [_parameter(argument) for argument in VALIDATE_OPTIONS]
validate.__signature__ = inspect.Signature(_PARAMETERS, return_annotation=None)  # type: ignore[attr-defined]
validate.__annotations__ = {p.name: p.annotation for p in _PARAMETERS} | {"return": None}
app.command()(validate)


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
