"""What the built-in losses share."""

from __future__ import annotations

IMPL_PACKAGE = "ddpm_kit.components.losses"
