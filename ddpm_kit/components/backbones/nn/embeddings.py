"""Sinusoidal time embedding and the label embeddings of the CompVis UNet."""

from __future__ import annotations

import math

import torch
from torch import nn


def timestep_embedding(timesteps: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding [cos(t f_0..f_{h-1}), sin(t f_0..f_{h-1})] with f_i = exp(-ln(max_period) i / h).

    h = dim // 2, cos first, zero-padded to ``dim`` when odd; float32 from ``t.float()``.
    Source: Vaswani et al. 2017 (positional encoding), Ho et al. 2020; CompVis
    ``ldm/modules/diffusionmodules/util.py:timestep_embedding`` (the layout this reproduces).
    timesteps: [B] (may be fractional) -> [B, dim].
    """
    if timesteps.ndim != 1:
        raise ValueError(f"timesteps must have shape [B], got {tuple(timesteps.shape)}")
    half = dim // 2
    exponent = torch.arange(half, dtype=torch.float32, device=timesteps.device) * (-math.log(max_period) / half)
    freqs = torch.exp(exponent)  # [h]
    args = timesteps.float()[:, None] * freqs[None]  # [B, h]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # [B, 2h]
    if dim % 2:
        embedding = torch.cat([embedding, torch.zeros_like(embedding[:, :1])], dim=-1)  # [B, dim]
    return embedding


def time_embed_mlp(model_channels: int, embed_dim: int) -> nn.Sequential:
    """Linear(mc -> 4mc), SiLU, Linear(4mc -> 4mc): upstream ``time_embed`` (keys ``0``, ``2``)."""
    return nn.Sequential(nn.Linear(model_channels, embed_dim), nn.SiLU(), nn.Linear(embed_dim, embed_dim))


def label_embedding(num_classes: int | str, embed_dim: int, adm_in_channels: int | None = None) -> nn.Module:
    """Upstream ``label_emb``: Embedding (int classes), Linear(1, E) ('continuous'), MLP ('sequential').

    Input y: [B] int64 / [B, 1] float / [B, adm_in_channels] float respectively; output [B, E],
    added to the time embedding.
    """
    if isinstance(num_classes, int):
        return nn.Embedding(num_classes, embed_dim)
    if num_classes == "continuous":
        return nn.Linear(1, embed_dim)
    if num_classes == "sequential":
        if adm_in_channels is None:
            raise ValueError("num_classes='sequential' needs adm_in_channels")
        # nested Sequential: upstream's keys are label_emb.0.0 / label_emb.0.2
        return nn.Sequential(
            nn.Sequential(nn.Linear(adm_in_channels, embed_dim), nn.SiLU(), nn.Linear(embed_dim, embed_dim))
        )
    raise ValueError(f"num_classes must be an int, 'continuous' or 'sequential', got {num_classes!r}")
