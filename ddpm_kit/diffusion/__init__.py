"""Pure torch diffusion math (no Lightning): schedule buffers, forward process, parameterizations,
posterior, training objective and samplers, with CompVis numerics.

All functions take the float32 schedule ``buffers`` (a mapping with the names in ``BUFFER_NAMES``) and
int64 timesteps ``t`` [B]; nothing here holds state.
"""

from ddpm_kit.diffusion.buffers import (
    BUFFER_NAMES, LVLB_VARIANTS, Schedule, lvlb_weights, register_schedule, schedule_buffers, schedule_buffers_f64,
)
from ddpm_kit.diffusion.forward import Buffers, extract, q_mean_variance, q_sample, snr
from ddpm_kit.diffusion.objective import compose_loss
from ddpm_kit.diffusion.parameterization import (
    get_v, predict_eps_from_z_and_v, predict_start_from_noise, predict_start_from_z_and_v,
    predict_x0, split_output, training_target,
)
from ddpm_kit.diffusion.posterior import p_mean_variance, q_posterior, reverse_step

__all__ = [
    "BUFFER_NAMES", "LVLB_VARIANTS", "Buffers", "Schedule", "compose_loss", "extract",
    "get_v", "lvlb_weights", "p_mean_variance", "predict_eps_from_z_and_v", "predict_start_from_noise",
    "predict_start_from_z_and_v", "predict_x0", "q_mean_variance", "q_posterior", "q_sample",
    "register_schedule", "reverse_step", "schedule_buffers", "schedule_buffers_f64", "snr", "split_output",
    "training_target",
]
