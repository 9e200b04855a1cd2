"""The CompVis ``UNetModel`` rebuilt from a ``UNetSpec``: same state-dict keys, shapes and outputs.

Source: CompVis/latent-diffusion a506df57 and Stability-AI/stablediffusion cf1d67a6,
``ldm/modules/diffusionmodules/openaimodel.py:UNetModel`` (after guided-diffusion ``unet.py``).
Execution is modernised where results are unchanged: ``scaled_dot_product_attention``,
float32 norms with casts (autocast-safe), no Python-side state in forward (``torch.compile``).
"""

from __future__ import annotations

import torch
from torch import nn

from ddpm_kit.components.backbones.nn.attention import AttentionBlock
from ddpm_kit.components.backbones.nn.embeddings import label_embedding, time_embed_mlp, timestep_embedding
from ddpm_kit.components.backbones.nn.layers import (
    Downsample, TimestepEmbedSequential, Upsample, conv_nd, normalization, zero_module,
)
from ddpm_kit.components.backbones.nn.resblock import ResBlock
from ddpm_kit.components.backbones.nn.transformer import SpatialTransformer
from ddpm_kit.components.backbones.unet import UNetSpec


class UNetModel(nn.Module):
    """eps_theta(x, t, context, y): ``forward(x[B, C, *S], timesteps[B], context=None, y=None)``.

    Differences from upstream, none of which changes a result: unknown keyword arguments raise
    (upstream swallows ``**kwargs``); a missing or unexpected ``y``/``context`` is a ValueError (upstream
    asserts, or silently ignores a context); an int ``context_dim`` with ``transformer_depth > 1``
    serves every block (as CompVis LD; Stability-AI's class raises IndexError there).
    """

    def __init__(self, spec: UNetSpec) -> None:
        super().__init__()
        self.spec = spec
        mc = spec.model_channels
        embed_dim = 4 * mc
        self.model_channels = mc
        self.num_classes = spec.num_classes
        self.has_context = spec.use_spatial_transformer
        # registration order = upstream's named_parameters() order
        self.time_embed = time_embed_mlp(mc, embed_dim)
        if spec.num_classes is not None:
            self.label_emb = label_embedding(spec.num_classes, embed_dim, spec.adm_in_channels)
        self.augment_dim = spec.augment_dim
        if spec.augment_dim is not None:  # EDM map_augment: bias-free, so zero labels (no augmentation) add nothing
            self.map_augment = nn.Linear(spec.augment_dim, mc, bias=False)

        self.input_blocks = nn.ModuleList([TimestepEmbedSequential(conv_nd(spec.dims, spec.in_channels, mc, 3,
                                                                           padding=1))])
        skip_channels, ch = [mc], mc
        for level, mult in enumerate(spec.channel_mult):
            for i in range(spec.res_blocks_per_level()[level]):
                layers: list[nn.Module] = [self._resblock(ch, mult * mc)]
                ch = mult * mc
                if spec.has_attention(level, i):
                    layers.append(self._attention(ch, level, decoder=False))
                self.input_blocks.append(TimestepEmbedSequential(*layers))
                skip_channels.append(ch)
            if level != spec.levels - 1:
                down = (self._resblock(ch, ch, down=True) if spec.resblock_updown
                        else Downsample(ch, spec.conv_resample, spec.dims))
                self.input_blocks.append(TimestepEmbedSequential(down))
                skip_channels.append(ch)

        self.middle_block = TimestepEmbedSequential(
            self._resblock(ch, ch), self._attention(ch, None, decoder=False), self._resblock(ch, ch),
        )

        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(spec.channel_mult))):
            for i in range(spec.res_blocks_per_level()[level] + 1):
                layers = [self._resblock(ch + skip_channels.pop(), mc * mult)]
                ch = mc * mult
                if spec.has_attention(level, i):
                    layers.append(self._attention(ch, level, decoder=True))
                if level and i == spec.res_blocks_per_level()[level]:
                    layers.append(self._resblock(ch, ch, up=True) if spec.resblock_updown
                                  else Upsample(ch, spec.conv_resample, spec.dims))
                self.output_blocks.append(TimestepEmbedSequential(*layers))

        self.out = nn.Sequential(
            normalization(ch), nn.SiLU(), zero_module(conv_nd(spec.dims, mc, spec.out_channels, 3, padding=1)),
        )

    def _resblock(self, channels: int, out_channels: int, up: bool = False, down: bool = False) -> ResBlock:
        s = self.spec
        return ResBlock(channels, 4 * s.model_channels, s.dropout, out_channels, s.use_scale_shift_norm, s.dims,
                        s.use_checkpoint, up=up, down=down)

    def _attention(self, channels: int, level: int | None, decoder: bool) -> nn.Module:
        """AttentionBlock or SpatialTransformer; ``level`` None is the middle block."""
        s = self.spec
        heads, dim_head = s.attention_heads(channels, decoder)
        if not s.use_spatial_transformer:
            return AttentionBlock(channels, heads, s.use_new_attention_order, s.use_checkpoint)
        if level is None:
            disable_self_attn = s.disable_middle_self_attn
        else:
            disable_self_attn = bool(s.disable_self_attentions and s.disable_self_attentions[level])
        return SpatialTransformer(channels, heads, dim_head, s.context_dims(), s.transformer_depth,
                                  disable_self_attn, s.use_linear_in_transformer, s.use_checkpoint)

    def forward(
        self,
        x: torch.Tensor,
        timesteps: torch.Tensor,
        context: torch.Tensor | list[torch.Tensor] | None = None,
        y: torch.Tensor | None = None,
        augment_labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x: [B, in_channels, *spatial]; timesteps: [B]; context: [B, M, context_dim]; y: labels [B, ...];
        augment_labels: [B, augment_dim] (None = zeros: not augmented), added to the sinusoidal embedding through
        ``map_augment`` before the time MLP (EDM ``SongUNet``: emb = map_noise(sigma) + map_augment(labels))."""
        self._check_inputs(x, timesteps, context, y)
        self._check_augment(x, augment_labels)
        emb = timestep_embedding(timesteps, self.model_channels).to(x.dtype)  # [B, mc]
        if augment_labels is not None:
            emb = emb + self.map_augment(augment_labels.to(emb.dtype))
        emb = self.time_embed(emb)  # [B, 4mc]
        if y is not None:
            emb = emb + self.label_emb(y)
        skips = []
        h = x
        for block in self.input_blocks:
            h = block(h, emb, context)
            skips.append(h)
        h = self.middle_block(h, emb, context)
        for block in self.output_blocks:
            h = block(torch.cat([h, skips.pop()], dim=1), emb, context)  # cat([h, skip]) on channels
        return self.out(h)

    def _check_inputs(self, x: torch.Tensor, timesteps: torch.Tensor, context: object, y: object) -> None:
        if timesteps.shape != (x.shape[0],):
            raise ValueError(f"timesteps must have shape [B] = [{x.shape[0]}], got {tuple(timesteps.shape)}")
        if (y is None) != (self.num_classes is None):
            raise ValueError("this UNet is class-conditional (num_classes is set): pass y" if y is None else
                             "this UNet is not class-conditional (num_classes is None) but y was given")
        if (context is None) == self.has_context:
            raise ValueError("this UNet has cross-attention (use_spatial_transformer): pass context" if self.has_context
                             else "this UNet has no cross-attention (use_spatial_transformer=false) but context "
                                  "was given")
        if isinstance(y, torch.Tensor) and y.shape[0] != x.shape[0]:
            raise ValueError(f"y has batch size {y.shape[0]}, x has {x.shape[0]}")


    def _check_augment(self, x: torch.Tensor, augment_labels: torch.Tensor | None) -> None:
        if augment_labels is None:
            return
        if self.augment_dim is None:
            raise ValueError("this UNet takes no augmentation labels (augment_dim is None) but augment_labels "
                             "was given")
        if tuple(augment_labels.shape) != (x.shape[0], self.augment_dim):
            raise ValueError(f"augment_labels must have shape [B, augment_dim] = [{x.shape[0]}, {self.augment_dim}], "
                             f"got {tuple(augment_labels.shape)}")


def build_unet(spec: UNetSpec) -> UNetModel:
    """The ``unet`` backbone implementation: ``build_unet(spec) -> nn.Module``."""
    if not isinstance(spec, UNetSpec):
        raise TypeError(f"build_unet needs a UNetSpec, got {type(spec).__name__}")
    return UNetModel(spec)
