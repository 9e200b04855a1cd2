"""Registries: lazy entry-point plugins, provenance, clashes, broken plugins, the env knobs."""

from __future__ import annotations

import sys

import pytest

from ddpm_kit.registry import REGISTRIES, SCHEDULES, LOSSES, PluginError, RegistryError, ScheduleSpec
from ddpm_kit.testing.distributions import make_distribution
from tests.config.helpers import error_paths, report_for

GOOD = '''
from typing import Literal
from pydantic import Field
from ddpm_kit.registry import ScheduleSpec

class ConstantSchedule(ScheduleSpec):
    """Constant betas: beta_t = beta (a test plugin)."""
    name: Literal["acme.constant"] = "acme.constant"
    beta: float = Field(0.02, gt=0, lt=1)

    def reference_betas(self, timesteps):
        return [self.beta] * timesteps
'''
CLASH = '''
from typing import Literal
from ddpm_kit.registry import ScheduleSpec

class CosineSchedule(ScheduleSpec):
    """Claims a built-in name."""
    name: Literal["cosine"] = "cosine"
'''
WRONG_KIND = '''
from typing import Literal
from ddpm_kit.registry import LossSpec

class NotASchedule(LossSpec):
    name: Literal["acme.wrongkind"] = "acme.wrongkind"
'''
MISNAMED = '''
from typing import Literal
from ddpm_kit.registry import ScheduleSpec

class Misnamed(ScheduleSpec):
    name: Literal["acme.other"] = "acme.other"
'''


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    root = tmp_path / "site"
    make_distribution(root, "acme-good", "1.2.0", {"acme_good/__init__.py": GOOD},
                      {"ddpm_kit.schedules": {"acme.constant": "acme_good:ConstantSchedule"}})
    make_distribution(root, "acme-broken", "0.1", {"acme_broken/__init__.py": "raise ImportError('no such backend')"},
                      {"ddpm_kit.schedules": {"acme.broken": "acme_broken:Spec"}})
    make_distribution(root, "acme-clash", "2.0", {"acme_clash/__init__.py": CLASH},
                      {"ddpm_kit.schedules": {"cosine": "acme_clash:CosineSchedule"}})
    make_distribution(root, "acme-kinds", "0.3", {"acme_kinds/__init__.py": WRONG_KIND + MISNAMED},
                      {"ddpm_kit.schedules": {"acme.wrongkind": "acme_kinds:NotASchedule",
                                              "acme.misnamed": "acme_kinds:Misnamed"}})
    monkeypatch.syspath_prepend(str(root))
    for registry in REGISTRIES.values():
        registry.refresh()
    yield root
    for module in [m for m in sys.modules if m.startswith("acme_")]:
        del sys.modules[module]
    monkeypatch.undo()
    for registry in REGISTRIES.values():
        registry.refresh()


def test_discovery_reads_metadata_only(plugins):
    names = SCHEDULES.names()
    assert {"acme.constant", "acme.broken", "cosine", "linear"} <= set(names)
    assert not [m for m in sys.modules if m.startswith("acme_")]


def test_plugin_component_validates_with_provenance(plugins, base_config):
    base_config["model"]["beta_schedule"] = {"name": "acme.constant", "beta": 0.01}
    report = report_for(base_config)
    assert report.ok, report.issues
    assert report.config.model.beta_schedule.beta == 0.01
    assert str(SCHEDULES.origin("acme.constant")) == "acme-good==1.2.0"
    assert "acme_broken" not in sys.modules  # an unrelated broken plugin is never imported


def test_builtin_origin(plugins):
    assert SCHEDULES.origin("linear").distribution == "builtin"


def test_broken_plugin_names_distribution_and_cause(plugins, base_config):
    with pytest.raises(PluginError, match=r"'acme.broken' from distribution acme-broken==0.1 failed to load: "
                                          r"ImportError: no such backend"):
        SCHEDULES.get("acme.broken")
    base_config["model"]["beta_schedule"] = "acme.broken"
    assert "acme-broken" in error_paths(report_for(base_config))["model.beta_schedule"]


def test_clash_with_builtin_names_both_providers(plugins, base_config):
    with pytest.raises(PluginError, match=r"'cosine' is provided more than once: builtin.*acme-clash==2.0"):
        SCHEDULES.get("cosine")
    base_config["model"]["beta_schedule"] = "cosine"
    assert "acme-clash" in error_paths(report_for(base_config))["model.beta_schedule"]
    base_config["model"]["beta_schedule"] = "linear"
    assert report_for(base_config).ok  # configs that do not use the clashing name keep working


def test_wrong_kind_and_misnamed_entry_points(plugins):
    with pytest.raises(PluginError, match="is not a schedule spec"):
        SCHEDULES.get("acme.wrongkind")
    with pytest.raises(PluginError, match="entry point is named 'acme.misnamed' but the spec's name is 'acme.other'"):
        SCHEDULES.get("acme.misnamed")


def test_plugins_can_be_switched_off_or_blocked(plugins, monkeypatch):
    monkeypatch.setenv("DDPM_KIT_PLUGINS", "off")
    SCHEDULES.refresh()
    assert "acme.constant" not in SCHEDULES.names() and "linear" in SCHEDULES.names()
    monkeypatch.setenv("DDPM_KIT_PLUGINS", "acme-good")
    SCHEDULES.refresh()
    assert "acme.constant" in SCHEDULES.names() and "acme.broken" not in SCHEDULES.names()
    monkeypatch.setenv("DDPM_KIT_PLUGINS", "all")
    monkeypatch.setenv("DDPM_KIT_BLOCK", "acme-clash,acme.broken")
    SCHEDULES.refresh()
    assert "acme.broken" not in SCHEDULES.names()
    assert SCHEDULES.get("cosine").__module__.startswith("ddpm_kit")


def test_unknown_name_suggests(plugins):
    with pytest.raises(RegistryError, match="did you mean 'acme.constant'"):
        SCHEDULES.get("acme.constnt")


def test_register_from_code_rejects_duplicates_and_non_specs():
    with pytest.raises(RegistryError, match="already registered"):
        SCHEDULES.register(SCHEDULES.get("linear"))
    with pytest.raises(PluginError, match="is not a loss spec"):
        LOSSES.register(ScheduleSpec)  # type: ignore[arg-type]


def test_every_builtin_loads_and_is_documented():
    for registry in REGISTRIES.values():
        assert registry.load_all() == []
        for name, (spec, origin) in registry.loaded().items():
            if origin.distribution != "builtin":
                continue  # installed plugin packages are checked in tests/plugins
            assert spec.summary(), f"{registry.kind} {name} has no docstring"
            assert spec.spec_name() == name
