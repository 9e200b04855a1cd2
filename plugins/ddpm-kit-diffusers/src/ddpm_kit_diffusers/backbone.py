"""The `diffusers.unet2d` implementation: builds ``diffusers.UNet2DModel`` and adapts its call.

diffusers is imported here, when a network is built, never when a config is validated. Without it the
build fails with a ``MissingDependency`` (a ``PluginError``) that names the package and how to install it.
"""

from __future__ import annotations

import importlib
from typing import Any

import torch
from torch import nn

from ddpm_kit.registry import MissingDependency
from ddpm_kit_diffusers.specs import INSTALL_HINT, UNet2DSpec


def import_unet2d() -> Any:
    """``diffusers.UNet2DModel``, or MissingDependency (a PluginError) naming the missing package."""
    try:
        module = importlib.import_module("diffusers")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "diffusers":
            raise  # diffusers is there but one of its own dependencies is missing: show that
        raise MissingDependency(f"backbone 'diffusers.unet2d' (distribution ddpm-kit-diffusers) needs the 'diffusers' "
                          f"package, which is not installed: {INSTALL_HINT}") from exc
    return module.UNet2DModel


class DiffusersUNet2D(nn.Module):
    """``forward(x, timesteps, context=None, y=None)`` around ``UNet2DModel`` held as ``unet``."""

    def __init__(self, spec: UNet2DSpec, unet: nn.Module) -> None:
        super().__init__()
        self.spec = spec
        self.unet = unet

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor | None = None,
                y: torch.Tensor | None = None) -> torch.Tensor:
        """x: [B, in_channels, H, W]; timesteps: [B]; y: [B] int64 iff num_class_embeds is set."""
        if context is not None:
            raise ValueError("the diffusers.unet2d backbone takes no cross-attention context")
        if y is None and self.spec.accepts_labels():
            raise ValueError("this UNet2DModel is class-conditional (num_class_embeds is set): pass y")
        if y is not None and not self.spec.accepts_labels():
            raise ValueError("this UNet2DModel is not class-conditional (num_class_embeds is None) but y was given")
        if x.ndim != 4 or x.shape[1] != self.spec.in_channels:
            raise ValueError(f"x must have shape [B, {self.spec.in_channels}, H, W], got {tuple(x.shape)}")
        return self.unet(x, timesteps, class_labels=y).sample  # [B, out_channels, H, W]


def build_unet2d(spec: UNet2DSpec) -> DiffusersUNet2D:
    """``impl(spec) -> nn.Module`` of the `diffusers.unet2d` backbone."""
    if not isinstance(spec, UNet2DSpec):
        raise TypeError(f"build_unet2d needs a UNet2DSpec, got {type(spec).__name__}")
    return DiffusersUNet2D(spec, import_unet2d()(**spec.diffusers_kwargs()))
