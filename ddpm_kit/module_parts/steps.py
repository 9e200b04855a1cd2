"""What a training or validation step of ``DDPM`` produces: its losses, and the error of a non-finite loss."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import Tensor

log = logging.getLogger(__name__)


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


def check_finite(terms: StepLosses, step: int, stop: bool) -> bool:
    """Whether the step's loss is finite; a non-finite one raises ``NonFiniteLoss`` (``stop``, the run's
    ``trainer.stop_on_nonfinite_loss``) or is logged as a warning, and the step skipped."""
    if torch.isfinite(terms.loss):
        return True
    values = {k: float(v.detach()) for k, v in terms.log.items()}
    if stop:
        raise NonFiniteLoss(step, values)
    log.warning("non-finite loss at step %d (%s): step skipped", step, values)
    return False
