"""``plugins check``: a component whose optional dependency is missing is SKIP with the install command."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("ddpm_kit_diffusers")

# diffusers made unimportable (a None entry in sys.modules), whether or not it is installed
SCRIPT = """
import sys
sys.modules["diffusers"] = None
from ddpm_kit.cli import main
sys.argv = ["ddpm-kit", "plugins", "check", "backbone:diffusers.unet2d", *sys.argv[1:]]
main()
"""


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, timeout=300)


def test_missing_optional_dependency_is_a_skip_naming_the_install_command_and_strict_fails():
    done = check()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SKIP  backbone    diffusers.unet2d")
    assert "pip install 'ddpm-kit-diffusers[diffusers]'" in done.stdout
    assert "1 skipped (optional dependency missing)" in done.stdout
    strict = check("--strict")
    assert strict.returncode == 1 and strict.stdout.startswith("FAIL  backbone    diffusers.unet2d")
    assert "Traceback" not in strict.stderr
