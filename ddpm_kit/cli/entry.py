"""The console script: the one place that turns errors into messages and exit codes.

Exit codes: 0 success, 1 invalid input (config, checkpoint, data) or a failed run, 2 unreadable file or usage
error, 130 SIGINT, 143 SIGTERM (training saves a checkpoint first).
A user never sees a traceback for bad input; ``DDPM_KIT_DEBUG=1`` shows it for bug reports.

This module does not import typer: ``ddpm-kit validate`` runs without it (see ``validate_core``), which
keeps validation well under a fifth of the time ``import torch`` takes. Every other command, ``--help`` and
any usage error go through the typer application in ``app.py``.
"""

from __future__ import annotations

import gc
import os
import sys


from ddpm_kit.cli.errors import UserError

__all__ = ["UserError", "console", "main"]


def console() -> None:
    """The installed ``ddpm-kit`` script: ``main`` in a short-lived process.

    Two interpreter costs that a one-shot command does not need are skipped: for ``validate``, cyclic
    garbage collection while it runs (it allocates a bounded amount: only time is saved), and for every
    command the collection of everything imported at interpreter exit (``gc.freeze``; about 20 ms with
    pydantic loaded). Exit handlers and stream flushing run as usual.
    """
    if sys.argv[1:2] == ["validate"]:
        gc.disable()
    try:
        main()
    finally:
        gc.freeze()


def main() -> None:
    """Run the command line in ``sys.argv``; always ends in ``SystemExit`` with the exit code."""
    from ddpm_kit.config.errors import ConfigError, ConfigFileError
    from ddpm_kit.registry import PluginError

    try:
        sys.exit(_dispatch(sys.argv[1:]))
    except ConfigFileError as exc:
        _report(f"error: {exc}", 2)
    except (ConfigError, PluginError, UserError) as exc:
        _report(f"error: {exc}", getattr(exc, "exit_code", 1))
    except KeyboardInterrupt:
        _report("interrupted", 130)
    except Exception as exc:  # anything unexpected: one line, the traceback only on request
        if os.environ.get("DDPM_KIT_DEBUG"):
            raise
        _report(f"error: unexpected {type(exc).__name__}: {exc} (set DDPM_KIT_DEBUG=1 for the traceback)", 1)


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["validate"]:
        from ddpm_kit.cli.validate_core import parse_validate_args, run_validate

        options = parse_validate_args(argv[1:])
        if options is not None:  # otherwise typer prints the help or the usage error
            return run_validate(**options)
    from ddpm_kit.cli import commands  # noqa: F401  (registers the commands)
    from ddpm_kit.cli.app import app

    app(args=argv, prog_name="ddpm-kit")  # standalone: usage errors exit 2, typer.Exit gives its code
    return 0


def _report(message: str, code: int) -> None:
    sys.stderr.write(message + "\n")
    sys.exit(code)
