"""One check for every file path a user gives: a regular file of bounded size (torch-free, no imports above stdlib).

A FIFO would block a reader forever and ``/dev/zero`` would fill memory; a file far larger than its kind
can be is refused before a byte is read. Each caller raises its own error type with the returned message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MiB = 1024 * 1024
GiB = 1024 * MiB
#: Largest file accepted for each kind of input (README "Safety").
MAX_BYTES = {
    "config": 4 * MiB,      # YAML configs and config.json of an export
    "checkpoint": 64 * GiB,  # .ckpt / .safetensors / init files
    "array": 64 * GiB,       # .npz data
    "image": 256 * MiB,      # one image of an image folder
}


def input_file_problem(path: str | Path, kind: str) -> str | None:
    """Why ``path`` cannot be read as a ``kind`` input ("no such file", "is a FIFO", "... too large"), or None.

    Uses ``os.stat`` only, which never blocks on a FIFO or device.
    """
    limit = MAX_BYTES[kind]
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        return "is a directory, expected a file"
    if not stat.S_ISREG(mode):
        what = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        return f"is {what}, expected a regular file"
    if info.st_size > limit:
        return f"{info.st_size:,} bytes is larger than the {limit // MiB:,} MiB accepted for a {kind} file"
    return None
