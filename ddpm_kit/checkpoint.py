"""Reading weights safely: Lightning checkpoints, plain state dicts and safetensors, never unpickling code.

``init_from_ckpt`` has upstream's meaning (``ignore_keys`` are prefixes, ``load_only_unet`` loads into
the wrapped network, SD's ``make_it_fit`` resizes mismatching tensors) and reports what it did:
missing and unexpected keys as a table, and loading that would drop everything is an error.
"""

from __future__ import annotations

import logging
import pickle
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ddpm_kit.diffusion.buffers import BUFFER_NAMES

log = logging.getLogger(__name__)


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: missing, corrupt, unsafe, or not matching the model."""


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint object with ``weights_only=True`` (or safetensors); clear errors for bad files."""
    from ddpm_kit.files import input_file_problem

    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file")
    problem = input_file_problem(path, "checkpoint")
    if problem:
        raise CheckpointError(f"{path}: {problem}")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return {"state_dict": load_file(str(path))}
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        if "Weights only load failed" not in str(exc) and "Unsupported global" not in str(exc):
            raise CheckpointError(f"{path}: not a checkpoint torch can read ({first})") from None
        raise CheckpointError(
            f"{path}: refused: the checkpoint contains pickled objects that are not plain tensors and containers "
            f"({first}); ddpm-kit loads with weights_only=True and never runs code from a checkpoint"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint ({type(exc).__name__}: {first})") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a dict (a state dict or a Lightning checkpoint), "
                              f"got {type(obj).__name__}")
    return obj


def state_dict_of(obj: dict[str, Any], path: str | Path) -> dict[str, torch.Tensor]:
    state = obj.get("state_dict", obj)
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: holds no state dict of tensors (keys: {sorted(obj)[:8]})")
    return state


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    resized: list[str] = field(default_factory=list)
    schedule_differs: list[str] = field(default_factory=list)

    def table(self) -> str:
        rows = [("loaded", len(self.loaded), ""), ("ignored (ignore_keys)", len(self.ignored), _few(self.ignored)),
                ("missing in checkpoint", len(self.missing), _few(self.missing)),
                ("unexpected in checkpoint", len(self.unexpected), _few(self.unexpected)),
                ("resized (make_it_fit)", len(self.resized), _few(self.resized)),
                ("schedule buffers differing (config wins)", len(self.schedule_differs), _few(self.schedule_differs))]
        return "\n".join(f"  {name:<42} {count:>6}  {examples}" for name, count, examples in rows)


def _few(keys: Sequence[str], n: int = 3) -> str:
    return ", ".join(keys[:n]) + (f", ... (+{len(keys) - n})" if len(keys) > n else "")


def fit_tensor(old: torch.Tensor, new_shape: torch.Size) -> torch.Tensor:
    """SD's make_it_fit: new[i, j] = old[i mod O0, j mod O1], columns divided by 1 + (new columns mapping to j).

    Only the first two axes may differ; trailing axes must match (as upstream asserts).
    """
    if old.dim() != len(new_shape) or tuple(old.shape[2:]) != tuple(new_shape[2:]):
        raise CheckpointError(f"make_it_fit can only resize the first two axes: "
                              f"{tuple(old.shape)} -> {tuple(new_shape)}")
    rows = torch.arange(new_shape[0]) % old.shape[0]
    new = old[rows]
    if old.dim() >= 2:
        cols = torch.arange(new_shape[1]) % old.shape[1]
        new = new[:, cols]
        uses = torch.bincount(cols, minlength=old.shape[1])[cols]  # new columns mapping to the same old column
        shape = [1, new_shape[1]] + [1] * (old.dim() - 2)
        new = new / (1 + uses).to(new.dtype).reshape(shape)
    return new.clone()


def init_from_ckpt(module: nn.Module, path: str | Path, ignore_keys: Sequence[str] = (), only_model: bool = False,
                   make_it_fit: bool = False, target_attr: str = "model") -> LoadReport:
    """Load ``path`` into ``module`` (or ``module.model`` when ``only_model``) and report what happened."""
    state = dict(state_dict_of(read_checkpoint(path), path))
    report = LoadReport()
    for key in list(state):
        if any(key.startswith(prefix) for prefix in ignore_keys):
            report.ignored.append(key)
            del state[key]
    target = getattr(module, target_attr) if only_model else module
    own = target.state_dict()
    if not only_model:
        for name in BUFFER_NAMES:
            if name in state:
                value = state.pop(name)
                if name in own and (value.shape != own[name].shape
                                    or not torch.allclose(value.float(), own[name].float())):
                    report.schedule_differs.append(name)
    mismatched = []
    for key, value in list(state.items()):
        if key in own and own[key].shape != value.shape:
            if make_it_fit:
                state[key] = fit_tensor(value, own[key].shape)
                report.resized.append(key)
            else:
                mismatched.append(f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(own[key].shape)}")
    if mismatched:
        raise CheckpointError(f"{path}: {len(mismatched)} tensors have other shapes than the model "
                              f"({'; '.join(mismatched[:3])}); set make_it_fit: true to resize them, or check the "
                              f"unet_config")
    report.loaded = [k for k in state if k in own]
    if not report.loaded:
        prefixes = {key.split(".", 1)[0] + "." for key in state}
        hint = (" (keys start with 'model.diffusion_model.': unset load_only_unet)" if only_model and
                "model." in prefixes else
                " (keys start with 'diffusion_model.': set load_only_unet)" if "diffusion_model." in prefixes
                else "")
        raise CheckpointError(f"{path}: no checkpoint key matches the model, loading would drop everything{hint}; "
                              f"first checkpoint keys: {list(state)[:3]}")
    result = target.load_state_dict(state, strict=False)
    report.missing = [k for k in result.missing_keys if k not in BUFFER_NAMES]  # those come from the config
    report.unexpected = list(result.unexpected_keys)
    log.info("loaded %s into %s:\n%s", path, "the network" if only_model else "the model", report.table())
    return report
