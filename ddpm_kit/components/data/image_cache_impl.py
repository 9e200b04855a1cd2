"""A decoded uint8 cache of an image folder: decoded, resized and cropped once, then memory-mapped.

The cache is ``<cache_dir>/<folder id>-<key>.npy`` ([N, C, H, W] uint8). ``key`` hashes the sorted file
list with each file's size and mtime (ns) and the preprocessing settings (image size H and W, channels, the
resize rule's version), so touching, adding or removing a file, or changing ``image_size``, names another
file: a stale cache is never reused. It is written to a temporary file and renamed into place
(atomic), and other caches of the same folder are then removed. The default folder is
``$XDG_CACHE_HOME/ddpm-kit/image_folder`` (``~/.cache/ddpm-kit/image_folder``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ddpm_kit.components.data.base_impl import DataSourceError
from ddpm_kit.progress import open_progress

log = logging.getLogger(__name__)

#: bump when the decoding/resizing rule changes, so older caches are not reused
PREPROCESS_VERSION = 1


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ddpm-kit" / "image_folder"


def cache_key(root: Path, files: list[Path], image_size: tuple[int, int], channels: int) -> str:
    """Hash of (relative path, size, mtime_ns) of every file and the preprocessing settings ((H, W) included)."""
    entries = []
    for path in files:
        stat = path.stat()
        entries.append([str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns])
    height, width = image_size
    settings = {"image_size": [height, width], "channels": channels, "version": PREPROCESS_VERSION}
    payload = json.dumps({"files": entries, "settings": settings}, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def folder_id(root: Path) -> str:
    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]


CACHE_HINT = "or data.cache: false to decode the files on every access"


def writable_dir(cache_dir: Path, source: str = "image_folder", hint: str = CACHE_HINT) -> Path:
    """``cache_dir``, created and proven writable; else an error naming it and the ``source`` (no silent fallback),
    ending with ``hint`` (another way out than a writable data.cache_dir)."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DataSourceError(
            f"{source}: the cache folder {cache_dir} is not writable ({exc.strerror or exc}). Set "
            f"data.cache_dir to a writable folder, {hint}."
        ) from None
    return cache_dir


def build_cache(target: Path, files: list[Path], shape: tuple[int, int, int],
                decode: Callable[[Path], np.ndarray]) -> None:
    """Decode every file into a temporary ``.npy`` beside ``target``, then rename it into place."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".npy")
    os.close(fd)
    progress = open_progress(len(files), "decoding images")
    try:
        array = np.lib.format.open_memmap(tmp_name, mode="w+", dtype=np.uint8, shape=(len(files), *shape))
        for i, path in enumerate(files):
            array[i] = decode(path)
            progress.update(i + 1)
        array.flush()
        del array
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    finally:
        progress.close()


def cached_pixels(root: Path, files: list[Path], image_size: tuple[int, int], channels: int, cache_dir: Path | None,
                  decode: Callable[[Path], np.ndarray], source: str = "image_folder") -> Path:
    """The path of the up-to-date cache of ``files`` (built when missing); ``decode`` gives [C, H, W] uint8.
    ``source`` names the data source in messages."""
    directory = writable_dir(cache_dir if cache_dir is not None else default_cache_dir(), source)
    prefix = folder_id(root)
    target = directory / f"{prefix}-{cache_key(root, files, image_size, channels)}.npy"
    if target.exists():
        log.info("%s: using the decoded cache %s", source, target)
        return target
    log.info("%s: decoding %d images of %s into %s", source, len(files), root, target)
    build_cache(target, files, (channels, *image_size), decode)
    for stale in directory.glob(f"{prefix}-*.npy"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target
