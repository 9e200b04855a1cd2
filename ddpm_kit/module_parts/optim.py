"""AdamW as upstream (weight decay 0.01), the logvar parameter group, and ``scheduler_config`` as LambdaLR."""

from __future__ import annotations

from typing import Any

import torch


def configure(module: Any) -> Any:
    """Optimizer (and LambdaLR stepping every optimizer step when ``scheduler_config`` is set).

    Upstream's pixel-space DDPM ignores ``scheduler_config``; here it does what LatentDiffusion does.
    """
    if module.learning_rate is None:
        raise ValueError("DDPM.learning_rate is not set: pass learning_rate=... (upstream main.py sets the attribute)")
    opt = module.run_config.optimizer if module.run_config is not None else None
    params = list(module.model.parameters())
    if module.learn_logvar:
        params.append(module.logvar)
    optimizer = torch.optim.AdamW(
        params, lr=module.learning_rate,
        betas=tuple(opt.betas) if opt else (0.9, 0.999),
        eps=opt.eps if opt else 1e-8,
        weight_decay=opt.weight_decay if opt else 0.01,
    )
    if module.cfg.scheduler_config is None:
        return optimizer
    spec = module.cfg.scheduler_config
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=spec.load_impl()(spec))
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 1}}
