"""The training objective of CompVis ``p_losses`` as a pure function of the per-sample loss.

Given L_b (the element-wise loss averaged over all non-batch axes, see ``ddpm_kit.components.losses.base_impl``):

    L'_b        = w_b * L_b                          (w = loss weighting, e.g. min-SNR; none: L' = L)
    loss_simple = mean_b L'_b                        (logged BEFORE l_simple_weight, as upstream)
    loss_vlb    = mean_b lvlb_weights[t_b] * L_b     (always computed and logged; uses the UNweighted L)
    loss        = l_simple_weight * loss_simple + original_elbo_weight * loss_vlb          (DDPM)
    loss        = l_simple_weight * mean_b(L'_b / exp(logvar[t_b]) + logvar[t_b])
                  + original_elbo_weight * loss_vlb                                       (LatentDiffusion)

The weighting multiplies the per-sample simple loss only: the VLB term already has its own fixed
per-timestep weights. With ``weights=None`` every number equals upstream's.
"""

from __future__ import annotations

from torch import Tensor


def compose_loss(
    per_sample_loss: Tensor,
    t: Tensor,
    *,
    lvlb_weights: Tensor,
    weights: Tensor | None = None,
    l_simple_weight: float = 1.0,
    original_elbo_weight: float = 0.0,
    logvar: Tensor | None = None,
    learn_logvar: bool = False,
    prefix: str = "train",
) -> tuple[Tensor, dict[str, Tensor]]:
    """(loss, log dict) from L [B] and t [B] (formulas in the module docstring).

    Keys, in upstream order: ``{prefix}/loss_simple``, with a ``logvar`` [T] also ``{prefix}/loss_gamma``
    (mean of L'/exp(logvar) + logvar) and ``logvar`` (its mean, unprefixed) when ``learn_logvar`` (upstream
    logs those two only for a learned logvar), ``{prefix}/loss_vlb``, ``{prefix}/loss``.
    When ``original_elbo_weight == 0`` the VLB term is not added (upstream adds 0 * loss_vlb: identical for
    finite values, and this avoids 0 * inf = NaN when a zero-terminal-SNR schedule makes a weight inf).
    """
    if per_sample_loss.dim() != 1 or t.shape != per_sample_loss.shape:
        raise ValueError(
            f"per_sample_loss and t must both be [B]; got {tuple(per_sample_loss.shape)} and {tuple(t.shape)}"
        )
    simple = per_sample_loss
    if weights is not None:
        if weights.shape != per_sample_loss.shape:
            raise ValueError(f"weights must be [B]={tuple(per_sample_loss.shape)}, got {tuple(weights.shape)}")
        simple = per_sample_loss * weights.to(per_sample_loss.dtype)
    log: dict[str, Tensor] = {f"{prefix}/loss_simple": simple.mean()}
    if logvar is None:
        loss = simple.mean() * l_simple_weight
    else:
        logvar_t = logvar.to(per_sample_loss.device)[t]  # [B]
        gamma = simple / logvar_t.exp() + logvar_t
        if learn_logvar:
            log[f"{prefix}/loss_gamma"] = gamma.mean()
            log["logvar"] = logvar.detach().mean()
        loss = l_simple_weight * gamma.mean()
    loss_vlb = (lvlb_weights[t] * per_sample_loss).mean()
    log[f"{prefix}/loss_vlb"] = loss_vlb
    if original_elbo_weight != 0:
        loss = loss + original_elbo_weight * loss_vlb
    log[f"{prefix}/loss"] = loss
    return loss, log
