"""Backbone test helpers: data paths and the parity fixtures' deterministic weight recipe."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

DATA = Path(__file__).resolve().parents[2] / "data"
PARITY = DATA / "unet_parity"
PARITY_CASES = sorted(p.name for p in PARITY.iterdir() if p.is_dir())
STATE_KEYS: dict[str, Any] = json.loads((DATA / "unet" / "state_keys.json").read_text())["configs"]


def recipe_state_dict(model: nn.Module, seed: int, keys: list[str] | None = None) -> dict[str, torch.Tensor]:
    """The parity fixtures' weights: every parameter, in ``keys`` order, from one seeded generator.

    GroupNorm/LayerNorm weights 1 + 0.1 N(0,1); biases 0.1 N(0,1); tensors with dim >= 2
    N(0,1) / sqrt(numel / shape[0]); other 1-D tensors 0.1 N(0,1) (recipe in each meta.json).
    """
    params = dict(model.named_parameters())
    modules = dict(model.named_modules())
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for name in keys if keys is not None else list(params):
        shape = params[name].shape
        owner = modules[name.rsplit(".", 1)[0]]
        noise = torch.randn(shape, generator=generator)
        if isinstance(owner, (nn.GroupNorm, nn.LayerNorm)) and name.endswith("weight"):
            out[name] = 1 + 0.1 * noise
        elif name.endswith("bias"):
            out[name] = 0.1 * noise
        elif len(shape) >= 2:
            out[name] = noise / (shape.numel() / shape[0]) ** 0.5
        else:
            out[name] = 0.1 * noise
    return out


def state_dict_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """SHA-256 over sorted keys of (name, shape, float32 bytes): how the fixtures' digests were made."""
    digest = hashlib.sha256()
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().to(torch.float32).contiguous()
        digest.update(key.encode())
        digest.update(str(list(tensor.shape)).encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()
