"""The posterior q(x_{t-1} | x_t, x_0) and the model's reverse step p(x_{t-1} | x_t) with fixed variance."""

from __future__ import annotations

from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers, extract
from ddpm_kit.diffusion.parameterization import predict_x0


def q_posterior(x0: Tensor, x_t: Tensor, t: Tensor, buffers: Buffers) -> tuple[Tensor, Tensor, Tensor]:
    """(mean, variance, clipped log variance) of q(x_{t-1} | x_t, x_0).

    mean = coef1_t x_0 + coef2_t x_t, variance = sigma^2_t (``posterior_variance``), log variance =
    ``posterior_log_variance_clipped`` (log(1e-20) at t = 0 when v_posterior = 0). Ho et al. 2020, eq. 7.
    """
    mean = (
        extract(buffers["posterior_mean_coef1"], t, x_t.shape) * x0
        + extract(buffers["posterior_mean_coef2"], t, x_t.shape) * x_t
    )
    variance = extract(buffers["posterior_variance"], t, x_t.shape)
    log_variance = extract(buffers["posterior_log_variance_clipped"], t, x_t.shape)
    return mean, variance, log_variance


def p_mean_variance(
    model_output: Tensor,
    x_t: Tensor,
    t: Tensor,
    parameterization: str,
    buffers: Buffers,
    *,
    clip_denoised: bool,
) -> tuple[Tensor, Tensor, Tensor]:
    """(mean, variance, log variance) of p(x_{t-1} | x_t) from the network output.

    x0_hat = ``predict_x0(model_output)`` (eps, x0 or v; upstream crashes on v), clamped to [-1, 1] when
    ``clip_denoised``, then ``q_posterior(x0_hat, x_t, t)``: the fixed (not learned) variance of CompVis.
    """
    x0_hat = predict_x0(model_output, x_t, t, parameterization, buffers)
    if clip_denoised:
        x0_hat = x0_hat.clamp(-1.0, 1.0)
    return q_posterior(x0_hat, x_t, t, buffers)


def reverse_step(mean: Tensor, log_variance: Tensor, noise: Tensor, t: Tensor) -> Tensor:
    """x_{t-1} = mean + 1[t > 0] exp(0.5 log sigma^2_t) z: no noise at t = 0 (CompVis ``p_sample``)."""
    nonzero = (1 - (t == 0).float()).reshape(t.shape[0], *((1,) * (mean.dim() - 1)))  # [B, 1, ...]
    return mean + nonzero * (0.5 * log_variance).exp() * noise
