"""What the built-in samplers share: the implementations' module; the spacings live in ``spacings``."""

from __future__ import annotations

from ddpm_kit.specs.samplers.spacings import (  # noqa: F401  (re-exported: the historical home)
    DIFFUSERS_SPACINGS, ddim_timesteps, leading_timesteps, linspace_timesteps, trailing_timesteps,
    upstream_ddim_timesteps,
)

IMPL_PACKAGE = "ddpm_kit.diffusion.samplers"
