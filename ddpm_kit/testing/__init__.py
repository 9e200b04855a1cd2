"""Reusable checks for component authors. Submodules import torch / hypothesis only when used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ddpm_kit.testing.schedule_family import check_schedule_family, spec_strategy
    from ddpm_kit.testing.schedules import check_schedule

__all__ = ["check_schedule", "check_schedule_family", "spec_strategy"]


def __getattr__(name: str) -> Any:
    if name == "check_schedule":
        from ddpm_kit.testing import schedules

        return schedules.check_schedule
    if name in ("check_schedule_family", "spec_strategy"):
        from ddpm_kit.testing import schedule_family

        return getattr(schedule_family, name)
    raise AttributeError(f"module 'ddpm_kit.testing' has no attribute {name!r}")
