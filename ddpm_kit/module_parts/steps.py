"""What a training or validation step of ``DDPM`` produces: its losses, and the error of a non-finite loss."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor


class NonFiniteLoss(FloatingPointError):
    """The training loss became NaN or inf."""

    def __init__(self, step: int, terms: dict[str, float]) -> None:
        self.step, self.terms = step, terms
        listed = ", ".join(f"{k} = {v:.4g}" for k, v in terms.items())
        super().__init__(f"non-finite loss at step {step} ({listed})")


@dataclass(frozen=True)
class StepLosses:
    """One loss evaluation: the loss, its logged terms, and the per-sample (unweighted) loss [B] at the
    timesteps t [B] (for the loss-by-timestep buckets)."""

    loss: Tensor
    log: dict[str, Tensor]
    per_sample: Tensor
    t: Tensor
