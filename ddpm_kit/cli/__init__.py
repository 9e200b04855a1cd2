"""The ``ddpm-kit`` command line (typer). Heavy imports (torch, Lightning) happen inside commands."""

from ddpm_kit.cli.app import app, main

__all__ = ["app", "main"]
