"""Upstream's ``DiffusionWrapper``: routes the condition slots of a DDPM to the backbone.

The network sits at ``diffusion_model`` so a DDPM holding this wrapper as ``model`` has
upstream's state-dict names (``model.diffusion_model.*``). Source: CompVis/latent-diffusion and
Stability-AI/stablediffusion ``ldm/models/diffusion/ddpm.py:DiffusionWrapper``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ddpm_kit.components.backbones.conditioning import conditioning_slots

Condition = torch.Tensor | Sequence[torch.Tensor] | None


def _as_list(value: torch.Tensor | Sequence[torch.Tensor], slot: str) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
        return list(value)
    raise TypeError(f"{slot} must be a tensor or a non-empty list of tensors, got {type(value).__name__}")


class DiffusionWrapper(nn.Module):
    """``forward(x, t, c_concat=None, c_crossattn=None, c_adm=None)`` for one ``conditioning_key``.

    | key           | call                                                              |
    |---------------|-------------------------------------------------------------------|
    | None          | net(x, t)                                                         |
    | concat        | net(cat([x, *c_concat], 1), t)                                    |
    | crossattn     | net(x, t, context=cat(c_crossattn, 1))                            |
    | hybrid        | net(cat([x, *c_concat], 1), t, context=cat(c_crossattn, 1))       |
    | hybrid-adm    | hybrid + y=c_adm                                                  |
    | crossattn-adm | net(x, t, context=cat(c_crossattn, 1), y=c_adm)                   |
    | adm           | net(x, t, y=c_crossattn[0]) (labels travel in the crossattn slot) |

    A list condition is concatenated (channels for concat, tokens for crossattn); a tensor is
    used as it is. Unlike upstream, a missing condition and a condition the mode does not use
    are errors.
    """

    def __init__(self, backbone: nn.Module, conditioning_key: str | None = None) -> None:
        super().__init__()
        self.slots = conditioning_slots(conditioning_key)
        self.conditioning_key = conditioning_key
        self.diffusion_model = backbone

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        c_concat: Condition = None,
        c_crossattn: Condition = None,
        c_adm: torch.Tensor | None = None,
        augment_labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x: [B, C, ...]; t: [B]; conditions as the key requires (see the class table); ``augment_labels``
        [B, k], the parameters of a non-leaky augmentation, go to the backbone as they are (when given)."""
        self._check_slots(c_concat=c_concat, c_crossattn=c_crossattn, c_adm=c_adm)
        kwargs: dict[str, object] = {}
        if self.slots.c_concat:
            x = torch.cat([x, *_as_list(c_concat, "c_concat")], dim=1)  # [B, C + C_cond, ...]
        if self.slots.context:
            kwargs["context"] = torch.cat(_as_list(c_crossattn, "c_crossattn"), dim=1)  # [B, M, D]
        if self.slots.label_slot == "c_crossattn":
            labels = _as_list(c_crossattn, "c_crossattn")
            if len(labels) != 1:
                raise ValueError(f"'adm' takes one label tensor in c_crossattn, got {len(labels)}")
            kwargs["y"] = labels[0]
        elif self.slots.label_slot == "c_adm":
            kwargs["y"] = c_adm
        if augment_labels is not None:
            kwargs["augment_labels"] = augment_labels
        return self.diffusion_model(x, t, **kwargs)

    def _check_slots(self, **given: object) -> None:
        key = self.conditioning_key
        for slot, value in given.items():
            needed = getattr(self.slots, slot)
            if needed and value is None:
                raise ValueError(f"conditioning_key {key!r} needs {slot} (it uses {', '.join(self.slots.required)})")
            if not needed and value is not None:
                uses = ", ".join(self.slots.required) or "no condition"
                raise ValueError(f"conditioning_key {key!r} does not use {slot} (it uses {uses})")

    def extra_repr(self) -> str:
        return f"conditioning_key={self.conditioning_key!r}"
