"""Samplers: one module per sampler, each ``impl(spec)`` a ``Sampler`` (``loop``) on the prediction contract
(``prediction``): the sampler supplies its steps and its update, the shared loop does the rest."""

from ddpm_kit.diffusion.samplers.ancestral import AncestralSampler
from ddpm_kit.diffusion.samplers.ddim import DDIMSampler, ddim_sampling_parameters
from ddpm_kit.diffusion.samplers.dpm_solver import DPMSolverPP2MSampler
from ddpm_kit.diffusion.samplers.loop import Noise, Sampler, Step
from ddpm_kit.diffusion.samplers.prediction import Denoiser, Frame, Network, Prediction

__all__ = ["AncestralSampler", "DDIMSampler", "DPMSolverPP2MSampler", "Denoiser", "Frame", "Network", "Noise",
           "Prediction", "Sampler", "Step", "ddim_sampling_parameters"]
