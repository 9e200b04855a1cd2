"""The plugin template (plugins/template) builds, installs with pip, registers, conforms and passes its tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ddpm_kit.testing.conformance import check_component
from tests.conftest import ROOT

TEMPLATE = ROOT / "plugins" / "template"


@pytest.fixture(scope="module")
def installed_template(tmp_path_factory):
    """pip install of a copy of the template into a target folder (offline: no index, no build isolation)."""
    work = tmp_path_factory.mktemp("template")
    source = shutil.copytree(TEMPLATE, work / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    target = work / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--no-build-isolation", "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return source, target


def test_template_registers_and_conforms(installed_template, site, monkeypatch, cli):
    source, target = installed_template
    monkeypatch.syspath_prepend(str(target))
    from tests.plugins.conftest import refresh_registries

    refresh_registries()
    code, out, _ = cli("plugins", "list", "schedule")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("template.constant_beta"))
    assert "ddpm-kit-plugin-template==0.1.0" in row and "Constant betas" in row
    try:
        assert check_component("schedule", "template.constant_beta") == []
    finally:
        for module in [m for m in sys.modules if m.startswith("ddpm_kit_template")]:
            del sys.modules[module]


def test_template_tests_pass(installed_template):
    source, target = installed_template
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), *sys.path]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           str(source / "tests")], capture_output=True, text=True, env=env, cwd=source, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
