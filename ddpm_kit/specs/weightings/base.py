"""What the built-in weightings share."""

from __future__ import annotations

IMPL_MODULE = "ddpm_kit.components.weightings"


def check_parameterization(parameterization: str) -> None:
    if parameterization not in ("eps", "x0", "v"):
        raise ValueError(f"unknown parameterization {parameterization!r} (known: eps, x0, v)")
