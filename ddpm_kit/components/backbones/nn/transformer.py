"""Cross-attention ``SpatialTransformer`` of the latent-diffusion UNet (Rombach et al. 2022)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from ddpm_kit.components.backbones.nn.layers import (
    ContextBlock, LayerNorm32, maybe_checkpoint, normalization, zero_module,
)


class CrossAttention(nn.Module):
    """softmax(Q K^T / sqrt(d)) V with Q = x W_q, K = c W_k, V = c W_v (c = x when no context).

    Bias-free q/k/v projections, ``to_out = [Linear, Dropout]``. Source: Vaswani et al. 2017;
    CompVis ``ldm/modules/attention.py:CrossAttention``.
    """

    def __init__(self, query_dim: int, context_dim: int | None, heads: int, dim_head: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        inner = heads * dim_head
        context_dim = context_dim or query_dim
        self.heads = heads
        self.scale = dim_head**-0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        context = x if context is None else context
        q = rearrange(self.to_q(x), "b n (h d) -> b h n d", h=self.heads)  # [B, H, N, d]
        k = rearrange(self.to_k(context), "b m (h d) -> b h m d", h=self.heads)  # [B, H, M, d]
        v = rearrange(self.to_v(context), "b m (h d) -> b h m d", h=self.heads)
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)  # [B, H, N, d]
        return self.to_out(rearrange(out, "b h n d -> b n (h d)"))


class GEGLU(nn.Module):
    """x W_a * GELU(x W_b) from one Linear(dim, 2 inner) (Shazeer 2020)."""

    def __init__(self, dim_in: int, dim_out: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim_in, 2 * dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = self.proj(x).chunk(2, dim=-1)
        return value * F.gelu(gate)


class FeedForward(nn.Module):
    """GEGLU(dim -> 4 dim), Dropout, Linear(4 dim -> dim) (keys ``net.0.proj``, ``net.2``)."""

    def __init__(self, dim: int, mult: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = nn.Sequential(GEGLU(dim, dim * mult), nn.Dropout(dropout), nn.Linear(dim * mult, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    """x += attn1(LN x) (self, or context-only when disabled); x += attn2(LN x, c); x += FF(LN x)."""

    def __init__(self, dim: int, heads: int, dim_head: int, context_dim: int | None,
                 disable_self_attn: bool = False, use_checkpoint: bool = False) -> None:
        super().__init__()
        self.disable_self_attn = disable_self_attn
        self.use_checkpoint = use_checkpoint
        # registration order = upstream's named_parameters() order: attn1, ff, attn2, norm1..3
        self.attn1 = CrossAttention(dim, context_dim if disable_self_attn else None, heads, dim_head)
        self.ff = FeedForward(dim)
        self.attn2 = CrossAttention(dim, context_dim, heads, dim_head)
        self.norm1, self.norm2, self.norm3 = LayerNorm32(dim), LayerNorm32(dim), LayerNorm32(dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
        return maybe_checkpoint(self._forward, x, context, enabled=self.use_checkpoint and self.training)

    def _forward(self, x: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
        x = self.attn1(self.norm1(x), context if self.disable_self_attn else None) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class SpatialTransformer(ContextBlock):
    """x + proj_out(blocks(proj_in(GN(x)) as tokens [B, HW, C], context)) on 2-D feature maps.

    GroupNorm eps 1e-6 (not the UNet's 1e-5); proj_in/proj_out are 1x1 convs or Linear
    (``use_linear``); proj_out is zero-initialised. One context tensor feeds every block (CompVis
    LD); a list gives one per block. Source: CompVis ``ldm/modules/attention.py:SpatialTransformer``.
    """

    def __init__(self, channels: int, heads: int, dim_head: int, context_dims: tuple[int, ...], depth: int = 1,
                 disable_self_attn: bool = False, use_linear: bool = False, use_checkpoint: bool = False) -> None:
        super().__init__()
        inner = heads * dim_head
        if inner != channels:
            raise ValueError(f"heads * dim_head = {inner} must equal the width {channels}")
        if len(context_dims) != depth:
            raise ValueError(f"need one context width per transformer block ({depth}), got {context_dims}")
        self.use_linear = use_linear
        self.depth = depth
        self.norm = normalization(channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, inner) if use_linear else nn.Conv2d(channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            BasicTransformerBlock(inner, heads, dim_head, context_dims[d], disable_self_attn, use_checkpoint)
            for d in range(depth)
        )
        self.proj_out = zero_module(nn.Linear(inner, channels) if use_linear else nn.Conv2d(inner, channels, 1))

    def forward(self, x: torch.Tensor, context: torch.Tensor | list[torch.Tensor] | None) -> torch.Tensor:
        contexts = list(context) if isinstance(context, (list, tuple)) else [context] * self.depth
        if len(contexts) != self.depth:
            raise ValueError(f"got {len(contexts)} context tensors for {self.depth} transformer blocks")
        b, c, height, width = x.shape
        h = self.norm(x)
        if not self.use_linear:
            h = self.proj_in(h)
        h = rearrange(h, "b c y x -> b (y x) c")  # [B, HW, C]
        if self.use_linear:
            h = self.proj_in(h)
        for block, ctx in zip(self.transformer_blocks, contexts):
            h = block(h, ctx)
        if self.use_linear:
            h = self.proj_out(h)
        h = rearrange(h, "b (y x) c -> b c y x", y=height, x=width)  # [B, C, H, W]
        if not self.use_linear:
            h = self.proj_out(h)
        return h + x
