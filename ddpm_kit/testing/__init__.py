"""Reusable checks for component authors. Submodules import torch / hypothesis only when used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ddpm_kit.testing.schedules import check_schedule, check_schedule_family, spec_strategy

__all__ = ["check_schedule", "check_schedule_family", "spec_strategy"]
_SCHEDULE_CHECKS = tuple(__all__)


def __getattr__(name: str) -> Any:
    if name in _SCHEDULE_CHECKS:
        from ddpm_kit.testing import schedules

        return getattr(schedules, name)
    raise AttributeError(f"module 'ddpm_kit.testing' has no attribute {name!r}")
