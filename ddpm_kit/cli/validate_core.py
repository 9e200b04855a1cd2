"""What ``ddpm-kit validate`` does, without typer.

The typer command in ``validate.py`` (help, usage errors) and the console script's direct path
(``entry.py``: a well-formed ``validate`` command line skips importing typer, about a tenth of the run)
both call ``run_validate``. ``VALIDATE_OPTIONS`` is the one definition of the command's arguments: the
argparse parser of the direct path and the typer command are both built from it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SET_HELP = "override a config value: --set trainer.max_steps=200 (value is YAML; repeatable)"


@dataclass(frozen=True)
class Argument:
    """One argument of ``validate``: ``flag`` ("" for the positional), the keyword of ``run_validate`` and its
    kind: a path (the positional), a repeatable text option, or an on/off flag."""

    flag: str
    keyword: str
    kind: Literal["path", "repeat", "switch"]
    help: str


VALIDATE_OPTIONS = (
    Argument("", "config", "path", "YAML config (ddpm-kit or CompVis layout)"),
    Argument("--set", "set_", "repeat", SET_HELP),
    Argument("--json", "as_json", "switch", "machine-readable output"),
    Argument("--deep", "deep", "switch", "build the model on the meta device and check forward shapes"),
    Argument("--strict", "strict", "switch", "treat warnings as errors"),
)


class _NotForUs(Exception):
    """The command line needs typer: help was asked for or it is malformed."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print and exit; typer owns usage errors
        raise _NotForUs(message)


def parse_validate_args(args: list[str]) -> dict[str, Any] | None:
    """Keyword arguments of ``run_validate`` for ``validate ARGS``, or None when typer should handle it."""
    if any(arg in ("-h", "--help") for arg in args):
        return None
    parser = _Parser(add_help=False, allow_abbrev=False)
    for argument in VALIDATE_OPTIONS:
        if argument.kind == "path":
            parser.add_argument(argument.keyword, type=Path)
        elif argument.kind == "repeat":
            parser.add_argument(argument.flag, dest=argument.keyword, action="append", default=[])
        else:
            parser.add_argument(argument.flag, dest=argument.keyword, action="store_true")
    try:
        return vars(parser.parse_args(args))
    except _NotForUs:
        return None


def run_validate(config: Path, set_: list[str], as_json: bool = False, deep: bool = False,
                 strict: bool = False) -> int:
    """Validate ``config`` with overrides, print the report, return the exit code (0 valid, 1 invalid)."""
    from ddpm_kit.config import ConfigFileError, validate_file
    from ddpm_kit.config.summary import format_summary, summarize

    try:
        report = validate_file(config, set_, strict=strict)
    except ConfigFileError as exc:
        if not as_json:
            raise
        sys.stdout.write(_strict_json({"valid": False, "source": str(config), "exit_code": 2,
                                       "errors": [{"message": str(exc)}], "warnings": []}) + "\n")
        return 2
    summary = summarize(report.config) if report.ok else None
    deep_result = None
    if deep and report.ok:
        from ddpm_kit.deep import deep_check

        deep_result = deep_check(report.config)
        report.issues.extend(deep_result.issues)
    out, err = sys.stdout, sys.stderr
    if as_json:
        out.write(_strict_json({
            "valid": report.ok,
            "source": report.source,
            "layout": "compvis" if report.compvis_layout else "ddpm-kit",
            "errors": [i.to_json() for i in report.errors],
            "warnings": [i.to_json() for i in report.warnings],
            "summary": summary,
            "parameters": deep_result.parameters if deep_result else None,
            "exit_code": 0 if report.ok else 1,
        }) + "\n")
        return 0 if report.ok else 1
    for issue in report.issues:
        (err if issue.severity == "error" else out).write(issue.format() + "\n")
    if report.ok:
        lines = [f"{report.source}: valid" + (" (CompVis layout)" if report.compvis_layout else "")]
        lines += ["  " + line for line in format_summary(summary)]
        lines += ["  " + line for line in (deep_result.lines() if deep_result else [])]
        out.write("\n".join(lines) + "\n")
        return 0
    count = len(report.errors)
    err.write(f"{report.source}: {count} error{'s' if count != 1 else ''}\n")
    return 1


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: non-finite floats become the strings "nan", "inf", "-inf"."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _strict_json(data: dict[str, Any]) -> str:
    return json.dumps(_finite(data), indent=2, default=str, allow_nan=False)
