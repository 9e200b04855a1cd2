"""The forward (noising) process q(x_t | x_0) on the float32 schedule buffers.

``buffers`` is any mapping name -> tensor holding the ``BUFFER_NAMES`` of ``ddpm_kit.diffusion.buffers``
(a dict, or a module's named buffers). Formulas follow CompVis ``DDPM`` (Ho et al. 2020, eq. 4).
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor

Buffers = Mapping[str, Tensor]


def extract(a: Tensor, t: Tensor, shape: tuple[int, ...] | list[int]) -> Tensor:
    """``a[t]`` per sample, reshaped to [B, 1, ..., 1] to broadcast against ``shape`` (upstream
    ``extract_into_tensor``). ``t`` is an int64 tensor [B] on ``a``'s device."""
    batch = t.shape[0]
    out = a.gather(-1, t)  # [B]
    return out.reshape(batch, *((1,) * (len(shape) - 1)))  # [B, 1, ..., 1]


def q_sample(x0: Tensor, t: Tensor, noise: Tensor, buffers: Buffers) -> Tensor:
    """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps."""
    return (
        extract(buffers["sqrt_alphas_cumprod"], t, x0.shape) * x0
        + extract(buffers["sqrt_one_minus_alphas_cumprod"], t, x0.shape) * noise
    )


def q_mean_variance(x0: Tensor, t: Tensor, buffers: Buffers) -> tuple[Tensor, Tensor, Tensor]:
    """(mean, variance, log variance) of q(x_t | x_0):
    (sqrt(alpha_bar_t) x_0, 1 - alpha_bar_t, log(1 - alpha_bar_t))."""
    mean = extract(buffers["sqrt_alphas_cumprod"], t, x0.shape) * x0
    variance = extract(1.0 - buffers["alphas_cumprod"], t, x0.shape)
    log_variance = extract(buffers["log_one_minus_alphas_cumprod"], t, x0.shape)
    return mean, variance, log_variance


def snr(t: Tensor, buffers: Buffers) -> Tensor:
    """SNR(t) = alpha_bar_t / (1 - alpha_bar_t) [B] (float64 of the float32 buffer; inf where alpha_bar = 1)."""
    alpha_bar = buffers["alphas_cumprod"].double().gather(-1, t)  # [B]
    return alpha_bar / (1.0 - alpha_bar)
