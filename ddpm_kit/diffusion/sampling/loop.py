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
from ddpm_kit.diffusion.sampling.common import (
    PerSampleNoise, buffer_device, check_parameterization, draw_noise, initial_noise, keep_intermediate,
    timestep_batch,
)
from ddpm_kit.diffusion.sampling.editing import Edit, first_kept_step, level, level_after, noised, renoise, snapshot
from ddpm_kit.diffusion.sampling.prediction import Denoiser, Frame, Network, Prediction

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
               edit: Edit | None = None) -> tuple[Tensor, list[Tensor]]:
        """(samples, intermediates). Draws: x_T first, then what the updates draw, in step order, so a
        generator seeded like upstream's global RNG gives upstream's numbers. Intermediates: x_T, then x after
        the step k steps before the last when k % log_every_t == 0, and after the first step.
        ``edit``: SDEdit and inpainting of ``edit.init`` (``ddpm_kit.diffusion.sampling.editing``)."""
        self.check(buffers, parameterization)
        steps = self.plan(buffers, parameterization)
        model = Denoiser(denoiser, buffers, parameterization, clip_denoised)
        x_T = initial_noise(shape, x_T, generator, buffers)
        noise = Noise(x_T.shape, generator, buffers)
        intermediates = [x_T] if log_every_t is not None else []
        x_start = x_T
        if edit is not None:
            steps, x_start = self._edit_start(edit, steps, x_T, buffers)
            if not steps:  # strength 0: nothing to do
                return x_start, intermediates
        x, state, total = self.start(x_start, steps), {}, len(steps)
        for k, step in enumerate(steps):
            if edit is not None and edit.mask is not None:
                x = self._inpaint_step(x, k, steps, model, noise, state, edit, buffers)
            else:
                x = self.update(x, self.predict(model, x, step), step, noise, model, state)
            if keep_intermediate(total - 1 - k, total - 1, log_every_t):
                intermediates.append(self.output(x, steps, k))
            if progress is not None:
                progress(k + 1, total)
        return self.output(x, steps, total - 1), intermediates

    def _edit_start(self, edit: Edit, steps: list[Step], x_T: Tensor, buffers: Buffers) -> tuple[list[Step], Tensor]:
        """SDEdit's plan (the steps after the first S - round(s S)) and the x it starts from (x_T itself when
        every step runs); with a mask the known region starts from the noised input."""
        init = edit.init.to(x_T)
        first = first_kept_step(edit.strength, len(steps))
        kept = steps[first:]
        if not kept:
            return kept, init.clone()
        x = x_T if first == 0 else noised(init, level(kept[0], buffers), x_T)
        if edit.mask is not None:
            mask = edit.mask.to(x_T)
            x = mask * noised(init, level(kept[0], buffers), x_T) + (1 - mask) * x
        return kept, x

    def _inpaint_step(self, x: Tensor, k: int, steps: list[Step], model: Denoiser, noise: Noise,
                      state: dict[str, Any], edit: Edit, buffers: Buffers) -> Tensor:
        """Step k, then the known region set to the input at the level reached; ``edit.resample`` times, x sent
        back to step k's level in between (the sampler's multistep state restored for each repetition)."""
        before = snapshot(state) if edit.resample > 1 else None
        init, mask = edit.init.to(x), edit.mask.to(x)
        reached = level_after(steps, k, buffers)
        for repetition in range(edit.resample):
            if repetition:
                back = renoise(self.output(x, steps, k), level(steps[k], buffers), reached, noise())
                x = self.start(back, steps[k:])
                state.clear()
                state.update(snapshot(before))
            x = self.update(x, self.predict(model, x, steps[k]), steps[k], noise, model, state)
            known = noised(init, reached, noise()) if reached[1] else init
            merged = mask * known + (1 - mask) * self.output(x, steps, k)
            x = self.start(merged, steps[k + 1:]) if k + 1 < len(steps) else merged
        return x
