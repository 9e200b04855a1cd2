"""``plugins check`` without the datasets package: hf.dataset is SKIP with the install command (FAIL with --strict)."""

from __future__ import annotations

import subprocess
import sys

# datasets made unimportable (a None entry in sys.modules), whether or not it is installed
SCRIPT = """
import sys
sys.modules["datasets"] = None
from ddpm_kit.cli import main
sys.argv = ["ddpm-kit", "plugins", "check", "data:hf.dataset", *sys.argv[1:]]
main()
"""


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, timeout=300)


def test_missing_datasets_is_a_skip_naming_the_install_command_and_strict_fails():
    done = check()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SKIP  data        hf.dataset"), done.stdout
    assert "pip install 'ddpm-kit-hf[datasets]'" in done.stdout
    assert "1 skipped (optional dependency missing)" in done.stdout
    strict = check("--strict")
    assert strict.returncode == 1 and strict.stdout.startswith("FAIL  data        hf.dataset")
    assert "Traceback" not in strict.stderr
