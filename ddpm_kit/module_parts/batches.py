"""From a batch dict to network inputs: explicit layouts, condition slots, seeded condition dropout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from einops import rearrange
from torch import Tensor

from ddpm_kit.components.data.base_impl import to_model_range
from ddpm_kit.config.model import ConditionKeys, UCGEntry
from ddpm_kit.components.backbones.conditioning import conditioning_slots

LAYOUTS = ("channels_last", "channels_first", "vector")


class BatchError(ValueError):
    """A batch that does not hold what the config says (key, shape, layout)."""


def get_input(batch: Mapping[str, Any], key: str, layout: str, channels: int) -> Tensor:
    """``batch[key]`` as float32 [B, C, H, W] (images; uint8 pixels become p / 127.5 - 1, ``to_model_range``) or
    [B, D] (vectors), from the declared ``layout``.

    Upstream always rearranges ``b h w c -> b c h w`` and so silently scrambles channels-first data;
    here the layout is declared and the channel count is checked against it.
    """
    if key not in batch:
        raise BatchError(f"the batch has no key {key!r} (first_stage_key); its keys: {sorted(map(str, batch))}")
    x = torch.as_tensor(batch[key])
    if layout == "vector":
        if x.dim() != 2 or x.shape[1] != channels:
            raise BatchError(f"batch[{key!r}] should be [B, {channels}] vectors, got {tuple(x.shape)}")
        return x.float()
    if x.dim() == 3:  # grey images without a channel axis
        x = x.unsqueeze(-1 if layout == "channels_last" else 1)
    if x.dim() != 4:
        raise BatchError(f"batch[{key!r}] should be a 4-D image batch, got shape {tuple(x.shape)}")
    if layout == "channels_last":
        if x.shape[-1] != channels:
            raise BatchError(f"batch[{key!r}] has shape {tuple(x.shape)}: with layout channels_last the last axis "
                             f"must be the {channels} channels (is the data channels-first?)")
        x = rearrange(x, "b h w c -> b c h w")
    elif x.shape[1] != channels:
        raise BatchError(f"batch[{key!r}] has shape {tuple(x.shape)}: with layout channels_first axis 1 must be the "
                         f"{channels} channels (is the data channels-last?)")
    return to_model_range(x.to(memory_format=torch.contiguous_format)).float()


def conditions(batch: Mapping[str, Any], keys: ConditionKeys, conditioning_key: str | None) -> dict[str, Any]:
    """DiffusionWrapper keyword arguments (c_concat, c_crossattn, c_adm) from the configured batch keys."""
    if conditioning_key is None:
        return {}
    cond: dict[str, Any] = {}
    if keys.concat:
        cond["c_concat"] = [to_model_range(torch.as_tensor(batch[keys.concat])).float()]  # uint8 images too
    if keys.context:
        cond["c_crossattn"] = [torch.as_tensor(batch[keys.context]).float()]
    if keys.labels:
        labels = torch.as_tensor(batch[keys.labels]).long()
        slot = conditioning_slots(conditioning_key).label_slot
        cond[slot] = [labels] if slot == "c_crossattn" else labels  # slots hold lists, c_adm a tensor
    return cond


def labels_of(cond: Mapping[str, Any], conditioning_key: str | None) -> Tensor:
    """The class labels [B] in the condition slots built by ``conditions``."""
    slot = conditioning_slots(conditioning_key).label_slot
    if slot is None:
        raise ValueError(f"conditioning_key {conditioning_key!r} passes no class labels")
    return cond[slot][0] if slot == "c_crossattn" else cond[slot]


class ConditionDropout:
    """SD's ``ucg_training``: replace ``batch[key]`` by ``val`` with probability ``p``, per sample.

    Unlike upstream the draws come from a seeded generator and the batch is copied, never edited in place.
    uint8 pixels are first brought to the model's range (``to_model_range``), so ``val`` means the same for
    every source.
    """

    def __init__(self, entries: Mapping[str, UCGEntry] | None) -> None:
        self.entries = dict(entries or {})

    def __call__(self, batch: Mapping[str, Any], generator: torch.Generator | None) -> dict[str, Any]:
        if not self.entries:
            return dict(batch)
        out = dict(batch)
        for key, entry in self.entries.items():
            if key not in batch:
                raise BatchError(f"ucg_training names batch key {key!r}, the batch has {sorted(map(str, batch))}")
            value = to_model_range(torch.as_tensor(batch[key]))
            device = generator.device if generator is not None else value.device
            drop = torch.rand(value.shape[0], generator=generator, device=device) < entry.p  # [B]
            replacement = torch.as_tensor(entry.val if entry.val is not None else 0, dtype=value.dtype)
            mask = drop.to(value.device).reshape(-1, *([1] * (value.dim() - 1)))
            out[key] = torch.where(mask, replacement.to(value.device), value)
        return out


def with_coordinates(x: Tensor) -> Tensor:
    """Append two channels with the pixel coordinates in [-1, 1] (``use_positional_encodings``): [B, C+2, H, W]."""
    b, _, h, w = x.shape
    ys = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype)
    xs = torch.linspace(-1, 1, w, device=x.device, dtype=x.dtype)
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij"))  # [2, H, W]
    return torch.cat([x, grid.expand(b, 2, h, w)], dim=1)
