"""Build installable-looking distributions in a folder (for tests of plugin discovery and isolation).

``make_distribution(root, "acme-ddpm", "1.2", {"acme_ddpm/__init__.py": "..."},
{"ddpm_kit.schedules": {"acme.laplace": "acme_ddpm:LaplaceSchedule"}})`` writes the package files and a
``.dist-info`` with ``METADATA`` and ``entry_points.txt``; put ``root`` on ``sys.path`` (or PYTHONPATH)
and ``importlib.metadata`` finds it exactly as it finds a pip-installed plugin.
"""

from __future__ import annotations

import importlib
import textwrap
from collections.abc import Mapping
from pathlib import Path


def make_distribution(root: Path, name: str, version: str, files: Mapping[str, str],
                      entry_points: Mapping[str, Mapping[str, str]]) -> Path:
    """Write the distribution under ``root`` and return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, entries in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{entry} = {value}" for entry, value in entries.items())
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines))
    importlib.invalidate_caches()
    return root
