"""``edm_augment``: EDM's non-leaky augmentation (Karras et al. 2022, app. C), with its augment_labels.

Parameters are drawn per sample from that sample's generator (``draw``), then applied to the whole batch:
pixel blitting (flips, quarter turns, integer translation with reflection) and one affine resampling
x_out(p) = x_in(G_inv p) in centred pixel coordinates (bilinear, reflect padding).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from ddpm_kit.components.augment.base_impl import per_sample_mask
from ddpm_kit.components.augment.edm import EDMAugmentSpec

Augment = Callable[[Tensor, Sequence[torch.Generator]], tuple[Tensor, Tensor]]


def translate(tx: float, ty: float) -> Tensor:
    return torch.tensor([[1, 0, tx], [0, 1, ty], [0, 0, 1]], dtype=torch.float64)


def scale(sx: float, sy: float) -> Tensor:
    return torch.tensor([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], dtype=torch.float64)


def rotate(theta: float) -> Tensor:
    """[[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]]."""
    c, s = math.cos(theta), math.sin(theta)
    return torch.tensor([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=torch.float64)


@dataclass
class Draw:
    """One sample's parameters: blits, the inverse affine map and the label entries."""

    xflip: int = 0
    yflip: int = 0
    quarter: int = 0
    shift: tuple[int, int] = (0, 0)  # (tx, ty) pixels
    g_inv: Tensor = field(default_factory=lambda: torch.eye(3, dtype=torch.float64))
    labels: list[float] = field(default_factory=list)


def draw(spec: EDMAugmentSpec, height: int, width: int, g: torch.Generator) -> Draw:
    """The parameters of one sample, in EDM's order (each transform: its value, then whether it applies)."""
    def rand() -> float:
        return torch.rand(1, generator=g, dtype=torch.float64).item()

    def randn() -> float:
        return torch.randn(1, generator=g, dtype=torch.float64).item()

    def gate(name: str, value: float) -> float:
        return value if rand() < spec.probability(name) else 0.0

    d, enabled = Draw(), set(spec.enabled())
    for name in ("xflip", "yflip"):
        if name in enabled:
            setattr(d, name, int(gate(name, float(rand() < 0.5))))
            d.labels.append(float(getattr(d, name)))
    if "rotate_int" in enabled:
        d.quarter = int(gate("rotate_int", float(min(3, int(rand() * 4)))))
        d.labels += [float(d.quarter in (1, 2)), float(d.quarter in (2, 3))]
    if "translate_int" in enabled:
        u = (rand() * 2 - 1, rand() * 2 - 1)
        applied = rand() < spec.probability("translate_int")
        m = spec.translate_int_max
        d.shift = (round(u[0] * width * m), round(u[1] * height * m)) if applied else (0, 0)
        d.labels += [d.shift[0] / (width * m), d.shift[1] / (height * m)]
    if "scale" in enabled:
        w = gate("scale", randn())
        d.g_inv = d.g_inv @ scale(2 ** (-w * spec.scale_std), 2 ** (-w * spec.scale_std))
        d.labels.append(w)
    if "rotate_frac" in enabled:
        w = gate("rotate_frac", (rand() * 2 - 1) * math.pi * spec.rotate_frac_max)
        d.g_inv = d.g_inv @ rotate(w)  # EDM: G_inv @ rotate2d_inv(-w)
        d.labels += [math.cos(w) - 1, math.sin(w)]
    if "aniso" in enabled:
        w, r = randn(), (rand() * 2 - 1) * math.pi
        w = w if rand() < spec.probability("aniso") else 0.0
        r = r if rand() < spec.aniso_rotate_prob else 0.0
        if w != 0.0:  # w = 0 is the identity; rotate(-r) @ rotate(r) in floats is not always exactly one
            s = 2 ** (w * spec.aniso_std)
            d.g_inv = d.g_inv @ rotate(-r) @ scale(1 / s, s) @ rotate(r)
        d.labels += [w * math.cos(r), w * math.sin(r)]
    if "translate_frac" in enabled:
        w0, w1 = randn(), randn()
        if not rand() < spec.probability("translate_frac"):
            w0 = w1 = 0.0
        d.g_inv = d.g_inv @ translate(-w0 * width * spec.translate_frac_std, -w1 * height * spec.translate_frac_std)
        d.labels += [w0, w1]
    return d


def reflect(index: Tensor, size: int) -> Tensor:
    """Indices reflected about the border pixels (``reflect`` padding): size-1 - |size-1 - i mod (2 size-2)|."""
    if size == 1:
        return torch.zeros_like(index)
    return size - 1 - (size - 1 - index % (2 * size - 2)).abs()


def blit(images: Tensor, draws: Sequence[Draw]) -> Tensor:
    """Flips, quarter turns (square images) and integer translations, per sample."""
    device = images.device
    xflip = torch.tensor([d.xflip == 1 for d in draws], device=device)
    yflip = torch.tensor([d.yflip == 1 for d in draws], device=device)
    images = torch.where(per_sample_mask(xflip, images), images.flip(3), images)
    images = torch.where(per_sample_mask(yflip, images), images.flip(2), images)
    quarter = torch.tensor([d.quarter for d in draws], device=device)
    if bool((quarter != 0).any()):
        images = torch.where(per_sample_mask((quarter == 1) | (quarter == 2), images), images.flip(3), images)
        images = torch.where(per_sample_mask((quarter == 2) | (quarter == 3), images), images.flip(2), images)
        images = torch.where(per_sample_mask((quarter == 1) | (quarter == 3), images), images.transpose(2, 3),
                             images)
    shifts = torch.tensor([d.shift for d in draws], device=device)  # [B, 2] (tx, ty)
    if bool((shifts != 0).any()):
        n, c, h, w = images.shape
        ys = reflect(torch.arange(h, device=device)[None, :] + shifts[:, 1:2], h)  # [B, H]
        xs = reflect(torch.arange(w, device=device)[None, :] - shifts[:, 0:1], w)  # [B, W]
        images = images.gather(2, ys[:, None, :, None].expand(n, c, h, w))
        images = images.gather(3, xs[:, None, None, :].expand(n, c, h, w))
    return images


def resample(images: Tensor, g_inv: Tensor) -> Tensor:
    """x_out(p) = x_in(G_inv p), p in pixel coordinates centred on the image; bilinear, reflect padding.

    grid_sample with align_corners=True maps -1 / +1 to the centres of the border pixels, so its
    ``reflection`` padding reflects about them, as ``reflect`` padding does."""
    n, _, h, w = images.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64) - cy, torch.arange(w, dtype=torch.float64) - cx,
                            indexing="ij")
    points = torch.stack([xs, ys, torch.ones_like(xs)], dim=-1).reshape(-1, 3)  # [HW, 3]
    source = points @ g_inv.transpose(1, 2)  # [B, HW, 3]
    grid = torch.stack([source[..., 0] / max(cx, 0.5), source[..., 1] / max(cy, 0.5)], dim=-1)
    grid = grid.reshape(n, h, w, 2).to(images.device, images.dtype)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=True)


def edm_augment(spec: EDMAugmentSpec) -> Augment:
    """images [B, C, H, W] -> (augmented images, augment_labels [B, spec.condition_dim()])."""

    def augment(images: Tensor, generators: Sequence[torch.Generator]) -> tuple[Tensor, Tensor]:
        if images.dim() != 4:
            raise ValueError(f"edm_augment takes image batches [B, C, H, W], got shape {tuple(images.shape)}")
        height, width = images.shape[-2:]
        draws = [draw(spec, height, width, g) for g in generators]
        if height != width and any(d.quarter % 2 for d in draws):
            raise ValueError(f"edm_augment: rotate_int turns images by 90 deg, which needs square images "
                             f"(got {height}x{width})")
        images = blit(images, draws)
        g_inv = torch.stack([d.g_inv for d in draws])  # [B, 3, 3]
        moved = (g_inv != torch.eye(3, dtype=torch.float64)).flatten(1).any(1)  # [B]: the affine map is used
        if bool(moved.any()):
            images = torch.where(per_sample_mask(moved, images), resample(images, g_inv), images)
        labels = torch.tensor([d.labels for d in draws], dtype=torch.float32, device=images.device)
        return images, labels

    return augment
