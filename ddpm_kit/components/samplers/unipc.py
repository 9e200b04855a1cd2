"""`unipc`: UniPC, the unified predictor-corrector (Zhao et al. 2023), B(h) = expm1(h) ("bh2")."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.sigma import SigmaSamplerSpec


class UniPCSamplerSpec(SigmaSamplerSpec):
    """UniPC (data prediction, bh2): multistep UniP predictor of order p plus the UniC corrector, no extra NFE.

    In lambda = -log sigma (the VP log-SNR / 2), h = lambda_next - lambda_i, D_k the stored data predictions,
    r_k = (lambda_{i-k} - lambda_i) / h, D1_k = (D_{i-k} - D_i) / r_k, in x_sigma (the VP update divided by
    alpha_next): predictor x~ = (sigma_next / sigma_i) x_i - expm1(-h) D_i - B(h) sum_k rho_k D1_k, rho solving
    R rho = b with R_jk = r_k^j, b_j = j! phi_{j+1}(h) / B(h), B(h) = expm1(-h) (order 2: rho = 1/2); the
    corrector, once D(x~) is known at the next level, recomputes the step from x_i with D1 of the new point
    included (rho^c solves the full system; order 1: 1/2). Orders ramp up from 1 at the first steps; the last
    step to 0 returns D. Deterministic, one evaluation per level.
    Source: Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of Diffusion
    Models", Algorithms 2-3 (B(h) = e^h - 1); diffusers ``UniPCMultistepScheduler`` (bh2).
    """

    name: Literal["unipc"] = "unipc"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.unipc_impl:UniPCSampler"
    order: Literal[2, 3] = Field(2, description="predictor order p (the corrector raises it by one)")
    variant: Literal["bh2"] = Field("bh2", description="B(h) = expm1(h) (the only variant implemented)")
