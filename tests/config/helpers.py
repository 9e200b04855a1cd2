"""Validating plain dicts in tests."""

from __future__ import annotations

from typing import Any

from ddpm_kit.config import Report, validate_source
from ddpm_kit.config.source import Source


def report_for(data: dict[str, Any], overrides: tuple[str, ...] = (), strict: bool = False) -> Report:
    return validate_source(Source(data, "test.yaml"), overrides, strict=strict)


def error_paths(report: Report) -> dict[str, str]:
    return {i.path: i.message for i in report.errors}


def warning_paths(report: Report) -> dict[str, str]:
    return {i.path: i.message for i in report.warnings}
