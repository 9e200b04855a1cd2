"""Typer application and the one place that turns errors into messages and exit codes.

Exit codes: 0 success, 1 invalid input (config, checkpoint, data), 2 unreadable file or usage error.
A user never sees a traceback for bad input; ``DDPM_KIT_DEBUG=1`` shows it for bug reports.
"""

from __future__ import annotations

import os
import sys

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="ddpm-kit: DDPM training with validated configs and pluggable components.")


class UserError(Exception):
    """A problem with what the user gave (exit code 1); the message is one paragraph."""

    exit_code = 1


def fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    from ddpm_kit.cli import commands  # noqa: F401  (registers the commands)
    from ddpm_kit.config.errors import ConfigError, ConfigFileError
    from ddpm_kit.registry import PluginError

    try:
        code = app(standalone_mode=False)  # click returns the exit code instead of raising
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (ConfigFileError,) as exc:
        _report(f"error: {exc}", 2)
    except (ConfigError, PluginError, UserError) as exc:
        _report(f"error: {exc}", getattr(exc, "exit_code", 1))
    except KeyboardInterrupt:
        _report("interrupted", 130)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.exceptions.Abort):
            _report("aborted", 1)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2 if isinstance(exc, click.UsageError) else 1)
        if os.environ.get("DDPM_KIT_DEBUG"):
            raise
        _report(f"error: unexpected {type(exc).__name__}: {exc} (set DDPM_KIT_DEBUG=1 for the traceback)", 1)


def _report(message: str, code: int) -> None:
    typer.echo(message, err=True)
    sys.exit(code)
