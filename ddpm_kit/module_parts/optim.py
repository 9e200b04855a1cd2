"""AdamW as upstream (weight decay 0.01), the logvar parameter group, and ``scheduler_config`` as LambdaLR."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from ddpm_kit.module_parts.settings import TrainingSettings
from ddpm_kit.registry import LRScheduleSpec


def configure(parameters: Iterable[nn.Parameter], learning_rate: float | None, settings: TrainingSettings,
              scheduler: LRScheduleSpec | None) -> Any:
    """Optimizer (and LambdaLR stepping every optimizer step when ``scheduler`` is set), what Lightning's
    ``configure_optimizers`` returns.

    Upstream's pixel-space DDPM ignores ``scheduler_config``; here it does what LatentDiffusion does.
    """
    if learning_rate is None:
        raise ValueError("DDPM.learning_rate is not set: pass learning_rate=... (upstream main.py sets the attribute)")
    optimizer = torch.optim.AdamW(list(parameters), lr=learning_rate, betas=settings.adam_betas,
                                  eps=settings.adam_eps, weight_decay=settings.weight_decay)
    if scheduler is None:
        return optimizer
    lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=scheduler.load_impl()(scheduler))
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": lr_scheduler, "interval": "step", "frequency": 1}}
