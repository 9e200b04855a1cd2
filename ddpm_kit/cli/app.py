"""Typer application: commands are added by the modules of this package."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="ddpm-kit: validated DDPM training.")


def main() -> None:
    app()
