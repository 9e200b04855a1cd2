"""What the built-in samplers share: the implementations' package (the timestep spacings live in ``spacings``)."""

from __future__ import annotations

IMPL_PACKAGE = "ddpm_kit.components.samplers"
