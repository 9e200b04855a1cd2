"""Building blocks shared by the UNet: float32 norms, N-d convs, resamplers, block containers.

Module and attribute names follow CompVis ``ldm/modules/diffusionmodules/{util,openaimodel}.py``
so that state-dict keys match upstream's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from ddpm_kit.components.backbones.unet_checks import GROUPNORM_GROUPS


class GroupNorm32(nn.GroupNorm):
    """GroupNorm evaluated in float32 and cast back to the input dtype (upstream ``GroupNorm32``).

    y = (x - mean_g) / sqrt(var_g + eps) * gamma + beta over 32 channel groups (Wu & He 2018).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = None if self.weight is None else self.weight.float()
        bias = None if self.bias is None else self.bias.float()
        return F.group_norm(x.float(), self.num_groups, weight, bias, self.eps).to(x.dtype)


class LayerNorm32(nn.LayerNorm):
    """LayerNorm evaluated in float32 and cast back (same parameters as ``nn.LayerNorm``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = None if self.weight is None else self.weight.float()
        bias = None if self.bias is None else self.bias.float()
        return F.layer_norm(x.float(), self.normalized_shape, weight, bias, self.eps).to(x.dtype)


def normalization(channels: int, eps: float = 1e-5) -> GroupNorm32:
    """The UNet's norm: ``GroupNorm32(32, channels)`` (eps 1e-5; the SpatialTransformer input uses 1e-6)."""
    return GroupNorm32(GROUPNORM_GROUPS, channels, eps=eps)


def conv_nd(dims: int, *args: Any, **kwargs: Any) -> nn.Module:
    """``nn.Conv{1,2,3}d``."""
    return {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims](*args, **kwargs)


def avg_pool_nd(dims: int, *args: Any, **kwargs: Any) -> nn.Module:
    """``nn.AvgPool{1,2,3}d``."""
    return {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}[dims](*args, **kwargs)


def zero_module(module: nn.Module) -> nn.Module:
    """Zero a module's parameters (upstream zero-initialises every residual branch's last layer)."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


def maybe_checkpoint(function: Callable[..., torch.Tensor], *args: Any, enabled: bool) -> torch.Tensor:
    """Gradient checkpointing (recompute in backward) when enabled and gradients are recorded."""
    if enabled and torch.is_grad_enabled():
        return checkpoint(function, *args, use_reentrant=False)
    return function(*args)


class TimestepBlock(nn.Module):
    """A block whose forward takes the time embedding: ``forward(x, emb)``."""


class ContextBlock(nn.Module):
    """A block whose forward takes the cross-attention context: ``forward(x, context)``."""


class TimestepEmbedSequential(nn.Sequential):
    """Sequential that hands ``emb`` to TimestepBlocks and ``context`` to ContextBlocks."""

    def forward(  # type: ignore[override]
        self, x: torch.Tensor, emb: torch.Tensor, context: Any = None
    ) -> torch.Tensor:
        for layer in self:
            if isinstance(layer, TimestepBlock):
                x = layer(x, emb)
            elif isinstance(layer, ContextBlock):
                x = layer(x, context)
            else:
                x = layer(x)
        return x


class Upsample(nn.Module):
    """Nearest 2x upsampling (last two axes for 3-D), then an optional 3x3 conv (key ``conv``)."""

    def __init__(self, channels: int, use_conv: bool, dims: int = 2, out_channels: int | None = None) -> None:
        super().__init__()
        self.channels = channels
        self.out_channels = out_channels or channels
        self.dims = dims
        if use_conv:
            self.conv = conv_nd(dims, channels, self.out_channels, 3, padding=1)
        else:
            self.conv = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dims == 3:
            x = F.interpolate(x, (x.shape[2], x.shape[3] * 2, x.shape[4] * 2), mode="nearest")
        else:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        return x if self.conv is None else self.conv(x)


class Downsample(nn.Module):
    """2x downsampling (last two axes for 3-D): strided 3x3 conv or average pooling (key ``op``)."""

    def __init__(self, channels: int, use_conv: bool, dims: int = 2, out_channels: int | None = None) -> None:
        super().__init__()
        self.channels = channels
        self.out_channels = out_channels or channels
        stride = 2 if dims != 3 else (1, 2, 2)
        if use_conv:
            self.op = conv_nd(dims, channels, self.out_channels, 3, stride=stride, padding=1)
        else:
            if self.channels != self.out_channels:
                raise ValueError("pooling cannot change the channel count")
            self.op = avg_pool_nd(dims, kernel_size=stride, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)
