"""``ddpm-kit sample --init IMAGE_OR_NPZ [--strength S] [--mask MASK] [--resample U]``: the inputs, checked.

An init is a PNG/JPEG (8-bit grey or RGB, mapped x / 127.5 - 1) or an ``.npz`` whose ``images`` (or ``samples``)
array is [N, C, H, W] or [C, H, W], float in [-1, 1] or uint8. Its channels and size must be the model's
(nothing is resized); one image is used for every sample, N images need ``--n N``. A mask is a grey image
(pixels >= 128 keep the input) or an ``.npz`` ``mask`` array of 0/1 values, [H, W], [1, H, W] or [N, 1, H, W].
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ddpm_kit.cli.errors import UserError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _read_image(path: Path, mode: str) -> np.ndarray:
    """An image file as uint8 [C, H, W] in PIL ``mode`` (L or RGB)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert(mode), dtype=np.uint8).reshape(image.height, image.width, -1) \
                .transpose(2, 0, 1)
    except (OSError, UnidentifiedImageError) as exc:
        raise UserError(f"{path}: not a readable image ({exc})") from None


def _read_npz(path: Path, names: tuple[str, ...], option: str) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            for name in names:
                if name in archive.files:
                    return archive[name]
            raise UserError(f"{option} {path}: has no {' or '.join(repr(n) for n in names)} array (its arrays: "
                            f"{', '.join(archive.files) or 'none'})")
    except (OSError, ValueError) as exc:
        raise UserError(f"{option} {path}: not a readable .npz ({exc})") from None


def _read(path: Path, option: str, names: tuple[str, ...], mode: str) -> np.ndarray:
    if not path.is_file():
        raise UserError(f"{option} {path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _read_npz(path, names, option)
    if suffix in IMAGE_SUFFIXES:
        return _read_image(path, mode)
    raise UserError(f"{option} {path}: use a .png, .jpg or .npz file")


def _to_unit_range(array: np.ndarray, path: Path) -> np.ndarray:
    """float32 in [-1, 1]: uint8 as x / 127.5 - 1; floats must be finite and within [-1, 1]."""
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 127.5 - 1.0
    if not np.issubdtype(array.dtype, np.floating):
        raise UserError(f"--init {path}: images must be float in [-1, 1] or uint8, not {array.dtype}")
    if not np.isfinite(array).all() or array.min() < -1.0 - 1e-6 or array.max() > 1.0 + 1e-6:
        raise UserError(f"--init {path}: values must be finite and within [-1, 1] (found {array.min():.4g} .. "
                        f"{array.max():.4g}); scale 0..255 pixels as x / 127.5 - 1")
    return array.astype(np.float32).clip(-1.0, 1.0)


def read_init(path: Path, image_shape: tuple[int, ...], n: int) -> np.ndarray:
    """The init images [n, C, H, W] in [-1, 1] for a model of ``image_shape`` (C, H, W)."""
    channels = image_shape[0]
    array = _read(path, "--init", ("images", "samples"), "L" if channels == 1 else "RGB")
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise UserError(f"--init {path}: expected images [N, C, H, W] or [C, H, W], got shape {list(array.shape)}")
    if tuple(array.shape[1:]) != tuple(image_shape):
        raise UserError(f"--init {path}: images of shape {list(array.shape[1:])} (C, H, W); the model makes "
                        f"{list(image_shape)} (model.channels, model.image_size); nothing is resized")
    if len(array) not in (1, n):
        raise UserError(f"--init {path}: holds {len(array)} images; give --n {len(array)} (one sample per image) "
                        "or a single image")
    return np.broadcast_to(_to_unit_range(array, path), (n, *image_shape)).copy()


def read_mask(path: Path, image_shape: tuple[int, ...], n: int) -> np.ndarray:
    """The mask [1 or n, 1, H, W] of 0/1 float32 (1: keep the input)."""
    array = _read(path, "--mask", ("mask",), "L")
    if path.suffix.lower() != ".npz":
        array = (array >= 128).astype(np.float32)
    elif not np.isin(array, (0, 1)).all():
        raise UserError(f"--mask {path}: the 'mask' array must hold only 0 (generate) and 1 (keep the input)")
    while array.ndim < 4:
        array = array[None]
    size = tuple(image_shape[1:])
    if array.shape[1] != 1 or tuple(array.shape[2:]) != size or len(array) not in (1, n):
        raise UserError(f"--mask {path}: shape {list(array.shape)} does not match the images: expected [H, W] = "
                        f"{list(size)} (or [1 or --n, 1, H, W])")
    return array.astype(np.float32)


def edit_from_options(init: Path | None, strength: float | None, mask: Path | None, resample: int,
                      image_shape: tuple[int, ...], n: int) -> Any:
    """The ``Edit`` of the command line, or None without --init; one-paragraph errors for what cannot work."""
    if init is None:
        for option, value in (("--strength", strength), ("--mask", mask), ("--resample", resample if resample != 1
                                                                           else None)):
            if value is not None:
                raise UserError(f"{option} edits an input image: give it with --init IMAGE_OR_NPZ")
        return None
    if strength is None and mask is None:
        raise UserError("--init needs --strength S (SDEdit: 0 keeps the input, 1 ignores it) and/or --mask MASK "
                        "(inpainting)")
    if strength is not None and not 0.0 <= strength <= 1.0:
        raise UserError(f"--strength {strength}: must lie in [0, 1]")
    if resample > 1 and mask is None:
        raise UserError("--resample repeats the steps of inpainting: it needs --mask")
    if len(image_shape) != 3:
        raise UserError(f"--init edits images; this model makes vectors of shape {list(image_shape)}")
    import torch

    from ddpm_kit.diffusion.sampling.editing import Edit

    images = torch.from_numpy(read_init(init, image_shape, n))
    masks = None if mask is None else torch.from_numpy(read_mask(mask, image_shape, n))
    return Edit(images, 1.0 if strength is None else strength, masks, resample)
