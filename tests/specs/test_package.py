"""``ddpm_kit.specs``: every module is torch-free, and naming a component imports only its own module."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, subprocess_env


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=subprocess_env(), cwd=ROOT).stdout.strip()


def test_every_spec_module_is_torch_free():
    code = (
        "import importlib, pkgutil, sys, ddpm_kit.specs as specs\n"
        "names = [m.name for m in pkgutil.walk_packages(specs.__path__, 'ddpm_kit.specs.')]\n"
        "[importlib.import_module(n) for n in names]\n"
        "print(len(names), sorted(m for m in ('torch', 'numpy', 'pytorch_lightning') if m in sys.modules))"
    )
    count, heavy = _run(code).split(" ", 1)
    assert int(count) > 40 and heavy == "[]"


def test_a_config_imports_only_the_spec_modules_it_names():
    code = (
        "import sys\n"
        "from ddpm_kit.config import validate_file\n"
        "validate_file('examples/digits.yaml').raise_for_errors()\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('ddpm_kit.specs.'))))"
    )
    loaded = set(_run(code).split())
    for family, name in [("schedules", "cosine"), ("losses", "l2"), ("weightings", "none"), ("ema", "lit_ema"),
                         ("samplers", "ddim"), ("data", "digits"), ("lr_schedules", "warmup_cosine")]:
        assert f"ddpm_kit.specs.{family}.{name}" in loaded
    for other in ["schedules.linear", "schedules.sigmoid_beta", "losses.huber", "weightings.p2", "ema.power",
                  "samplers.dpmpp_2m", "data.npz", "lr_schedules.lambda_linear"]:
        assert f"ddpm_kit.specs.{other}" not in loaded, other
