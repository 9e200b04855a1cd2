"""Properties of augmentations: shapes and the declared condition width, determinism from the per-sample
generators, and batch independence (sample i depends on its own generator alone)."""

from __future__ import annotations

from typing import Any

import torch

from ddpm_kit.testing.conformance.base import Context, Property

#: B, C, H, W of the example batch (non-square, so a transposed axis shows)
SHAPE = (6, 3, 8, 12)


def _run(spec: Any, images: torch.Tensor, seeds: range) -> tuple[torch.Tensor, torch.Tensor | None]:
    augment = spec.load_impl()(spec)
    return augment(images.clone(), [torch.Generator().manual_seed(s) for s in seeds])


def _images() -> torch.Tensor:
    return torch.rand(*SHAPE, generator=torch.Generator().manual_seed(0)) * 2 - 1


def augment_shapes(spec: Any, ctx: Context) -> list[str]:
    """images keep [B, C, H, W] and dtype; condition [B, condition_dim()] (None when condition_dim() is 0)."""
    out, condition = _run(spec, _images(), range(SHAPE[0]))
    problems = []
    if tuple(out.shape) != SHAPE or out.dtype != torch.float32:
        problems.append(f"images {tuple(out.shape)} {out.dtype}, given {SHAPE} float32")
    k = spec.condition_dim()
    if (condition is None) != (k == 0) or (condition is not None and tuple(condition.shape) != (SHAPE[0], k)):
        problems.append(f"condition {None if condition is None else tuple(condition.shape)}, declared "
                        f"condition_dim() = {k}")
    return problems


def augment_deterministic(spec: Any, ctx: Context) -> list[str]:
    """The same generators give the same images and condition; the input batch is not changed in place."""
    images = _images()
    before = images.clone()
    a, ca = _run(spec, images, range(SHAPE[0]))
    b, cb = _run(spec, images, range(SHAPE[0]))
    problems = [] if torch.equal(images, before) else ["changed its input in place"]
    if not torch.equal(a, b) or (ca is not None and not torch.equal(ca, cb)):
        problems.append("two calls with equally seeded generators differ")
    return problems


def augment_batch_independent(spec: Any, ctx: Context) -> list[str]:
    """Samples 2..4 of a batch equal the same samples augmented alone with their generators."""
    images = _images()
    whole, condition = _run(spec, images, range(SHAPE[0]))
    part, part_condition = _run(spec, images[2:5], range(2, 5))
    if not torch.equal(whole[2:5], part) or (condition is not None and not torch.equal(condition[2:5],
                                                                                      part_condition)):
        return ["a sample's result depends on the other samples of its batch"]
    return []


AUGMENT = (
    Property("augment_shapes", augment_shapes), Property("augment_deterministic", augment_deterministic),
    Property("augment_batch_independent", augment_batch_independent),
)
