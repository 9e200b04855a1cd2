"""Upstream-compatible entry points: code written against CompVis latent-diffusion runs unchanged."""

from ddpm_kit.compat.ddim import DDIMSampler

__all__ = ["DDIMSampler"]
