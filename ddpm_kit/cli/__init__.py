"""The ``ddpm-kit`` command line (typer)."""

from ddpm_kit.cli.app import app, main

__all__ = ["app", "main"]
