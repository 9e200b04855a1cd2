"""What the built-in weightings share."""

from __future__ import annotations

from ddpm_kit.registry.kinds import check_parameterization

__all__ = ["check_parameterization"]
