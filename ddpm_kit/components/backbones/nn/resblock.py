"""The UNet residual block with time-embedding injection (additive or FiLM scale-shift)."""

from __future__ import annotations

import torch
from torch import nn

from ddpm_kit.components.backbones.nn.layers import (
    Downsample, TimestepBlock, Upsample, conv_nd, maybe_checkpoint, normalization, zero_module,
)


class ResBlock(TimestepBlock):
    """h = conv(SiLU(GN(x))); h = h + W emb  |  GN(h) (1 + scale) + shift;  out = skip(x) + conv0(Drop(SiLU(GN(h)))).

    With ``use_scale_shift_norm`` the embedding projection yields (scale, shift) (FiLM, Perez et al.
    2018; Dhariwal & Nichol 2021). ``up``/``down`` resample inside the block (``resblock_updown``).
    The last conv is zero-initialised. Source: CompVis ``openaimodel.py:ResBlock``.
    """

    def __init__(
        self,
        channels: int,
        emb_channels: int,
        dropout: float,
        out_channels: int | None = None,
        use_scale_shift_norm: bool = False,
        dims: int = 2,
        use_checkpoint: bool = False,
        up: bool = False,
        down: bool = False,
    ) -> None:
        super().__init__()
        self.out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.use_checkpoint = use_checkpoint
        # registration order = upstream's named_parameters() order
        self.in_layers = nn.Sequential(
            normalization(channels), nn.SiLU(), conv_nd(dims, channels, self.out_channels, 3, padding=1),
        )
        self.updown = up or down
        if up:
            self.h_upd: nn.Module = Upsample(channels, False, dims)
            self.x_upd: nn.Module = Upsample(channels, False, dims)
        elif down:
            self.h_upd, self.x_upd = Downsample(channels, False, dims), Downsample(channels, False, dims)
        else:
            self.h_upd = self.x_upd = nn.Identity()
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, 2 * self.out_channels if use_scale_shift_norm else self.out_channels),
        )
        self.out_layers = nn.Sequential(
            normalization(self.out_channels), nn.SiLU(), nn.Dropout(p=dropout),
            zero_module(conv_nd(dims, self.out_channels, self.out_channels, 3, padding=1)),
        )
        if self.out_channels == channels:
            self.skip_connection: nn.Module = nn.Identity()
        else:
            self.skip_connection = conv_nd(dims, channels, self.out_channels, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        return maybe_checkpoint(self._forward, x, emb, enabled=self.use_checkpoint and self.training)

    def _forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if self.updown:
            h = self.in_layers[:-1](x)
            h = self.h_upd(h)
            x = self.x_upd(x)
            h = self.in_layers[-1](h)
        else:
            h = self.in_layers(x)  # [B, C_out, *spatial]
        emb_out = self.emb_layers(emb).to(h.dtype)  # [B, C_out or 2 C_out]
        emb_out = emb_out.reshape(*emb_out.shape, *([1] * (h.ndim - 2)))  # [B, C', 1, ..., 1]
        if self.use_scale_shift_norm:
            scale, shift = emb_out.chunk(2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            h = self.out_layers[1:](h)
        else:
            h = self.out_layers(h + emb_out)
        return self.skip_connection(x) + h
