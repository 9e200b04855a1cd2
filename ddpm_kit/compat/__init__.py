"""Upstream-compatible entry points: code written against CompVis latent-diffusion runs unchanged."""

from ddpm_kit.compat.ddim import DDIMSampler
from ddpm_kit.compat.plms import PLMSSampler

__all__ = ["DDIMSampler", "PLMSSampler"]
