"""`lambda_linear`: CompVis LambdaLinearScheduler (cycles)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ddpm_kit.components.lr_schedules.base import IMPL_FUNCTION, CycleSpec


class LambdaLinearSpec(CycleSpec):
    """CompVis LambdaLinearScheduler: per cycle, linear warm-up, then f_min + (f_max - f_min)(L_k - n') / L_k.

    The decay is measured from the start of the cycle, not from the end of the warm-up, so the
    multiplier jumps at n' = W_k (W=100, L=1000: 0.99 at n=99, 0.91 at n=100) — reproduced as upstream.
    The LD configs use W=[10000], L=[1e13], f_start=[1e-6], f_max=f_min=[1]: warm-up, then constant.
    Beyond the last cycle: held at f_min of the last cycle (upstream: TypeError).
    Source: CompVis/latent-diffusion ``ldm/lr_scheduler.py``.
    """

    name: Literal["lambda_linear"] = "lambda_linear"
    impl: ClassVar[str] = IMPL_FUNCTION
    strict_warmup: ClassVar[bool] = False

    def after_warmup(self, k: int, local: int) -> float:
        length = self.cycle_lengths[k]
        return self.f_min[k] + (self.f_max[k] - self.f_min[k]) * (length - local) / length
