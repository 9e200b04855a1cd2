"""A time-conditioned residual MLP for vector data (2-D toy distributions and the like)."""

from __future__ import annotations

import torch
from torch import nn

from ddpm_kit.components.backbones.nn.embeddings import timestep_embedding
from ddpm_kit.components.backbones.mlp import MLPSpec


class MLPBlock(nn.Module):
    """h + W_b SiLU(Drop(W_a SiLU(LN h) + U emb)): pre-norm residual block with additive time embedding."""

    def __init__(self, hidden: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.fc_in = nn.Linear(hidden, hidden)
        self.emb_proj = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc_out = nn.Linear(hidden, hidden)
        self.act = nn.SiLU()

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        z = self.fc_in(self.act(self.norm(h))) + self.emb_proj(emb)  # [B, hidden]
        return h + self.fc_out(self.act(self.dropout(z)))


class MLPBackbone(nn.Module):
    """eps_theta(x, t, y) for x[B, D]: ``forward(x, timesteps, context=None, y=None)``.

    emb = W2 SiLU(W1 sinusoidal(t)) [+ E y]; h = W_in x; ``depth`` MLPBlocks; out = W_out SiLU(LN h).
    """

    def __init__(self, spec: MLPSpec) -> None:
        super().__init__()
        self.spec = spec
        hidden = spec.hidden
        self.hidden = hidden
        self.num_classes = spec.num_classes
        self.time_embed = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        if spec.num_classes is not None:
            self.label_emb = nn.Embedding(spec.num_classes, hidden)
        self.proj_in = nn.Linear(spec.data_dim, hidden)
        self.blocks = nn.ModuleList(MLPBlock(hidden, spec.dropout) for _ in range(spec.depth))
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.SiLU(), nn.Linear(hidden, spec.data_dim))

    def forward(
        self, x: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor | None = None,
        y: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x: [B, D]; timesteps: [B]; y: [B] int64 labels iff num_classes is set; context unsupported."""
        if x.ndim != 2 or x.shape[1] != self.spec.data_dim:
            raise ValueError(f"x must have shape [B, {self.spec.data_dim}], got {tuple(x.shape)}")
        if timesteps.shape != (x.shape[0],):
            raise ValueError(f"timesteps must have shape [B] = [{x.shape[0]}], got {tuple(timesteps.shape)}")
        if context is not None:
            raise ValueError("the mlp backbone takes no cross-attention context")
        if (y is None) != (self.num_classes is None):
            raise ValueError("this MLP is class-conditional (num_classes is set): pass y" if y is None else
                             "this MLP is not class-conditional (num_classes is None) but y was given")
        emb = self.time_embed(timestep_embedding(timesteps, self.hidden).to(x.dtype))  # [B, hidden]
        if y is not None:
            emb = emb + self.label_emb(y)
        h = self.proj_in(x)  # [B, hidden]
        for block in self.blocks:
            h = block(h, emb)
        return self.out(h)  # [B, D]


def build_mlp(spec: MLPSpec) -> MLPBackbone:
    """The ``mlp`` backbone implementation: ``build_mlp(spec) -> nn.Module``."""
    if not isinstance(spec, MLPSpec):
        raise TypeError(f"build_mlp needs an MLPSpec, got {type(spec).__name__}")
    return MLPBackbone(spec)
