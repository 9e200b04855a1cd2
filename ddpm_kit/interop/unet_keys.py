"""The CompVis ``UNetModel`` <-> diffusers ``UNet2DModel`` correspondence: config and state-dict keys.

Layout (as diffusers' ``scripts/convert_ldm_original_checkpoint_to_diffusers.py`` maps it): ``time_embed.{0,2}``
-> ``time_embedding.linear_{1,2}``; ``label_emb`` -> ``class_embedding``; ``input_blocks.0.0`` -> ``conv_in``;
``input_blocks.(1 + i (R + 1) + j).{0,1}`` -> ``down_blocks.i.{resnets,attentions}.j``, the level's last block
``.0.op`` -> ``down_blocks.i.downsamplers.0.conv``; ``middle_block.{0,1,2}`` -> ``mid_block.{resnets.0,
attentions.0, resnets.1}``; ``output_blocks.(i (R + 1) + j)`` -> ``up_blocks.i``, its upsampler ``.conv`` ->
``up_blocks.i.upsamplers.0.conv``; ``out.{0,2}`` -> ``conv_norm_out`` / ``conv_out``. In a ResBlock
``in_layers.{0,2}`` / ``emb_layers.1`` / ``out_layers.{0,3}`` / ``skip_connection`` -> ``norm1`` / ``conv1`` /
``time_emb_proj`` / ``norm2`` / ``conv2`` / ``conv_shortcut``. An AttentionBlock's fused 1x1-conv ``qkv`` is split
into ``to_q`` / ``to_k`` / ``to_v`` linears (channel layout (heads, 3, c) legacy, (3, heads, c) otherwise),
``norm`` -> ``group_norm``, ``proj_out`` -> ``to_out.0``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ddpm_kit.components.backbones.unet import UNetSpec
from ddpm_kit.components.backbones.unet_checks import GROUPNORM_GROUPS

RESNET = {"in_layers.0": "norm1", "in_layers.2": "conv1", "emb_layers.1": "time_emb_proj",
          "out_layers.0": "norm2", "out_layers.3": "conv2", "skip_connection": "conv_shortcut"}


class NotRepresentable(ValueError):
    """A model field with no diffusers equivalent; the message names the field."""


def _refusals(spec: UNetSpec) -> list[str]:
    s = spec
    problems = []
    for field, bad, why in (
        ("dims", s.dims != 2, "UNet2DModel is 2-D only"),
        ("use_spatial_transformer", s.use_spatial_transformer, "cross-attention needs UNet2DConditionModel"),
        ("resblock_updown", s.resblock_updown, "ResBlock resamplers are not exported (UNet2DModel's resnet "
                                               "down/upsampling differs)"),
        ("conv_resample", not s.conv_resample, "UNet2DModel always resamples with a learned conv"),
        ("augment_dim", s.augment_dim is not None, "UNet2DModel has no augmentation-label input (map_augment)"),
        ("num_res_blocks", len(set(s.res_blocks_per_level())) != 1, "UNet2DModel has one layers_per_block"),
        ("num_attention_blocks", s.num_attention_blocks is not None
         and any(n < r + 1 for n, r, lv in zip(s.num_attention_blocks, s.res_blocks_per_level(),
                                               range(s.levels)) if 2**lv in s.attention_resolutions),
         "UNet2DModel attends after every ResNet of an attention level"),
        ("num_classes", isinstance(s.num_classes, str), "only an int label table maps (num_class_embeds)"),
        ("channel_mult", s.channel_mult[0] != 1, "the time features have block_out_channels[0] channels"),
    ):
        if bad:
            problems.append(f"model.unet_config.{field}={getattr(s, field)!r}: {why}")
    widths = {dim for _, width, dec in spec.attention_sites() for dim in [spec.attention_heads(width, dec)[1]]}
    if len(widths) > 1:
        problems.append(f"model.unet_config.num_heads={s.num_heads}: gives attention head widths {sorted(widths)}; "
                        f"UNet2DModel has one attention_head_dim (set num_head_channels instead)")
    return problems


def sample_size(image_size: int | tuple[int, int]) -> int | list[int]:
    """UNet2DModel's ``sample_size``: the side, or [H, W] (diffusers takes a pair for non-square samples)."""
    return image_size if isinstance(image_size, int) else list(image_size)


def unet2d_config(spec: UNetSpec) -> dict[str, Any]:
    """UNet2DModel's config (``config.json`` fields) of the same network; NotRepresentable naming the fields."""
    problems = _refusals(spec)
    if problems:
        raise NotRepresentable("; ".join(problems))
    levels = range(spec.levels)
    attn = [2**lv in spec.attention_resolutions for lv in levels]
    _, width, decoder = spec.attention_sites()[0]  # every site has the same head width (checked above)
    return {
        "_class_name": "UNet2DModel", "sample_size": sample_size(spec.image_size), "in_channels": spec.in_channels,
        "out_channels": spec.out_channels, "center_input_sample": False, "time_embedding_type": "positional",
        "freq_shift": 0, "flip_sin_to_cos": True,
        "down_block_types": ["AttnDownBlock2D" if a else "DownBlock2D" for a in attn],
        "up_block_types": ["AttnUpBlock2D" if a else "UpBlock2D" for a in reversed(attn)],
        "block_out_channels": [spec.model_channels * m for m in spec.channel_mult],
        "layers_per_block": spec.res_blocks_per_level()[0], "mid_block_scale_factor": 1, "downsample_padding": 1,
        "downsample_type": "conv", "upsample_type": "conv", "dropout": spec.dropout, "act_fn": "silu",
        "attention_head_dim": spec.attention_heads(width, decoder)[1], "norm_num_groups": GROUPNORM_GROUPS,
        "attn_norm_num_groups": GROUPNORM_GROUPS, "norm_eps": 1e-5,
        "resnet_time_scale_shift": "scale_shift" if spec.use_scale_shift_norm else "default",
        "add_attention": True, "class_embed_type": None,
        "num_class_embeds": spec.num_classes if isinstance(spec.num_classes, int) else None,
    }


def block_names(spec: UNetSpec) -> dict[str, str]:
    """CompVis module prefix -> diffusers module prefix, with a kind suffix ``|res``, ``|attn`` or ``|mod``."""
    names = {"time_embed.0": "time_embedding.linear_1|mod", "time_embed.2": "time_embedding.linear_2|mod",
             "label_emb": "class_embedding|mod", "input_blocks.0.0": "conv_in|mod",
             "middle_block.0": "mid_block.resnets.0|res", "middle_block.1": "mid_block.attentions.0|attn",
             "middle_block.2": "mid_block.resnets.1|res", "out.0": "conv_norm_out|mod", "out.2": "conv_out|mod"}
    r = spec.res_blocks_per_level()[0]
    block = 1
    for level in range(spec.levels):
        for j in range(r):
            names[f"input_blocks.{block}.0"] = f"down_blocks.{level}.resnets.{j}|res"
            names[f"input_blocks.{block}.1"] = f"down_blocks.{level}.attentions.{j}|attn"
            block += 1
        if level != spec.levels - 1:
            names[f"input_blocks.{block}.0.op"] = f"down_blocks.{level}.downsamplers.0.conv|mod"
            block += 1
    block = 0
    for i, level in enumerate(reversed(range(spec.levels))):
        attn = 2**level in spec.attention_resolutions
        for j in range(r + 1):
            names[f"output_blocks.{block}.0"] = f"up_blocks.{i}.resnets.{j}|res"
            names[f"output_blocks.{block}.1"] = f"up_blocks.{i}.attentions.{j}|attn"
            names[f"output_blocks.{block}.{2 if attn else 1}.conv"] = f"up_blocks.{i}.upsamplers.0.conv|mod"
            block += 1
    return names


def _split(prefix: str, name: str) -> tuple[str, str] | None:
    return (prefix, name[len(prefix) + 1:]) if name.startswith(prefix + ".") else None


def to_diffusers(spec: UNetSpec, state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The UNetModel state dict (backbone keys) under UNet2DModel's keys; KeyError listing unmapped keys."""
    names = block_names(spec)
    out: dict[str, Tensor] = {}
    unmapped = []
    for key, value in state.items():
        prefix, rest = max(((p, r) for p in names for r in [_split(p, key)] if r), key=lambda pr: len(pr[0]),
                           default=(None, None))
        if prefix is None:
            unmapped.append(key)
            continue
        target, kind = names[prefix].split("|")
        leaf = rest[1]
        if kind == "res":
            sub, param = leaf.rsplit(".", 1)
            out[f"{target}.{RESNET[sub]}.{param}"] = value
        elif kind == "attn":
            out.update(_attention_to_diffusers(spec, target, leaf, value, prefix))
        else:
            out[f"{target}.{leaf}"] = value
    if unmapped:
        raise KeyError(f"no UNet2DModel key for {sorted(unmapped)}")
    return out


def _heads(spec: UNetSpec, prefix: str, width: int) -> int:
    decoder = prefix.startswith("output_blocks")
    return spec.attention_heads(width, decoder)[0]


def _attention_to_diffusers(spec: UNetSpec, target: str, leaf: str, value: Tensor, prefix: str
                            ) -> dict[str, Tensor]:
    if leaf.startswith("norm."):
        return {f"{target}.group_norm.{leaf[5:]}": value}
    if leaf.startswith("proj_out."):
        return {f"{target}.to_out.0.{leaf[9:]}": value.squeeze(-1) if value.ndim == 3 else value}
    param = leaf.split(".", 1)[1]  # qkv.weight [3C, C, 1] / qkv.bias [3C]
    fused = value.squeeze(-1) if value.ndim == 3 else value  # [3C, C] or [3C]
    width, rest = fused.shape[0] // 3, fused.shape[1:]
    heads = _heads(spec, prefix, width)
    if spec.use_new_attention_order:  # QKVAttention: (3, heads, c)
        parts = fused.reshape(3, heads, width // heads, *rest).unbind(0)
    else:  # QKVAttentionLegacy: (heads, 3, c)
        parts = fused.reshape(heads, 3, width // heads, *rest).unbind(1)
    return {f"{target}.to_{n}.{param}": p.reshape(width, *rest).contiguous() for n, p in zip("qkv", parts)}


def from_diffusers(spec: UNetSpec, own: dict[str, Tensor], state: dict[str, Tensor]) -> dict[str, Tensor]:
    """A UNet2DModel state dict back under the UNetModel keys of ``own`` (the target's state dict):
    KeyError listing diffusers keys that are missing or left over. Inverse of ``to_diffusers``."""
    probe = {key: torch.arange(value.numel(), dtype=torch.float64).reshape(value.shape) for key, value in own.items()}
    mapped = to_diffusers(spec, probe)
    missing = sorted(set(mapped) - set(state))
    extra = sorted(set(state) - set(mapped))
    if missing or extra:
        raise KeyError("the folder's UNet2DModel weights do not fit this network: "
                       + "; ".join(part for part in (f"missing keys {missing}" if missing else "",
                                                     f"unexpected keys {extra}" if extra else "") if part))
    out = {}
    for key, value in own.items():
        target = torch.empty(value.shape, dtype=state[next(iter(state))].dtype)
        flat = to_diffusers(spec, {key: torch.arange(value.numel(), dtype=torch.float64).reshape(value.shape)})
        for dkey, index in flat.items():
            if state[dkey].shape != index.shape:
                raise KeyError(f"{dkey}: shape {tuple(state[dkey].shape)}, this network needs {tuple(index.shape)}")
            target.view(-1)[index.long().reshape(-1)] = state[dkey].reshape(-1).to(target.dtype)
        out[key] = target
    return out
