"""``ddpm_kit.components``: every module whose name does not end in ``_impl`` (and is not under an ``nn`` folder)
imports without torch, and naming a component imports only its own spec module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ddpm_kit
from tests.conftest import ROOT, subprocess_env

COMPONENTS = Path(ddpm_kit.__file__).parent / "components"
HEAVY = ("torch", "numpy", "pytorch_lightning", "lightning")


def _run(code: str, *args: str) -> str:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                          env=subprocess_env(), cwd=ROOT).stdout.strip()


def torch_free_modules() -> list[str]:
    """Every module under ``ddpm_kit/components`` that the rule covers, found by walking the files (walking with
    pkgutil would import the ``nn`` packages it has to skip)."""
    names = []
    for path in sorted(COMPONENTS.rglob("*.py")):
        parts = path.relative_to(COMPONENTS.parent.parent).with_suffix("").parts
        if "nn" in parts[:-1] or parts[-1].endswith("_impl"):
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_rule_covers_every_family():
    names = torch_free_modules()
    for family in ["schedules", "losses", "weightings", "backbones", "ema", "samplers", "data", "lr_schedules",
                   "feature_extractors", "augment"]:
        assert f"ddpm_kit.components.{family}" in names
        assert f"ddpm_kit.components.{family}.base" in names or family in {"backbones", "feature_extractors"}
    assert "ddpm_kit.components.samplers.spacings" in names and "ddpm_kit.components.backbones.unet_checks" in names
    assert not [n for n in names if n.endswith("_impl") or ".nn" in n]


def test_every_spec_module_imports_with_torch_blocked():
    """Each module in a fresh interpreter where importing torch, numpy or Lightning raises ImportError."""
    code = (
        "import importlib, sys\n"
        f"for heavy in {HEAVY!r}:\n"
        "    sys.modules[heavy] = None\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as error:\n"
        "        failed.append(f'{name}: {error}')\n"
        "print('\\n'.join(failed) or 'ok')"
    )
    names = torch_free_modules()
    assert len(names) > 60
    assert _run(code, *names) == "ok"


def test_every_spec_module_is_torch_free():
    code = (
        "import importlib, sys\n"
        "[importlib.import_module(n) for n in sys.argv[1:]]\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert _run(code, *torch_free_modules()) == "[]"


def test_a_config_imports_only_the_spec_modules_it_names():
    code = (
        "import sys\n"
        "from ddpm_kit.config import validate_file\n"
        "validate_file('examples/digits.yaml').raise_for_errors()\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('ddpm_kit.components.'))))"
    )
    loaded = set(_run(code).split())
    for family, name in [("schedules", "cosine"), ("losses", "l2"), ("weightings", "none"), ("ema", "lit_ema"),
                         ("samplers", "plms"), ("data", "digits"), ("lr_schedules", "warmup_cosine")]:
        assert f"ddpm_kit.components.{family}.{name}" in loaded
    for other in ["schedules.linear", "schedules.sigmoid_beta", "losses.huber", "weightings.p2", "ema.power",
                  "samplers.dpmpp_2m", "data.npz", "lr_schedules.lambda_linear"]:
        assert f"ddpm_kit.components.{other}" not in loaded, other
    assert not [m for m in loaded if m.endswith("_impl") or ".nn." in m], "validate imports no implementation"
