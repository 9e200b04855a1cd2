"""Sampling from a DDPM module: conditions, classifier-free guidance, EMA weights, and upstream's log_images rows."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

import torch
from torch import Tensor

from ddpm_kit.config import ModelConfig

from ddpm_kit.diffusion.sampling.editing import Edit, EditUnsupported
from ddpm_kit.diffusion.sampling.loop import Sampler
from ddpm_kit.diffusion.forward import q_sample
from ddpm_kit.diffusion.sampling.network import EvaluationMonitor, ModelCall
from ddpm_kit.module_parts.batches import conditions, labels_of


class SamplingModel(Protocol):
    """What sampling reads of a model (``ddpm_kit.module.DDPM`` is one): its validated config and CompVis
    attributes, the schedule buffers, the network call and the EMA scope."""

    cfg: ModelConfig
    sampler: Any  # the configured sampler implementation
    conditioning_key: str | None
    parameterization: str
    clip_denoised: bool
    first_stage_key: str
    num_timesteps: int
    log_every_t: int

    @property
    def device(self) -> torch.device: ...

    @property
    def buffers_dict(self) -> dict[str, Tensor]: ...

    def apply_model(self, x: Tensor, t: Tensor, cond: dict[str, Any] | None = None) -> Tensor: ...

    def ema_scope(self, context: str | None = None, index: int = 0) -> AbstractContextManager[None]: ...

    def get_input(self, batch: dict[str, Any], key: str) -> Tensor: ...


def sample_shape(module: SamplingModel, batch_size: int) -> tuple[int, ...]:
    """(B, C, H, W) for image backbones, (B, D) for vector backbones (D = ``channels``)."""
    return (batch_size, *module.cfg.item_shape())


def null_condition(module: SamplingModel, cond: dict[str, Any]) -> dict[str, Any]:
    """The unconditional counterpart of ``cond``: the ``ucg_training`` replacement of each condition key
    (e.g. the null class label), zeros for a key without one."""
    keys = module.cfg.condition_keys
    entries = module.cfg.ucg_training or {}
    batch: dict[str, Any] = {}
    for slot, key in keys.used().items():
        value = _slot_value(cond, slot, module.conditioning_key)
        fill = entries[key].val if key in entries and entries[key].val is not None else 0
        batch[key] = torch.full_like(value, fill)
    return conditions(batch, keys, module.conditioning_key)


def _slot_value(cond: dict[str, Any], slot: str, conditioning_key: str | None) -> Tensor:
    if slot == "concat":
        return cond["c_concat"][0]
    if slot == "context":
        return cond["c_crossattn"][0]
    return labels_of(cond, conditioning_key)


def make_network(module: SamplingModel, cond: dict[str, Any] | None, guidance_scale: float, chunk: int | None = None,
                 monitor: EvaluationMonitor | None = None) -> ModelCall:
    """``network(x, t)`` of the module under ``cond``, guided with the ``null_condition`` when s != 1, evaluated
    ``chunk`` samples at a time (``ModelCall``): what the sampler's ``Denoiser`` wraps."""
    null = null_condition(module, cond) if cond and guidance_scale != 1.0 else None
    return ModelCall(module.apply_model, cond, null, guidance_scale, chunk, monitor)


def default_labels(module: SamplingModel, batch_size: int, generator: torch.Generator | None) -> Tensor:
    """Random class labels in [0, num_classes), skipping the null label used for guidance."""
    num_classes = int(getattr(module.cfg.unet_config, "num_classes", 0) or 0)
    key = module.cfg.condition_keys.labels
    entries = module.cfg.ucg_training or {}
    null = entries[key].val if key in entries else None
    choices = torch.tensor([c for c in range(num_classes) if c != null])
    return choices[torch.randint(len(choices), (batch_size,), generator=generator)]


@torch.no_grad()
def sample(module: SamplingModel, batch_size: int, *, sampler: Any = None, generator: torch.Generator | None = None,
           batch: dict[str, Any] | None = None, labels: Tensor | None = None, guidance_scale: float | None = None,
           log_every_t: int | None = None, x_T: Tensor | None = None, use_ema: bool = True, chunk: int | None = None,
           monitor: EvaluationMonitor | None = None, edit: Edit | None = None) -> tuple[Tensor, list]:
    """Samples [B, ...] and intermediates, with the EMA weights when the module has them (``use_ema``); the
    network evaluated ``chunk`` samples at a time, each evaluation reported to ``monitor``; ``edit``: SDEdit /
    inpainting of given images (``ddpm_kit.diffusion.sampling.editing``)."""
    sampler = sampler or module.sampler
    cond = None
    if module.conditioning_key is not None:
        source = dict(batch or {})
        label_key = module.cfg.condition_keys.labels
        if label_key is not None and label_key not in source:
            source[label_key] = labels if labels is not None else default_labels(module, batch_size, generator)
        missing = [k for k in module.cfg.condition_keys.used().values() if k not in source]
        if missing:
            raise ValueError(f"sampling a {module.conditioning_key!r} model needs the conditions {missing}")
        cond = {name: _to(value, module.device) for name, value in
                conditions(source, module.cfg.condition_keys, module.conditioning_key).items()}
    scale = module.cfg.guidance_scale if guidance_scale is None else guidance_scale
    network = make_network(module, cond, scale, chunk, monitor)
    scope = module.ema_scope("sampling") if use_ema else _null()
    with scope:
        if edit is not None and not isinstance(sampler, Sampler):
            raise EditUnsupported(f"sampler {type(sampler).__name__} does not run on the shared sampling loop "
                                  "(ddpm_kit.diffusion.sampling.loop.Sampler), so it cannot edit images")
        extra = {} if edit is None else {"edit": edit}  # a sampler without the shared loop takes no edit
        return sampler.sample(network, module.buffers_dict, sample_shape(module, batch_size),
                              parameterization=module.parameterization, clip_denoised=module.clip_denoised,
                              generator=generator, log_every_t=log_every_t, x_T=x_T, **extra)


#: ``sample`` under a name that ``log_images``' upstream-named ``sample`` flag does not shadow
draw_samples = sample


def _to(value: Any, device: torch.device) -> Any:
    return [v.to(device) for v in value] if isinstance(value, list) else value.to(device)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def make_grid(rows: list[list[Tensor]]) -> Tensor:
    """Images [C, H, W] in [-1, 1] arranged rows x columns with 2-pixel padding -> [3, H', W'] (make_grid)."""
    pad = 2
    c, h, w = rows[0][0].shape
    cols = max(len(r) for r in rows)
    grid = torch.zeros(3, pad + len(rows) * (h + pad), pad + cols * (w + pad))
    for i, row in enumerate(rows):
        for j, image in enumerate(row):
            image = image.detach().float().cpu().clamp(-1, 1)
            image = image.expand(3, h, w) if c == 1 else image[:3]
            grid[:, pad + i * (h + pad): pad + i * (h + pad) + h, pad + j * (w + pad): pad + j * (w + pad) + w] = image
    return grid


@torch.no_grad()
def log_images(module: SamplingModel, batch: dict[str, Any], *, N: int = 8, n_row: int = 2, sample: bool = True,
               return_keys: list[str] | None = None, generator: torch.Generator | None = None) -> dict[str, Tensor]:
    """Upstream's rows: ``inputs`` [N, C, H, W], ``diffusion_row`` (q_sample of n_row inputs at every
    log_every_t-th t), and inside the EMA scope ``samples`` [N, C, H, W] and ``denoise_row`` (intermediates)."""
    images: dict[str, Tensor] = {}
    x = module.get_input(batch, module.first_stage_key).to(module.device)
    N, n_row = min(x.shape[0], N), min(x.shape[0], n_row)
    images["inputs"] = x[:N]
    steps = [t for t in range(module.num_timesteps) if t % module.log_every_t == 0 or t == module.num_timesteps - 1]
    start = x[:n_row]
    if start.dim() == 4:
        diffusion = []
        for t in steps:
            t_batch = torch.full((n_row,), t, device=module.device, dtype=torch.long)
            noise = torch.randn(start.shape, generator=generator).to(start.device)
            diffusion.append(q_sample(start, t_batch, noise, module.buffers_dict))
        images["diffusion_row"] = make_grid([[d[i] for d in diffusion] for i in range(n_row)])
    if sample:
        cond_batch = {k: v[:N] for k, v in batch.items() if k in module.cfg.condition_keys.used().values()}
        samples, intermediates = draw_samples(module, N, generator=generator, batch=cond_batch or None,
                                              log_every_t=module.log_every_t)
        images["samples"] = samples
        if samples.dim() == 4 and intermediates:
            images["denoise_row"] = make_grid([[step[i] for step in intermediates] for i in range(N)])
    if return_keys:
        chosen = {k: v for k, v in images.items() if k in return_keys}
        return chosen or images
    return images
