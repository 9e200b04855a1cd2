"""Properties of the kinds that build ``nn.Module``s: backbone and ema."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ddpm_kit.testing.conformance.base import Context, Property, Skip

BATCH = 3


# ----------------------------------------------------------------------------------------- backbone
def _build(spec: Any, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return spec.load_impl()(spec)


def backbone_inputs(spec: Any) -> tuple[tuple[torch.Tensor, torch.Tensor], dict[str, torch.Tensor], tuple[int, ...]]:
    """((x, t), conditions, expected output shape) from the spec's declared channels, size and conditions."""
    generator = torch.Generator().manual_seed(0)
    channels = spec.data_channels() or 3
    if spec.data_dims() == 1:
        shape: tuple[int, ...] = (BATCH, channels)
    else:
        side = spec.spatial_size() or 8
        shape = (BATCH, channels, *([side] * (spec.data_dims() - 1)))
    x = torch.randn(shape, generator=generator)
    t = torch.tensor([0, 7, 999])[:BATCH]
    conditions: dict[str, torch.Tensor] = {}
    if spec.accepts_labels():
        conditions["y"] = torch.arange(BATCH) % 2
    if spec.accepts_context():
        width = getattr(spec, "context_dim", None)
        if not isinstance(width, int):
            raise Skip("the backbone takes a cross-attention context of undeclared width")
        conditions["context"] = torch.randn(BATCH, 4, width, generator=generator)
    out_channels = spec.output_channels() or channels
    return (x, t), conditions, (shape[0], out_channels, *shape[2:])


def backbone_shape(spec: Any, ctx: Context) -> list[str]:
    """The output has the declared shape [B, output_channels, *spatial], is finite, and so are all gradients."""
    model = _build(spec, 0)
    (x, t), conditions, expected = backbone_inputs(spec)
    out = model(x, t, **conditions)
    if tuple(out.shape) != expected:
        return [f"output shape {tuple(out.shape)}, expected {expected} for input {tuple(x.shape)}"]
    problems = [] if bool(torch.isfinite(out).all()) else ["output not finite"]
    out.square().mean().backward()
    bad = [n for n, p in model.named_parameters() if p.grad is not None and not bool(torch.isfinite(p.grad).all())]
    return problems + ([f"non-finite gradients of {bad[:3]}"] if bad else [])


def backbone_determinism(spec: Any, ctx: Context) -> list[str]:
    """Seeded builds are equal; eval outputs repeat exactly and do not depend on the rest of the batch."""
    first, second = _build(spec, 0).eval(), _build(spec, 0).eval()
    problems = []
    differ = [k for k, v in first.state_dict().items() if not torch.equal(v, second.state_dict()[k])]
    if differ:
        problems.append(f"two builds after torch.manual_seed(0) differ in {differ[:3]}")
    (x, t), conditions, _ = backbone_inputs(spec)
    with torch.no_grad():
        out = first(x, t, **conditions)
        if not torch.equal(out, first(x, t, **conditions)):
            problems.append("two eval forward passes differ")
        alone = first(x[:1], t[:1], **{k: v[:1] for k, v in conditions.items()})
    if not torch.allclose(alone, out[:1], rtol=1e-4, atol=1e-5):
        gap = float((alone - out[:1]).abs().max())
        problems.append(f"sample 0 alone differs from sample 0 in a batch by {gap:.3g}")
    return problems


def backbone_state_dict(spec: Any, ctx: Context) -> list[str]:
    """``load_state_dict(strict=True)`` of one build's state into another reproduces its outputs exactly."""
    source, target = _build(spec, 0).eval(), _build(spec, 1).eval()
    target.load_state_dict(source.state_dict(), strict=True)
    (x, t), conditions, _ = backbone_inputs(spec)
    with torch.no_grad():
        same = torch.equal(source(x, t, **conditions), target(x, t, **conditions))
    return [] if same else ["outputs differ after loading the state dict"]


BACKBONE = (
    Property("output shape and finite gradients", backbone_shape),
    Property("determinism", backbone_determinism),
    Property("state-dict round trip", backbone_state_dict),
)


# ----------------------------------------------------------------------------------------- ema
EMA_API = ("update", "copy_to", "store", "restore", "reset", "reset_num_updates", "shadows", "param_to_shadow")


def _model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.SiLU(), nn.Linear(4, 2))


def _build_ema(spec: Any, model: nn.Module) -> Any:
    return spec.load_impl()(spec, model, batch_size=16)


def _trained_ema(spec: Any, steps: int) -> tuple[nn.Module, Any]:
    """A model and its EMA after ``steps`` updates, the weights perturbed before each."""
    model = _model(0)
    ema = _build_ema(spec, model)
    for step in range(1, steps + 1):
        _perturb(model, step)
        ema.update(step, model)
    return model, ema


def _perturb(model: nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn(param.shape, generator=generator))


def ema_interface(spec: Any, ctx: Context) -> list[str]:
    """An ``nn.Module`` with the EMA interface ddpm-kit calls (update, copy_to, store/restore, reset, shadows)."""
    ema = _build_ema(spec, _model(0))
    missing = [a for a in EMA_API if not hasattr(ema, a)]
    problems = [] if isinstance(ema, nn.Module) else [f"{type(ema).__name__} is not an nn.Module"]
    return problems + ([f"missing {missing}"] if missing else [])


def ema_decay_bounds(spec: Any, ctx: Context) -> list[str]:
    """update(step) returns a decay in [0, 1]; every shadow stays within the range of the weights seen."""
    model = _model(0)
    ema = _build_ema(spec, model)
    low = {n: p.detach().clone() for n, p in model.named_parameters()}
    high = {n: p.detach().clone() for n, p in model.named_parameters()}
    problems = []
    for step in range(1, 31):
        _perturb(model, step)
        for n, p in model.named_parameters():
            low[n], high[n] = torch.minimum(low[n], p.detach()), torch.maximum(high[n], p.detach())
        beta = ema.update(step, model)
        if not isinstance(beta, float) or not 0.0 <= beta <= 1.0:
            problems.append(f"update(step={step}) returned {beta!r}, expected a float decay in [0, 1]")
        half_life = spec.half_life_steps(step)
        if half_life is not None and not half_life >= 0:
            problems.append(f"half_life_steps({step}) = {half_life!r}")
        for n, shadow in ema.shadows().items():
            if bool((shadow < low[n] - 1e-5).any() or (shadow > high[n] + 1e-5).any()):
                problems.append(f"step {step}: the shadow of {n!r} left the range of the weights seen")
        if problems:
            return problems[:3]
    return []


def ema_fixed_point(spec: Any, ctx: Context) -> list[str]:
    """Updating with unchanged weights leaves the shadows equal to them (the EMA of a constant is it)."""
    model = _model(0)
    ema = _build_ema(spec, model)
    for step in range(1, 11):
        ema.update(step, model)
    params = dict(model.named_parameters())
    off = [n for n, s in ema.shadows().items() if not torch.allclose(s, params[n], rtol=0, atol=1e-6)]
    return [f"shadows of {off} moved away from constant weights"] if off else []


def ema_round_trip(spec: Any, ctx: Context) -> list[str]:
    """state_dict -> load_state_dict(strict=True) into a fresh EMA gives the same shadows and the same next update."""
    model, ema = _trained_ema(spec, 5)
    clone = _build_ema(spec, _model(1))
    clone.load_state_dict(ema.state_dict(), strict=True)
    if hasattr(ema, "last_step"):
        clone.last_step = ema.last_step  # a Python counter the Lightning module restores from global_step
    problems = []
    if any(not torch.equal(s, clone.shadows()[n]) for n, s in ema.shadows().items()):
        problems.append("shadows differ after loading the state dict")
    _perturb(model, 6)
    ema.update(6, model)
    clone.update(6, model)
    if any(not torch.equal(s, clone.shadows()[n]) for n, s in ema.shadows().items()):
        problems.append("the next update differs after loading the state dict (state missing from state_dict?)")
    return problems


def ema_scope_restores(spec: Any, ctx: Context) -> list[str]:
    """``ema_scope`` swaps the shadows in and restores the training weights exactly."""
    from ddpm_kit.components.ema.base_impl import ema_scope

    model, ema = _trained_ema(spec, 3)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    problems = []
    with ema_scope(model, ema):
        params = dict(model.named_parameters())
        if any(not torch.equal(params[n], s) for n, s in ema.shadows().items()):
            problems.append("inside ema_scope the model does not hold the shadows")
    if any(not torch.equal(p, before[n]) for n, p in model.named_parameters()):
        problems.append("the training weights were not restored")
    return problems


EMA = (
    Property("EMA interface", ema_interface),
    Property("decay bounds", ema_decay_bounds),
    Property("constant weights are a fixed point", ema_fixed_point),
    Property("state round trip", ema_round_trip),
    Property("ema_scope restores the weights", ema_scope_restores),
)
