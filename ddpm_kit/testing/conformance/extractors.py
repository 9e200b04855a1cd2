"""Properties of feature extractors: declared shapes, eval mode kept after ``train()``, determinism,
batch independence."""

from __future__ import annotations

from typing import Any

import torch

from ddpm_kit.testing.conformance.base import Context, Property


def _outputs(spec: Any, ctx: Context) -> tuple[Any, torch.Tensor, tuple]:
    """The module, a batch of 4 declared-size images in [-1, 1] and its outputs (built once per spec)."""
    key = f"extractor:{spec!r}"
    if key not in ctx.cache:
        module = spec.load_impl()(spec)
        size = spec.example_input_shape()
        images = torch.rand(4, *size, generator=torch.Generator().manual_seed(0)) * 2 - 1
        with torch.no_grad():
            ctx.cache[key] = (module, images, module(images))
    return ctx.cache[key]


def extractor_shapes(spec: Any, ctx: Context) -> list[str]:
    """features [B, feature_dim()] float32; probs [B, num_classes()] or None when num_classes() is None."""
    _, images, (features, probs) = _outputs(spec, ctx)
    problems = []
    if tuple(features.shape) != (images.shape[0], spec.feature_dim()) or features.dtype != torch.float32:
        problems.append(f"features {tuple(features.shape)} {features.dtype}, "
                        f"declared [B, {spec.feature_dim()}] float32")
    k = spec.num_classes()
    if (probs is None) != (k is None) or (probs is not None and tuple(probs.shape) != (images.shape[0], k)):
        problems.append(f"probs {None if probs is None else tuple(probs.shape)}, declared num_classes() = {k}")
    return problems


def extractor_eval_mode(spec: Any, ctx: Context) -> list[str]:
    """After ``.train()`` every submodule is still in eval mode and no parameter requires grad."""
    module, _, _ = _outputs(spec, ctx)
    module.train()
    problems = [] if not any(m.training for m in module.modules()) else ["train() switched the module to train mode"]
    if any(p.requires_grad for p in module.parameters()):
        problems.append("some parameters require grad")
    return problems


def extractor_deterministic(spec: Any, ctx: Context) -> list[str]:
    """The same batch twice and each image alone give bitwise the same features."""
    module, images, (features, _) = _outputs(spec, ctx)
    with torch.no_grad():
        again = module(images)[0]
        alone = torch.cat([module(images[i:i + 1])[0] for i in range(images.shape[0])])
    problems = [] if torch.equal(features, again) else ["two passes over the same batch differ"]
    if not torch.equal(features, alone):
        problems.append("features depend on the batch (batch of 4 vs one at a time)")
    return problems


FEATURE_EXTRACTOR = (
    Property("extractor_shapes", extractor_shapes), Property("extractor_eval_mode", extractor_eval_mode),
    Property("extractor_deterministic", extractor_deterministic),
)
