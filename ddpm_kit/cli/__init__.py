"""The ``ddpm-kit`` command line. Heavy imports (torch, Lightning, even typer for ``validate``) happen late."""

from ddpm_kit.cli.entry import console, main

__all__ = ["console", "main"]
