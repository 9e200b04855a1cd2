"""Feature extraction with a feature-extractor module, chunked, under ``torch.no_grad()``.

Extractor call contract: ``extractor(images [B, C, H, W] in [-1, 1]) -> (features [B, D] float32,
probs [B, K] | None)``. Features (and probs) are accumulated in float64 on the CPU, chunk by chunk, so the
result does not depend on how the images are batched (bitwise for an extractor whose rows do not depend
on the rest of the batch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

RANGE_TOLERANCE = 1e-2  # images may exceed [-1, 1] by this much (rounding of decoded samples)
Progress = Callable[[int, int], None]  # (done, total) in images; total = 0 when unknown


@dataclass(frozen=True)
class FeatureSet:
    """Extracted features [N, D] float64 and class probabilities [N, K] float64 (None if the extractor has none)."""

    features: np.ndarray
    probs: np.ndarray | None


def check_images(images: Tensor, what: str = "images") -> None:
    """Raise ``ValueError`` naming the problem unless ``images`` is a finite [N, C, H, W] tensor in [-1, 1]
    (to ``RANGE_TOLERANCE``)."""
    if not isinstance(images, Tensor):
        raise ValueError(f"{what} must be a torch.Tensor [N, C, H, W], got {type(images).__name__}.")
    if images.ndim != 4:
        raise ValueError(f"{what} must have shape [N, C, H, W], got {tuple(images.shape)}.")
    if not images.is_floating_point():
        raise ValueError(f"{what} must be a floating-point tensor in [-1, 1], got dtype {images.dtype}.")
    if not torch.isfinite(images).all():
        raise ValueError(f"{what} contain NaN or inf values.")
    if images.numel() == 0:
        raise ValueError(f"{what} are empty (shape {tuple(images.shape)}).")
    low, high = float(images.min()), float(images.max())
    if low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        hint = " (looks like [0, 255]: use x / 127.5 - 1)" if high > 2 else ""
        raise ValueError(f"{what} must lie in [-1, 1], got values in [{low:.4g}, {high:.4g}]{hint}.")


def _module_device(module: nn.Module) -> torch.device:
    """The device of the module's first parameter or buffer; CPU for a module without any."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def _run_chunk(extractor: nn.Module, chunk: Tensor, device: torch.device) -> tuple[np.ndarray, np.ndarray | None]:
    """One extractor call on ``chunk``: (features [B, D], probs [B, K] | None) as float64 CPU arrays, checked."""
    out = extractor(chunk.to(device))
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ValueError("a feature extractor must return (features [B, D], probs [B, K] | None).")
    features, probs = out
    if features.ndim != 2 or features.shape[0] != chunk.shape[0]:
        raise ValueError(f"extractor features must be [B = {chunk.shape[0]}, D], got {tuple(features.shape)}.")
    if probs is not None and (probs.ndim != 2 or probs.shape[0] != chunk.shape[0]):
        raise ValueError(f"extractor probs must be [B = {chunk.shape[0]}, K], got {tuple(probs.shape)}.")
    to_np = lambda t: t.detach().to("cpu", torch.float64).numpy()  # noqa: E731
    return to_np(features), None if probs is None else to_np(probs)


def _batches(images: Tensor | Iterable[Tensor], batch_size: int) -> Iterable[Tensor]:
    """Chunks of at most ``batch_size`` images from one tensor or an iterable of tensors, each validated."""
    for index, batch in enumerate([images] if isinstance(images, Tensor) else images):
        check_images(batch, "images" if isinstance(images, Tensor) else f"images (batch {index})")
        yield from batch.split(batch_size)


@torch.no_grad()
def extract_features(extractor: nn.Module, images: Tensor | Iterable[Tensor], batch_size: int = 256,
                     progress: Progress | None = None, total: int | None = None,
                     device: torch.device | str | None = None) -> FeatureSet:
    """Features (and probs) of ``images`` (a tensor [N, C, H, W] or an iterable of such batches) under the
    extractor, ``batch_size`` images per call, on ``device`` (default: the extractor's). ``progress(done,
    total)`` is called after each chunk; ``total`` defaults to N for a tensor and 0 (unknown) otherwise."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    device = torch.device(device) if device is not None else _module_device(extractor)
    total = total if total is not None else (images.shape[0] if isinstance(images, Tensor) else 0)
    feats, probs, done = [], [], 0
    for chunk in _batches(images, batch_size):
        f, p = _run_chunk(extractor, chunk, device)
        if feats and (f.shape[1] != feats[0].shape[1] or (p is None) != (probs[0] is None)):
            raise ValueError("the extractor returned differently shaped outputs for different batches.")
        feats.append(f)
        probs.append(p)
        done += chunk.shape[0]
        if progress is not None:
            progress(done, total)
    if not feats:
        raise ValueError("no images to extract features from.")
    features = np.concatenate(feats)
    if not np.isfinite(features).all():
        raise ValueError("the extractor produced NaN or inf features.")
    return FeatureSet(features, None if probs[0] is None else np.concatenate(probs))
