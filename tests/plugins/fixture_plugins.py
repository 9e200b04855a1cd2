"""Source of the fixture plugins used by the isolation and conformance tests (written into a site folder)."""

from __future__ import annotations

RAISES_ON_IMPORT = "raise RuntimeError('backend exploded')\n"

CLASHING_LOSS = '''
from typing import ClassVar, Literal
from ddpm_kit.registry import LossSpec

class L2Loss(LossSpec):
    """Claims the built-in name l2."""
    name: Literal["l2"] = "l2"
    impl: ClassVar[str] = "ddpm_kit.components.losses.l2_impl:l2_loss"
'''

TORCH_AT_MODULE_LEVEL = '''
from typing import ClassVar, Literal
import torch  # the mistake: a spec module must stay torch-free
from pydantic import Field
from ddpm_kit.registry import ScheduleSpec

class HeavySchedule(ScheduleSpec):
    """Constant betas, from a spec module that imports torch."""
    name: Literal["acme.heavy"] = "acme.heavy"
    impl: ClassVar[str] = "acme_torchy.specs:heavy_betas"
    beta: float = Field(0.01, gt=0, lt=0.5, description="the beta of every step")

    def reference_betas(self, timesteps):
        return [self.beta] * timesteps

def heavy_betas(spec, timesteps):
    return torch.full((timesteps,), spec.beta, dtype=torch.float64)
'''

SCHEDULE_AS_BACKBONE = '''
from typing import Literal
from ddpm_kit.registry import ScheduleSpec

class NotABackbone(ScheduleSpec):
    """A schedule declared under the backbones group."""
    name: Literal["acme.notabackbone"] = "acme.notabackbone"
'''

# reference_betas honours `offset`, the torch implementation ignores it: correct at the default (0), wrong
# elsewhere, so only the hypothesis family check can see it.
BROKEN_SCHEDULE_SPECS = '''
from typing import ClassVar, Literal
from pydantic import Field
from ddpm_kit.registry import ScheduleSpec
from ddpm_kit.components.schedules.base import beta_problems, linspace

class OffsetSchedule(ScheduleSpec):
    """Betas linear from start + offset to end + offset (a deliberately broken test plugin)."""
    name: Literal["acme.offset"] = "acme.offset"
    impl: ClassVar[str] = "acme_broken_schedule.impl:offset_betas"
    start: float = Field(1e-4, ge=1e-5, le=1e-2, description="first beta before the offset")
    end: float = Field(2e-2, ge=1e-2, le=5e-2, description="last beta before the offset")
    offset: float = Field(0.0, ge=0.0, le=1e-2, description="added to every beta")

    def reference_betas(self, timesteps):
        return [b + self.offset for b in linspace(self.start, self.end, timesteps)]

    def check(self, timesteps):
        return beta_problems(self.reference_betas(timesteps)) if timesteps >= 2 else ["needs T >= 2"]
'''
BROKEN_SCHEDULE_IMPL = '''
import torch

def offset_betas(spec, timesteps):
    return torch.linspace(spec.start, spec.end, timesteps, dtype=torch.float64)  # forgets spec.offset
'''
