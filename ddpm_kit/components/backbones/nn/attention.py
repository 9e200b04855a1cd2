"""Spatial self-attention of the UNet (upstream ``AttentionBlock``) on ``scaled_dot_product_attention``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from ddpm_kit.components.backbones.nn.layers import maybe_checkpoint, normalization, zero_module


def qkv_attention(qkv: torch.Tensor, heads: int, legacy_order: bool) -> torch.Tensor:
    """softmax(q^T k / sqrt(c)) v per head on a fused qkv tensor [B, 3*H*c, T] -> [B, H*c, T].

    Channel layout of ``qkv``: legacy (``QKVAttentionLegacy``) splits heads first, (H, 3, c);
    the new order (``QKVAttention``) splits q/k/v first, (3, H, c). Upstream scales q and k by
    c^(-1/4) each and takes the softmax in float32; SDPA's scale 1/sqrt(c) is the same product.
    Source: Vaswani et al. 2017; CompVis ``openaimodel.py:QKVAttention{,Legacy}``.
    """
    pattern = "b (h three c) t -> three b h t c" if legacy_order else "b (three h c) t -> three b h t c"
    # one copy so that c is the contiguous axis: SDPA's fused (flash) kernels need it, else it falls
    # back to the math path that materialises the T x T weights
    q, k, v = rearrange(qkv, pattern, three=3, h=heads).contiguous().unbind(0)  # each [B, H, T, c]
    out = F.scaled_dot_product_attention(q, k, v, scale=1.0 / math.sqrt(q.shape[-1]))  # [B, H, T, c]
    return rearrange(out, "b h t c -> b (h c) t")


class AttentionBlock(nn.Module):
    """x + proj_out(attention(qkv(GN(x)))) over all spatial positions (1x1 ``Conv1d`` qkv / proj_out).

    Source: Ho et al. 2020 (diffusion_tf ``unet.py``), Dhariwal & Nichol 2021; CompVis
    ``openaimodel.py:AttentionBlock``. ``proj_out`` is zero-initialised.
    """

    def __init__(self, channels: int, heads: int, use_new_attention_order: bool = False,
                 use_checkpoint: bool = False) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"{heads} heads do not divide the attention width {channels}")
        self.heads = heads
        self.legacy_order = not use_new_attention_order
        self.use_checkpoint = use_checkpoint
        self.norm = normalization(channels)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1)
        self.proj_out = zero_module(nn.Conv1d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return maybe_checkpoint(self._forward, x, enabled=self.use_checkpoint and self.training)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, *spatial = x.shape
        h = self.qkv(self.norm(x.reshape(b, c, -1)))  # [B, 3C, T]
        h = self.proj_out(qkv_attention(h, self.heads, self.legacy_order))  # [B, C, T]
        # residual in the input's shape (reshaping the sum instead breaks inductor with dynamic shapes)
        return x + h.reshape(b, c, *spatial)
