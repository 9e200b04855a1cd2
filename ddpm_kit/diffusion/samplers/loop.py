"""The one sampling loop: x_T, the noise streams, intermediates and progress; samplers supply steps and updates.

A sampler subclasses ``Sampler`` and implements ``plan`` (its steps, from the schedule buffers) and
``update`` (x after one step, from x, the ``Prediction`` at the step, the step, a noise source and, for
multi-evaluation methods, the denoiser). ``sample`` is the call every sampler shares:
``sample(network, buffers, shape, *, parameterization, clip_denoised, generator, log_every_t=None, x_T=None,
progress=None) -> (samples, intermediates)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.samplers.common import (
    PerSampleNoise, buffer_device, check_parameterization, draw_noise, initial_noise, keep_intermediate,
    timestep_batch,
)
from ddpm_kit.diffusion.samplers.prediction import Denoiser, Frame, Network, Prediction

#: ``progress(steps done, steps in all)``, called after every step
StepProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Step:
    """One step of a plan: the integer t the network sees, the conversion frame (None: the buffers at t)
    and the sampler's own per-step numbers (``info``)."""

    t: int
    frame: Frame | None = None
    info: dict[str, Any] = field(default_factory=dict)


class Noise:
    """Standard normal draws shaped like x, from the loop's generator (a ``PerSampleNoise``, a
    ``torch.Generator`` or None for the global RNG); ``noise()`` draws once."""

    def __init__(self, shape: Sequence[int], generator: torch.Generator | PerSampleNoise | None, buffers: Buffers
                 ) -> None:
        self.shape, self.generator = tuple(shape), generator
        self.device, self.dtype = buffer_device(buffers)

    def __call__(self) -> Tensor:
        return draw_noise(self.shape, self.generator, self.device, self.dtype)


class Sampler(ABC):
    """A sampler built from its spec: ``plan`` + ``update``; ``sample`` runs the shared loop."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    @abstractmethod
    def plan(self, buffers: Buffers, parameterization: str) -> list[Step]:
        """The steps from noisiest to cleanest; raise ValueError for a configuration that cannot run."""

    @abstractmethod
    def update(self, x: Tensor, prediction: Prediction, step: Step, noise: Noise, denoiser: Denoiser,
               state: dict[str, Any]) -> Tensor:
        """x after ``step``; ``state`` is a fresh dict per run for multistep memory."""

    def predict(self, denoiser: Denoiser, x: Tensor, step: Step) -> Prediction | None:
        """The prediction at the step (one network evaluation in the step's frame); a sampler that must
        change x before it evaluates (Heun's churn) returns None and evaluates in ``update``."""
        return denoiser(x, timestep_batch(step.t, x.shape[0], x.device), step.frame)

    def start(self, x_T: Tensor, steps: list[Step]) -> Tensor:
        """The loop's x from x_T ~ N(0, I) (identity; sigma-space samplers rescale)."""
        return x_T

    def output(self, x: Tensor, steps: list[Step], index: int) -> Tensor:
        """x after step ``index`` as returned / kept (identity; sigma-space samplers rescale)."""
        return x

    def check(self, buffers: Buffers, parameterization: str) -> None:
        """Refuse what the spec refuses at this T (``spec.check``) and unsupported parameterizations."""
        check_parameterization(parameterization, self.spec.parameterizations)
        problems = self.spec.check(buffers["betas"].shape[0])
        if problems:
            raise ValueError("; ".join(problems))

    @torch.no_grad()
    def sample(self, denoiser: Network, buffers: Buffers, shape: Sequence[int], *, parameterization: str,
               clip_denoised: bool, generator: torch.Generator | PerSampleNoise | None,
               log_every_t: int | None = None, x_T: Tensor | None = None, progress: StepProgress | None = None,
               ) -> tuple[Tensor, list[Tensor]]:
        """(samples, intermediates). Draws: x_T first, then what the updates draw, in step order, so a
        generator seeded like upstream's global RNG gives upstream's numbers. Intermediates: x_T, then x after
        the step k steps before the last when k % log_every_t == 0, and after the first step."""
        self.check(buffers, parameterization)
        steps = self.plan(buffers, parameterization)
        model = Denoiser(denoiser, buffers, parameterization, clip_denoised)
        x_T = initial_noise(shape, x_T, generator, buffers)
        noise = Noise(x_T.shape, generator, buffers)
        intermediates = [x_T] if log_every_t is not None else []
        x, state, total = self.start(x_T, steps), {}, len(steps)
        for k, step in enumerate(steps):
            x = self.update(x, self.predict(model, x, step), step, noise, model, state)
            if keep_intermediate(total - 1 - k, total - 1, log_every_t):
                intermediates.append(self.output(x, steps, k))
            if progress is not None:
                progress(k + 1, total)
        return self.output(x, steps, total - 1), intermediates
