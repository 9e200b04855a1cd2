"""Arrays from a ``.npz`` file, mapped from ``value_range`` to [-1, 1], with the layout the user declared."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from einops import rearrange

from ddpm_kit.components.data.base import CHANNELS_FIRST, VECTOR
from ddpm_kit.components.data.base_impl import DataSourceError, DataSplits, split_tensors
from ddpm_kit.components.data.npz import NpzSpec


def _fail(spec: NpzSpec, problem: str) -> DataSourceError:
    return DataSourceError(f"npz source {spec.path}: {problem}")


def read_arrays(spec: NpzSpec) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
    """The sample array, the optional label array and the ``extra_keys`` arrays by batch key (no pickled
    objects); every extra's item count is checked against the samples' from the headers, before any is read."""
    path = Path(spec.path).expanduser()
    from ddpm_kit.files import input_file_problem

    if not path.exists():
        raise _fail(spec, f"no such file ({path.resolve()}). Check data.path.")
    problem = input_file_problem(path, "array")
    if problem:
        raise _fail(spec, f"{problem}. Check data.path.")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise _fail(spec, f"cannot read it as .npz ({type(exc).__name__}: {exc}).") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise _fail(spec, "this is a single-array .npy file; save it with numpy.savez to name the array.")
    with archive:
        names = list(archive.files)
        wanted = [spec.key] + ([spec.labels_key] if spec.labels_key else [])
        shapes = {}
        for name in wanted + [extra.array for extra in spec.extra_keys.values()]:
            if name not in names:
                field = "key / labels_key" if name in wanted else "extra_keys"
                raise _fail(spec, f"the file has no array {name!r}; it holds {names}. Set {field}.")
            shapes[name] = check_member_size(spec, archive, name)
        count = shapes[spec.key][0] if shapes[spec.key] else None
        for batch_key, extra in spec.extra_keys.items():
            shape = shapes[extra.array]
            if not shape or shape[0] != count:
                raise _fail(spec, f"extra_keys {batch_key!r}: array {extra.array!r} has shape {shape}, but the "
                                  f"samples {spec.key!r} have {count} items; its first axis must count the same items.")
        try:
            samples = archive[spec.key]
            labels = archive[spec.labels_key] if spec.labels_key else None
            extras = {batch_key: archive[extra.array] for batch_key, extra in spec.extra_keys.items()}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:  # pickled objects, truncated members
            raise _fail(spec, f"cannot read its arrays ({type(exc).__name__}: {exc}).") from exc
    return samples, labels, extras


def check_member_size(spec: NpzSpec, archive: Any, name: str) -> tuple[int, ...]:
    """The array size a member's .npy header claims must fit in the bytes the member holds (no 7 TiB header);
    the shape the header gives."""
    member = name + ".npy"
    try:
        info = archive.zip.getinfo(member)
        with archive.zip.open(member) as stream:
            version = np.lib.format.read_magic(stream)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(stream)
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise _fail(spec, f"cannot read the header of array {name!r} ({type(exc).__name__}: {exc}).") from exc
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if claimed > info.file_size:
        raise _fail(spec, f"array {name!r}: its header claims shape {tuple(shape)} ({claimed:,} bytes) but the "
                          f"member holds {info.file_size:,} bytes; the file is corrupt or truncated.")
    return tuple(shape)


def to_channels_first(spec: NpzSpec, samples: np.ndarray) -> tuple[np.ndarray, str]:
    """[N, D] -> vectors; [N, H, W] -> [N, 1, H, W]; [N, C, H, W] / [N, H, W, C] as declared by ``layout``."""
    shape = tuple(samples.shape)
    if samples.ndim in (2, 3) and spec.layout is not None:
        raise _fail(spec, f"array {spec.key!r} has shape {shape} (no channel axis); remove layout, which applies "
                          f"to 4-D arrays only.")
    if samples.ndim == 2:
        return samples, VECTOR
    if samples.ndim == 3:
        return samples[:, None], CHANNELS_FIRST  # [N, 1, H, W]
    if samples.ndim == 4:
        if spec.layout is None:
            raise _fail(spec, f"array {spec.key!r} has shape {shape}: say layout: channels_first for [N, C, H, W] or "
                              f"layout: channels_last for [N, H, W, C]; ddpm-kit does not guess the axis order.")
        if spec.layout == "channels_last":
            return rearrange(samples, "n h w c -> n c h w"), CHANNELS_FIRST
        return samples, CHANNELS_FIRST
    raise _fail(spec, f"array {spec.key!r} has shape {shape}; expected [N, D], [N, H, W] or a 4-D image array.")


def to_unit_range(spec: NpzSpec, samples: np.ndarray) -> np.ndarray:
    """2 (x - lo) / (hi - lo) - 1 after checking the values are finite and inside [lo, hi]."""
    if not (np.issubdtype(samples.dtype, np.number) or samples.dtype == np.bool_):
        raise _fail(spec, f"array {spec.key!r} has dtype {samples.dtype}; expected numbers.")
    values = samples.astype(np.float32)
    finite = np.isfinite(values)
    if not finite.all():
        raise _fail(spec, f"array {spec.key!r} holds {int((~finite).sum())} NaN/inf value(s).")
    if values.size == 0:
        raise _fail(spec, f"array {spec.key!r} is empty (shape {tuple(samples.shape)}).")
    low, high = spec.value_range
    seen_low, seen_high = float(values.min()), float(values.max())
    if seen_low < low or seen_high > high:
        outside = int(((values < low) | (values > high)).sum())
        raise _fail(spec, f"array {spec.key!r} spans [{seen_low:g}, {seen_high:g}], outside value_range [{low:g}, "
                          f"{high:g}] ({outside} value(s)); set value_range to the range the data was stored in.")
    return (values - np.float32(low)) * np.float32(2.0 / (high - low)) - np.float32(1.0)


def check_labels(spec: NpzSpec, labels: np.ndarray, count: int) -> np.ndarray:
    if labels.ndim != 1 or len(labels) != count:
        raise _fail(spec, f"labels {spec.labels_key!r} have shape {tuple(labels.shape)}; expected ({count},).")
    if not np.issubdtype(labels.dtype, np.integer):
        raise _fail(spec, f"labels {spec.labels_key!r} have dtype {labels.dtype}; expected integers.")
    if count and labels.min() < 0:
        raise _fail(spec, f"labels {spec.labels_key!r} contain negative values; class labels are >= 0.")
    return labels.astype(np.int64)


def extra_values(spec: NpzSpec, batch_key: str, values: np.ndarray) -> np.ndarray:
    """An ``extra_keys`` array as float32: image-like (value_range) as the samples, else as stored."""
    extra = spec.extra_keys[batch_key]
    if extra.value_range is not None:  # the sample array's rules, with this array's name, layout and range
        as_samples = spec.model_copy(update={"key": extra.array, "layout": extra.layout,
                                             "value_range": extra.value_range})
        return to_unit_range(as_samples, to_channels_first(as_samples, values)[0])
    if not (np.issubdtype(values.dtype, np.number) or values.dtype == np.bool_):
        raise _fail(spec, f"extra_keys {batch_key!r}: array {extra.array!r} has dtype {values.dtype}; expected "
                          "numbers.")
    out = values.astype(np.float32)
    bad = int((~np.isfinite(out)).sum())
    if bad:
        raise _fail(spec, f"extra_keys {batch_key!r}: array {extra.array!r} holds {bad} NaN/inf value(s) (as float32).")
    return out


def build_npz(spec: NpzSpec) -> DataSplits:
    samples, labels, extras = read_arrays(spec)
    samples, layout = to_channels_first(spec, samples)
    values = np.ascontiguousarray(to_unit_range(spec, samples))  # [N, C, H, W] or [N, D]
    tensors = {spec.image_key: torch.from_numpy(values)}
    if labels is not None:
        tensors[spec.label_key] = torch.from_numpy(check_labels(spec, labels, len(values)))
    for batch_key, array in extras.items():
        tensors[batch_key] = torch.from_numpy(np.ascontiguousarray(extra_values(spec, batch_key, array)))
    return split_tensors(tensors, spec.val_fraction, spec.split_seed, layout)
