"""``make_betas``, the one way from a schedule spec to the float64 betas a model registers.

A schedule's formula is its spec's pure-Python ``reference_betas``. The torch twins (``<name>_impl``) exist only for the
CompVis schedules that upstream computes with torch (``torch.linspace(..., dtype=float64)``, ``torch.cos``):
the same torch operations give the betas, and the float32 buffers cast from them, bitwise equal to CompVis'
(tests/components/schedules/test_impl.py); the pure-Python formula agrees with them to about one ulp. Formulas
and sources are in the specs' docstrings (``ddpm_kit.components.schedules``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ddpm_kit.components.schedules.base import rescale_zero_terminal_snr
from ddpm_kit.registry import ScheduleSpec

F64 = torch.float64


def linspace_f64(start: float, end: float, steps: int) -> Tensor:
    """``torch.linspace(start, end, steps, dtype=float64)``, CompVis' ramp for the torch twins."""
    return torch.linspace(start, end, steps, dtype=F64)


def _twin_betas(spec: ScheduleSpec, timesteps: int) -> Tensor:
    """The raw betas of the spec's torch twin (``impl``), checked to be a 1-D float64 tensor of length T."""
    betas = spec.load_impl()(spec, timesteps)
    where = f"schedule {spec.name!r} ({spec.impl})"
    if not isinstance(betas, Tensor) or betas.dtype != F64 or betas.dim() != 1:
        got = f"{betas.dtype} tensor of shape {tuple(betas.shape)}" if isinstance(betas, Tensor) else type(betas)
        raise TypeError(f"{where} must return a 1-D float64 tensor, got {got}")
    if spec.uses_timesteps and betas.shape[0] != timesteps:
        raise ValueError(f"{where} returned {betas.shape[0]} betas for timesteps={timesteps}")
    if getattr(spec, "zero_terminal_snr", False):
        betas = torch.tensor(rescale_zero_terminal_snr(betas.tolist()), dtype=F64)
    return betas


def make_betas(spec: ScheduleSpec, timesteps: int) -> Tensor:
    """The betas of ``spec`` at T = ``timesteps`` as a float64 tensor [T]: what the model registers.

    The spec's ``reference_betas`` (zero-terminal-SNR rescale included), or, for a spec with a torch twin
    (``impl``), the twin's betas with the same rescale applied when the spec has ``zero_terminal_snr = True``.
    The result is checked: length T (when the spec ``uses_timesteps``), finite, every beta in (0, 1].
    Anything else is an error naming the spec.
    """
    if spec.uses_timesteps and timesteps < 2:
        raise ValueError(f"schedule {spec.name!r} needs timesteps >= 2, got {timesteps}")
    if spec.impl:
        betas = _twin_betas(spec, timesteps)
    else:
        betas = torch.tensor(spec.reference_betas(timesteps), dtype=F64)
    where = f"schedule {spec.name!r}" + (f" ({spec.impl})" if spec.impl else "")
    if spec.uses_timesteps and betas.shape[0] != timesteps:
        raise ValueError(f"{where} gave {betas.shape[0]} betas for timesteps={timesteps}")
    bad = (~torch.isfinite(betas)) | (betas <= 0) | (betas > 1)
    if bool(bad.any()):
        index = bad.nonzero().flatten()[:5].tolist()
        raise ValueError(f"{where} gave betas outside (0, 1] at t={index}: {betas[index].tolist()}")
    return betas
