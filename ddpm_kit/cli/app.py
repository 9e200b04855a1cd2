"""The typer application; each command module registers its commands on ``app``.

Errors raised by commands propagate to ``ddpm_kit.cli.entry.main``, which maps them to messages and exit codes.
"""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="ddpm-kit: DDPM training with validated configs and pluggable components.")
