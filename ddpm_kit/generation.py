"""Reproducible sampling from a loaded model: seeds, sampler overrides, chunked network calls, labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ddpm_kit.config import ConfigError
from ddpm_kit.config.errors import Issue
from ddpm_kit.diffusion.sampling.common import PerSampleNoise
from ddpm_kit.diffusion.sampling.editing import Edit
from ddpm_kit.module_parts import sampling
from ddpm_kit.progress import ProgressCallback
from ddpm_kit.seeding import derive_seed

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

LABEL_MODES = ("adm",)  # conditioning modes whose only condition is the class label


def label_conditioned(module: DDPM) -> bool:
    """Whether the model's only condition is a class label (what ``generate`` can supply)."""
    return module.conditioning_key in LABEL_MODES and set(module.cfg.condition_keys.used()) == {"labels"}


def sampler_from(module: DDPM, name: str | None = None, **params: Any) -> Any:
    """The sampler spec to use: the model's ``sampler`` with ``params`` changed, or ``name`` with ``params``;
    validated by the spec and by the config rules (parameterization support, steps <= T), ConfigError else."""
    from pydantic import ValidationError

    from ddpm_kit.config.errors import Issues
    from ddpm_kit.config.eval_rules import check_sampler
    from ddpm_kit.config.rules import effective_timesteps
    from ddpm_kit.config.validate import pydantic_issues
    from ddpm_kit.registry import SAMPLERS

    given = {k: v for k, v in params.items() if v is not None}
    data = {"name": name, **given} if name else {**module.cfg.sampler.model_dump(mode="json"), **given}
    spec_cls = SAMPLERS.get(data["name"])
    try:
        spec = spec_cls.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([Issue(f"sampler.{i.path}", i.message, i.severity, i.value, i.has_value, i.hint)
                           for i in pydantic_issues(exc, data, spec_cls)], f"sampler {data['name']!r}") from None
    issues = Issues()
    check_sampler(spec, module.cfg.parameterization, effective_timesteps(module.cfg), issues, "sampler")
    if issues.errors:
        raise ConfigError(issues.errors, f"sampler {spec.name!r}")
    return spec


class _Evaluations:
    """The ``EvaluationMonitor`` of ``generate``: ``progress(done, total)`` after every chunk (total = the
    sampler's network evaluations x chunks per evaluation, known at the first evaluation, which sees the whole
    batch, guidance's doubled batch included), and per evaluation its timestep and whether its output was
    finite (a device flag: no sync per step)."""

    def __init__(self, progress: ProgressCallback | None, steps: int) -> None:
        self._progress, self._steps, self._done, self._total = progress, steps, 0, 0
        self.evaluations: list[tuple[int, Tensor]] = []

    def chunk_done(self, chunks_per_evaluation: int) -> None:
        if not self._total:
            self._total = self._steps * chunks_per_evaluation
        self._done += 1
        if self._progress is not None:
            self._progress(min(self._done, self._total), self._total)

    def evaluated(self, t: Tensor, output: Tensor) -> None:
        self.evaluations.append((int(t[0]), torch.isfinite(output).all()))

    def first_nonfinite(self) -> tuple[int, int] | None:
        """(evaluation number from 1, its timestep) of the first network output holding NaN or inf, else None."""
        if not self.evaluations:
            return None
        finite = torch.stack([flag for _, flag in self.evaluations]).cpu()
        bad = (~finite).nonzero()
        if len(bad) == 0:
            return None
        first = int(bad[0])
        return first + 1, self.evaluations[first][0]


class NonFiniteSamples(ValueError):
    """Sampling produced NaN or inf; the message names the network evaluation where they first appeared."""


@torch.no_grad()
def generate(module: DDPM, n: int, *, sampler: Any = None, seed: int = 0, batch_size: int | None = None,
             labels: Tensor | None = None, guidance_scale: float | None = None,
             progress: ProgressCallback | None = None, edit: Edit | None = None,
             conditions: dict[str, Tensor] | None = None) -> tuple[Tensor, Tensor | None]:
    """(samples [n, ...] on the CPU, class labels [n] or None), reproducible from ``seed``; ``progress(done,
    total)`` is called after each network evaluation of a batch (total = sampler steps x batches).

    Design: every sample has its own noise stream seeded from (seed, index) (``PerSampleNoise``), for x_T
    and for every step, so the first 8 samples of ``--n 16`` are the samples of ``--n 8``; ``batch_size``
    only splits the network evaluations (the memory-heavy part). Samples are therefore the same for any n
    and batch split up to the last bits of the network's float arithmetic (a CPU matmul rounds differently
    for different batch sizes: ~1e-7). Labels, when the model is label-conditioned and none are given, are
    drawn from a separate stream of ``seed``. ``edit`` (images [n, ...] and a strength and/or mask) turns
    sampling into SDEdit / inpainting of those images with the same noise streams. ``conditions`` maps the
    model's condition batch keys (``condition_keys``: a concat image, a cross-attention context) to tensors
    [n, ...], sample i conditioned on item i, as a batch of the training data holds them.
    """

    spec = sampler if sampler is not None else module.cfg.sampler
    if label_conditioned(module) and labels is None:
        labels = sampling.default_labels(module, n, torch.Generator().manual_seed(derive_seed(seed, "labels")))
    network = _Evaluations(progress, spec.num_steps(module.num_timesteps))
    generator = PerSampleNoise(seed, n)
    for key, value in (conditions or {}).items():
        if len(value) != n:
            raise ValueError(f"condition {key!r} holds {len(value)} items for {n} samples")
    samples, _ = sampling.sample(module, n, sampler=spec.load_impl()(spec), generator=generator, labels=labels,
                                 guidance_scale=guidance_scale, use_ema=False, chunk=batch_size or n,
                                 monitor=network, edit=edit, batch=conditions)
    samples = samples.detach().float().cpu()
    bad = int((~torch.isfinite(samples)).sum())
    if bad:
        first = network.first_nonfinite()
        where = (f"the network output was first non-finite at evaluation {first[0]} of {len(network.evaluations)} "
                 f"(t = {first[1]})" if first else "every network output was finite: the sampler's own arithmetic "
                 "overflowed")
        raise NonFiniteSamples(f"sampling produced {bad} non-finite values (NaN or inf) in {len(samples)} samples "
                               f"with {spec.name}; {where}")
    return samples, labels
