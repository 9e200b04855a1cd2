"""UniPC (bh2) in sigma; formula and source in ``UniPCSamplerSpec``."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from ddpm_kit.diffusion.sampling.loop import Noise, Step
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Prediction
from ddpm_kit.components.samplers.sigma_impl import SigmaSampler


def unipc_rhos(rks: list[float], h: float, order: int, corrector: bool) -> tuple[float, float, list[float]]:
    """(h phi_1, B(h), rho) of UniP (``corrector`` False: order - 1 rhos) or UniC (order rhos).

    With hh = -h: h phi_1 = expm1(hh), B(h) = expm1(hh); rows R_j = r^(j-1) over r = (*rks, 1) and
    b_j = j! h phi_{j+1} / B(h), h phi_{k+1} = h phi_k / hh - 1 / k!; UniP of order 2 uses rho = 1/2 and
    UniC of order 1 rho = 1/2 (Zhao et al. 2023, Algorithms 2-3; diffusers ``multistep_uni_*_bh_update``)."""
    hh = -h
    h_phi_1 = math.expm1(hh)
    b_h = math.expm1(hh)
    r = [*rks, 1.0]
    h_phi_k, factorial, rows, b = h_phi_1 / hh - 1.0, 1, [], []
    for j in range(1, order + 1):
        rows.append([rk ** (j - 1) for rk in r])
        b.append(h_phi_k * factorial / b_h)
        factorial *= j + 1
        h_phi_k = h_phi_k / hh - 1.0 / factorial
    if corrector:
        if order == 1:
            return h_phi_1, b_h, [0.5]
        return h_phi_1, b_h, torch.linalg.solve(torch.tensor(rows, dtype=torch.float64),
                                                torch.tensor(b, dtype=torch.float64)).tolist()
    if order == 1:
        return h_phi_1, b_h, []
    if order == 2:
        return h_phi_1, b_h, [0.5]
    matrix = torch.tensor([row[:-1] for row in rows[:-1]], dtype=torch.float64)
    return h_phi_1, b_h, torch.linalg.solve(matrix, torch.tensor(b[:-1], dtype=torch.float64)).tolist()


def unipc_step(x: Tensor, sigma: float, sigma_next: float, history: list[tuple[float, Tensor]], order: int,
               new: Tensor | None = None) -> Tensor:
    """x at sigma_next from x at sigma, data predictions ``history`` [(lambda, D)] newest last (D at sigma
    last): UniP with ``new`` None, else UniC with D(x~) = ``new`` at sigma_next."""
    lam, m0 = history[-1]
    h = -math.log(sigma_next) - lam
    rks, d1s = [], []
    for k in range(1, order):
        lam_k, m_k = history[-1 - k]
        rk = (lam_k - lam) / h
        rks.append(rk)
        d1s.append((m_k - m0) / rk)
    h_phi_1, b_h, rhos = unipc_rhos(rks, h, order, corrector=new is not None)
    x_next = (sigma_next / sigma) * x - h_phi_1 * m0
    residual = sum((rho * d for rho, d in zip(rhos, d1s)), torch.zeros_like(x))
    if new is not None:
        residual = residual + rhos[-1] * (new - m0)
    return x_next - b_h * residual


class UniPCSampler(SigmaSampler):
    """UniC corrects x at each new level with the evaluation made there, then UniP predicts the next level."""

    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        sigma, sigma_next = step.info["sigma"], step.info["sigma_next"]
        denoised = prediction.x0
        if sigma_next == 0:
            return denoised
        history: list[tuple[float, Tensor]] = state.setdefault("history", [])
        if history:  # UniC: redo the last step from its start, now that D is known at this level
            x = unipc_step(state["base"], state["sigma"], sigma, history, state["order"], new=denoised)
        history.append((-math.log(sigma), denoised))
        del history[:-self.spec.order]
        order = min(self.spec.order, len(history))
        state.update(base=x, sigma=sigma, order=order)
        return unipc_step(x, sigma, sigma_next, history, order)
