"""Samplers: one module per sampler, each ``impl(spec)`` of a ``ddpm_kit.specs.samplers`` spec."""

from ddpm_kit.diffusion.samplers.ancestral import AncestralSampler
from ddpm_kit.diffusion.samplers.common import Denoiser
from ddpm_kit.diffusion.samplers.ddim import DDIMSampler, ddim_sampling_parameters
from ddpm_kit.diffusion.samplers.dpm_solver import DPMSolverPP2MSampler

__all__ = ["AncestralSampler", "DDIMSampler", "DPMSolverPP2MSampler", "Denoiser", "ddim_sampling_parameters"]
