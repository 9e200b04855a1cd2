"""``random_resized_crop``: a random box of each sample, resized back to H x W."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ddpm_kit.components.augment.random_resized_crop import ATTEMPTS, RandomResizedCropSpec

Augment = Callable[[Tensor, Sequence[torch.Generator]], tuple[Tensor, None]]
Box = tuple[int, int, int, int]  # top, left, height, width


def crop_box(spec: RandomResizedCropSpec, height: int, width: int, generator: torch.Generator) -> Box:
    """torchvision's rule: a = U(scale) H W, log r = U(log ratio), w = round(sqrt(a r)), h = round(sqrt(a / r));
    the first of 10 boxes that fits, its corner uniform; else the central box with r clamped to ``ratio``."""
    area = height * width
    low, high = spec.log_ratio()
    for _ in range(ATTEMPTS):
        u = torch.rand(4, generator=generator, dtype=torch.float64).tolist()
        target = area * (spec.scale[0] + u[0] * (spec.scale[1] - spec.scale[0]))
        aspect = math.exp(low + u[1] * (high - low))
        w, h = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            return int(u[2] * (height - h + 1)), int(u[3] * (width - w + 1)), h, w
    aspect = width / height
    if aspect < spec.ratio[0]:
        w, h = width, round(width / spec.ratio[0])
    elif aspect > spec.ratio[1]:
        h, w = height, round(height * spec.ratio[1])
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def random_resized_crop(spec: RandomResizedCropSpec) -> Augment:
    """With probability p a sample becomes its box ``crop_box`` resized to H x W (bilinear, antialiased)."""

    def augment(images: Tensor, generators: Sequence[torch.Generator]) -> tuple[Tensor, None]:
        height, width = images.shape[-2:]
        out = []
        for image, generator in zip(images, generators):
            applied = torch.rand(1, generator=generator, dtype=torch.float64).item() < spec.p
            box = crop_box(spec, height, width, generator)
            if not applied or box == (0, 0, height, width):
                out.append(image)
                continue
            top, left, h, w = box
            patch = image[None, :, top:top + h, left:left + w]
            out.append(F.interpolate(patch, size=(height, width), mode="bilinear", align_corners=False,
                                     antialias=True)[0])
        return torch.stack(out), None

    return augment
