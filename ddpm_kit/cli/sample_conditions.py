"""``ddpm-kit sample --cond FILE.npz``: the condition inputs of a concat / cross-attention model, from an .npz.

The file holds one array per condition batch key of the model (``model.condition_keys``: e.g. ``condition``
for a super-resolution model's upsampled low-resolution input), [N, ...] as a batch of the training data
holds them (images channels-first [N, C, H, W] in the model's range [-1, 1]); sample i is conditioned on
item i. Class labels still come from --label (or --seed).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddpm_kit.cli.errors import UserError

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

#: how many samples ``sample`` draws without --n (and without --cond)
DEFAULT_N = 64


def tensor_conditions(module: DDPM) -> dict[str, str]:
    """slot -> batch key of the model's conditions that are not class labels (what --cond supplies)."""
    return {slot: key for slot, key in module.cfg.condition_keys.used().items() if slot != "labels"}


def _expected_shape(module: DDPM, slot: str) -> tuple[int | None, ...] | None:
    """The item shape the network takes for ``slot`` (None entries: any), where the config says it."""
    if slot != "concat":
        return None
    in_channels = module.cfg.unet_config.data_channels()
    extra = 2 if module.cfg.use_positional_encodings else 0
    channels = None if in_channels is None else in_channels - module.channels - extra
    return (channels, module.image_size, module.image_size)


def read_arrays(path: Path, keys: list[str]) -> dict[str, Any]:
    """The named arrays of an .npz (no pickles); UserError naming the file and what it holds otherwise."""
    import numpy as np

    from ddpm_kit.files import input_file_problem

    problem = input_file_problem(path, "array")
    if problem:
        error = UserError(f"--cond {path}: {problem}")
        error.exit_code = 2 if problem == "no such file" else 1
        raise error
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise UserError(f"--cond {path}: no array {missing[0]!r}; the model's conditions are {keys} and the "
                                f"file holds {sorted(archive.files)}")
            return {k: np.asarray(archive[k]) for k in keys}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, AttributeError) as exc:
        raise UserError(f"--cond {path}: cannot read it as .npz ({type(exc).__name__}: {exc})") from None


def condition_inputs(module: DDPM, path: Path | None, n: int | None) -> tuple[dict[str, Any] | None, int]:
    """(condition tensors by batch key or None, number of samples): --n, else the number of conditions, else 64."""
    import numpy as np
    import torch

    slots = tensor_conditions(module)
    if not slots:
        if path is not None:
            raise UserError(f"--cond {path}: the model takes no condition inputs (conditioning_key "
                            f"{module.conditioning_key!r}); leave --cond out")
        return None, DEFAULT_N if n is None else n
    if path is None:
        raise UserError(f"the model is conditioned on {sorted(slots.values())} (conditioning_key "
                        f"{module.conditioning_key!r}): give them with --cond FILE.npz, one array per key")
    arrays = read_arrays(path, list(slots.values()))
    lengths = {key: len(value) if value.ndim else 0 for key, value in arrays.items()}
    count = min(lengths.values())
    if len(set(lengths.values())) != 1 or count == 0:
        raise UserError(f"--cond {path}: the condition arrays need one common, non-zero length; got {lengths}")
    n = count if n is None else n
    if n > count:
        raise UserError(f"--n {n}: --cond {path} holds conditions for {count} samples; ask for at most {count}")
    out = {}
    for slot, key in slots.items():
        value = arrays[key]
        expected = _expected_shape(module, slot)
        if not (np.issubdtype(value.dtype, np.number) and np.isfinite(value).all()):
            raise UserError(f"--cond {path}: array {key!r} must hold finite numbers (dtype {value.dtype})")
        if expected is not None and (value.ndim != 1 + len(expected) or any(
                e is not None and s != e for s, e in zip(value.shape[1:], expected))):
            shown = "x".join("C" if e is None else str(e) for e in expected)
            raise UserError(f"--cond {path}: array {key!r} has shape {list(value.shape)}; the model's {slot} "
                            f"condition is [N, {shown.replace('x', ', ')}] (channels first, as in training)")
        out[key] = torch.from_numpy(np.ascontiguousarray(value[:n], dtype=np.float32))
    return out, n
