"""The project's own packaging builds without warnings: the editable wheel ``pip install -e .`` makes, and the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: runs a PEP 517 hook as pip does and prints every warning it raised (pip shows them as BuildBackendWarning)
BUILD = """
import sys, warnings
from setuptools import build_meta
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wheel = getattr(build_meta, sys.argv[1])(sys.argv[2])
for warning in caught:
    print("WARNING", warning.category.__name__, str(warning.message).strip().splitlines()[0], file=sys.stderr)
print(wheel)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of what the build reads: pyproject.toml, README.md and the package."""
    work = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, work / name)
    shutil.copytree(ROOT / "ddpm_kit", work / "ddpm_kit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return work


@pytest.mark.parametrize("hook", ["build_editable", "build_wheel"])
def test_build_prints_no_warning(project: Path, tmp_path: Path, hook: str) -> None:
    done = subprocess.run([sys.executable, "-c", BUILD, hook, str(tmp_path)], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    raised = [line for line in done.stderr.splitlines() if line.startswith("WARNING ")]
    assert raised == [], "\n".join(raised)
    wheel = tmp_path / done.stdout.split()[-1]
    assert wheel.name.startswith("ddpm_kit-0.1.0") and wheel.exists()
