"""Fixture distributions: folders with a package and a ``.dist-info`` put on ``sys.path`` (as pip would)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from ddpm_kit.registry import REGISTRIES
from ddpm_kit.testing.distributions import make_distribution


def refresh_registries() -> None:
    for registry in REGISTRIES.values():
        registry.refresh()


class Site:
    """A site folder on sys.path; ``add`` writes one distribution into it and refreshes the registries."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, name: str, version: str, files: Mapping[str, str],
            entry_points: Mapping[str, Mapping[str, str]]) -> None:
        make_distribution(self.root, name, version, files, entry_points)
        refresh_registries()


@pytest.fixture
def site(tmp_path, monkeypatch) -> Iterator[Site]:
    """An empty site folder on sys.path; every module imported from it is forgotten afterwards."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    refresh_registries()
    yield Site(root)
    for module in set(sys.modules) - before:
        if getattr(sys.modules[module], "__file__", None) and str(root) in str(sys.modules[module].__file__):
            del sys.modules[module]
    monkeypatch.undo()
    refresh_registries()
