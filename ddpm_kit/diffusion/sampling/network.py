"""The network call a ``Denoiser`` wraps: conditions, classifier-free guidance and chunking in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import Tensor

#: ``apply_model(x, t, cond) -> output`` (the module's DiffusionWrapper call)
ApplyModel = Callable[[Tensor, Tensor, "dict[str, Any] | None"], Tensor]


class EvaluationMonitor(Protocol):
    """Told about every network evaluation: after each chunk, and the whole output (progress, finiteness)."""

    def chunk_done(self, chunks_per_evaluation: int) -> None: ...

    def evaluated(self, t: Tensor, output: Tensor) -> None: ...


class ModelCall:
    """``call(x, t) -> output`` of ``apply_model`` under ``cond``.

    Guidance (scale s != 1 with a ``null_cond``): out_u + s (out_c - out_u) in the network's output space
    (as upstream DDIM; Ho & Salimans 2022, "Classifier-Free Diffusion Guidance"), computed as one doubled
    batch [null; cond]. Chunking: that batch is evaluated ``chunk`` samples at a time (memory), conditions
    sliced alike; the outputs are concatenated."""

    def __init__(self, apply_model: ApplyModel, cond: dict[str, Any] | None = None,
                 null_cond: dict[str, Any] | None = None, guidance_scale: float = 1.0, chunk: int | None = None,
                 monitor: EvaluationMonitor | None = None) -> None:
        self.apply_model, self.monitor, self.chunk = apply_model, monitor, chunk
        self.guided = bool(cond) and null_cond is not None and guidance_scale != 1.0
        self.cond = cat_conditions(null_cond, cond) if self.guided else (cond or None)
        self.scale = guidance_scale

    def __call__(self, x: Tensor, t: Tensor) -> Tensor:
        if not self.guided:
            return self._evaluate(x, t)
        out_uncond, out_cond = self._evaluate(torch.cat([x, x]), torch.cat([t, t])).chunk(2)
        return out_uncond + self.scale * (out_cond - out_uncond)

    def _evaluate(self, x: Tensor, t: Tensor) -> Tensor:
        if self.chunk is None and self.monitor is None:
            return self.apply_model(x, t, self.cond)
        chunk = self.chunk or x.shape[0]
        count = -(-x.shape[0] // chunk)
        outputs = []
        for start in range(0, x.shape[0], chunk):
            part = slice(start, start + chunk)
            outputs.append(self.apply_model(x[part], t[part], slice_conditions(self.cond, part)))
            if self.monitor is not None:
                self.monitor.chunk_done(count)
        out = torch.cat(outputs)  # [B, ...]
        if self.monitor is not None:
            self.monitor.evaluated(t, out)
        return out


def cat_conditions(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two condition dicts (tensors or DiffusionWrapper's lists of tensors) concatenated along the batch."""
    out: dict[str, Any] = {}
    for name, value in a.items():
        if isinstance(value, list):
            out[name] = [torch.cat([x, y]) for x, y in zip(value, b[name])]
        else:
            out[name] = torch.cat([value, b[name]])
    return out


def slice_conditions(cond: dict[str, Any] | None, part: slice) -> dict[str, Any] | None:
    """The conditions of the samples in ``part``."""
    if not cond:
        return cond
    return {k: [v[part] for v in value] if isinstance(value, list) else value[part] for k, value in cond.items()}
