"""What the built-in weightings share."""

from __future__ import annotations

from ddpm_kit.registry.kinds import check_parameterization

IMPL_MODULE = "ddpm_kit.components.weightings"

__all__ = ["IMPL_MODULE", "check_parameterization"]
