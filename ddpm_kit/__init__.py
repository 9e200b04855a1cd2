"""ddpm-kit: DDPM training with CompVis parity, validated configs and pluggable components.

Importing the package is cheap (no torch): ``DDPM`` is resolved lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM


def __getattr__(name: str) -> Any:
    if name == "DDPM":
        from ddpm_kit.module import DDPM

        return DDPM
    raise AttributeError(f"module 'ddpm_kit' has no attribute {name!r}")


__all__ = ["DDPM", "__version__"]
