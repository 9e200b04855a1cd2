"""`lambda_warmup_cosine2`: CompVis LambdaWarmUpCosineScheduler2 (cycles)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.components.lr_schedules.base import IMPL_FUNCTION, cosine_decay, CycleSpec


class LambdaWarmUpCosine2Spec(CycleSpec):
    """CompVis LambdaWarmUpCosineScheduler2: per cycle k, linear warm-up f_start -> f_max, cosine to f_min.

    Local step n' = n - start_k; n' < W_k: f_start + (f_max - f_start) n' / W_k; else
    tau = min((n' - W_k) / (L_k - W_k), 1), f_min + (f_max - f_min)(1 + cos(pi tau)) / 2.
    Beyond the last cycle: held at the last cycle's final value (upstream: TypeError).
    Source: CompVis/latent-diffusion ``ldm/lr_scheduler.py``.
    """

    name: Literal["lambda_warmup_cosine2"] = "lambda_warmup_cosine2"
    impl: ClassVar[str] = IMPL_FUNCTION

    def after_warmup(self, k: int, local: int) -> float:
        return cosine_decay(local, self.warm_up_steps[k], self.cycle_lengths[k], self.f_min[k], self.f_max[k])
