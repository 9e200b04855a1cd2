"""What the ``DDPM`` module takes from a run besides its model config: a small typed settings object."""

from __future__ import annotations

from dataclasses import dataclass

from ddpm_kit.config import RunConfig
from ddpm_kit.registry import AugmentSpec


@dataclass(frozen=True)
class TrainingSettings:
    """The run's choices the module acts on: the seed of its random streams, AdamW's arguments, the batch the
    EMA strategies measure half-lives in, what a non-finite loss does, and the training batches' augmentations.
    The defaults are upstream's (seed 0, AdamW betas (0.9, 0.999), eps 1e-8, weight decay 0.01, stop on a
    non-finite loss, no augmentation)."""

    seed: int = 0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    weight_decay: float = 0.01
    #: images per optimizer step over all processes (None when the device count is not known)
    effective_batch_size: int | None = None
    stop_on_nonfinite_loss: bool = True
    #: ``data.augment`` and ``data.batch_size`` (the per-device batch the augmentations' sample indices count in)
    augment: tuple[AugmentSpec, ...] = ()
    per_device_batch: int | None = None

    @classmethod
    def of(cls, run: RunConfig | None) -> TrainingSettings:
        """The settings of a validated run (the defaults without one)."""
        if run is None:
            return cls()
        opt = run.optimizer
        return cls(seed=run.seed, adam_betas=(opt.betas[0], opt.betas[1]), adam_eps=opt.eps,
                   weight_decay=opt.weight_decay, effective_batch_size=run.effective_batch_size(),
                   stop_on_nonfinite_loss=run.on_nonfinite_loss == "stop", augment=tuple(run.data.augment),
                   per_device_batch=run.data.batch_size)
