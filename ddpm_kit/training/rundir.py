"""What a run folder may hold before ``train`` writes into it, and the lock that keeps one training per folder.

``train --out DIR`` writes only into an empty folder, into a resumable run of the same config (its
``checkpoints/last.ckpt`` is resumed automatically), or with ``force``; anything else is an error naming
what is there, raised before a file is written. ``DIR/.ddpm-kit.lock`` (created with ``O_EXCL``, holding
the pid and host as JSON) is held for the whole training; a lock left by a dead process on this host is
replaced with a log line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCK_FILE = ".ddpm-kit.lock"
OWN_PREFIX = ".ddpm-kit"  # the lock and the write probe: not user data
#: Sections a resumed run may change: how long and on what hardware it trains (a DDP run resumes on any
#: number of devices).
RESUMABLE_SECTIONS = {"trainer"}


class RunDirError(ValueError):
    """The output directory cannot be used (unwritable, locked, or holds another run)."""


def _differences(now: dict[str, Any], before: dict[str, Any]) -> list[str]:
    keys = sorted(set(now) | set(before))
    out = []
    for section in keys:
        if section in RESUMABLE_SECTIONS:
            continue
        a, b = now.get(section), before.get(section)
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f"{section}.{k}" for k in sorted(set(a) | set(b))
                    if a.get(k) != b.get(k)]
        elif a != b:
            out.append(section)
    return out


def check_out_dir(out_dir: Path, config: dict[str, Any], config_path: Path | None, force: bool) -> bool:
    """Whether ``out_dir`` holds a run to resume; RunDirError when writing there would overwrite other data."""
    import yaml

    if not out_dir.exists():
        return False
    if not out_dir.is_dir():
        raise RunDirError(f"--out {out_dir}: exists and is not a folder")
    if config_path is not None and config_path.resolve().parent == out_dir.resolve() and not force:
        raise RunDirError(f"--out {out_dir}: holds the config file {config_path} itself, which training would "
                          f"overwrite with config.yaml and images; move the config or choose another --out")
    entries = sorted(p.name for p in out_dir.iterdir() if not p.name.startswith(OWN_PREFIX))
    if not entries or force:
        return False
    last = out_dir / "checkpoints" / "last.ckpt"
    listed = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
    if not last.exists():
        raise RunDirError(f"--out {out_dir}: is not empty ({listed}) and holds no checkpoints/last.ckpt to resume; "
                          f"use --force to overwrite it, or another --out")
    try:
        before = yaml.safe_load((out_dir / "config.yaml").read_text())
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        before = None
    if not isinstance(before, dict):
        raise RunDirError(f"--out {out_dir}: holds {last} but no readable config.yaml of that run; use --force to "
                          f"start over there, or another --out")
    different = _differences(config, before)
    if different:
        raise RunDirError(f"--out {out_dir}: holds a run of another config (differs in {', '.join(different)}); "
                          f"use the same config to resume it, --force to overwrite it, or another --out")
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create(lock: Path) -> None:
    fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    with os.fdopen(fd, "w") as handle:
        json.dump({"pid": os.getpid(), "host": socket.gethostname()}, handle)


@contextlib.contextmanager
def run_lock(out_dir: Path) -> Iterator[Path]:
    """Hold ``out_dir/.ddpm-kit.lock`` while the block runs; RunDirError when another training holds it."""
    lock = out_dir / LOCK_FILE
    try:
        _create(lock)
    except FileExistsError:
        try:
            owner = json.loads(lock.read_text())
            pid, host = int(owner["pid"]), str(owner["host"])
        except (OSError, ValueError, KeyError, TypeError):
            raise RunDirError(f"--out {out_dir}: is locked by {lock}, which is unreadable; if no training runs "
                              f"there, delete it") from None
        if host != socket.gethostname() or _pid_alive(pid):
            raise RunDirError(f"--out {out_dir}: another training (pid {pid} on {host}) is running there "
                              f"(lock file {lock}); wait for it, or choose another --out") from None
        log.info("replacing the stale lock %s of pid %d, which is no longer running", lock, pid)
        lock.unlink(missing_ok=True)
        _create(lock)
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)
