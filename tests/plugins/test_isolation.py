"""Broken, clashing, heavy and misdeclared plugins: precise messages naming the distribution, no effect on
configs that do not use them, env switches, ``require_plugins``. (Registry-level basics are in
tests/registry/test_registry.py; these go through the CLI and the config layer.)"""

from __future__ import annotations

import sys

import pytest

from ddpm_kit.registry import BACKBONES, LOSSES, SCHEDULES
from ddpm_kit.testing.conformance import check_component
from tests.conftest import BASE_CONFIG
from tests.plugins.conftest import refresh_registries
from tests.plugins.fixture_plugins import (
    CLASHING_LOSS, RAISES_ON_IMPORT, SCHEDULE_AS_BACKBONE, TORCH_AT_MODULE_LEVEL,
)


@pytest.fixture
def bad_plugins(site):
    """Four misbehaving distributions installed at once."""
    site.add("acme-raising", "0.1", {"acme_raising/__init__.py": RAISES_ON_IMPORT},
             {"ddpm_kit.schedules": {"acme.raising": "acme_raising:Schedule"}})
    site.add("acme-clash", "2.0", {"acme_clash/__init__.py": CLASHING_LOSS},
             {"ddpm_kit.losses": {"l2": "acme_clash:L2Loss"}})
    site.add("acme-torchy", "1.0", {"acme_torchy/__init__.py": "", "acme_torchy/specs.py": TORCH_AT_MODULE_LEVEL},
             {"ddpm_kit.schedules": {"acme.heavy": "acme_torchy.specs:HeavySchedule"}})
    site.add("acme-wrongkind", "0.2", {"acme_wrongkind/__init__.py": SCHEDULE_AS_BACKBONE},
             {"ddpm_kit.backbones": {"acme.notabackbone": "acme_wrongkind:NotABackbone"}})
    return site


def config(**model) -> dict:
    data = {key: dict(value) if isinstance(value, dict) else value for key, value in BASE_CONFIG.items()}
    data["model"] = {**BASE_CONFIG["model"], "loss_type": "l1", **model}
    return data


def one_line_error(code: int, err: str) -> str:
    assert code == 1 and "Traceback" not in err, err
    return err


def test_plugin_raising_on_import_is_named_with_its_distribution(bad_plugins, cli, write_config):
    code, _, err = cli("validate", write_config(config(beta_schedule="acme.raising")))
    message = one_line_error(code, err)
    assert "model.beta_schedule" in message
    assert ("plugin 'acme.raising' from distribution acme-raising==0.1 failed to load: RuntimeError: backend "
            "exploded. Fix or uninstall it, or block it with DDPM_KIT_BLOCK=acme-raising") in message


def test_clash_with_a_builtin_name_lists_both_providers(bad_plugins, cli, write_config):
    code, _, err = cli("validate", write_config(config(loss_type="l2")))
    message = one_line_error(code, err)
    assert "model.loss_type" in message
    assert ("loss 'l2' is provided more than once: builtin==0.1.0 (entry point ddpm_kit.components.losses.l2:L2Loss); "
            "acme-clash==2.0 (entry point acme_clash:L2Loss)") in message


def test_entry_point_of_the_wrong_kind_is_named(bad_plugins, cli, write_config):
    unet = {"name": "acme.notabackbone"}
    code, _, err = cli("validate", write_config(config(unet_config=unet)))
    assert ("plugin 'acme.notabackbone' from distribution acme-wrongkind==0.2 is not a backbone spec"
            in one_line_error(code, err))


def test_listing_survives_broken_plugins_and_names_them(bad_plugins, cli):
    code, out, err = cli("plugins", "list")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "FAILED TO LOAD" in rows["acme.raising"] and "FAILED TO LOAD" in rows["acme.notabackbone"]
    assert "acme-torchy==1.0" in rows["acme.heavy"]  # valid, only heavy: listed normally
    assert "warning: plugin 'acme.raising' from distribution acme-raising==0.1" in err
    assert "acme-clash==2.0" in err and "acme-wrongkind==0.2" in err


def test_torch_importing_spec_loads_but_is_flagged_by_check(bad_plugins, cli):
    assert SCHEDULES.get("acme.heavy").spec_name() == "acme.heavy"
    code, out, _ = cli("plugins", "check", "acme.heavy")
    assert code == 1 and "FAIL spec is torch-free: importing acme_torchy.specs imports numpy, torch" in out
    assert [v.split(":")[0] for v in check_component("schedule", "acme.heavy")] == ["spec is torch-free"]


def test_unrelated_configs_keep_working_and_import_no_plugin(bad_plugins, cli, write_config):
    code, out, err = cli("validate", write_config(config(beta_schedule="cosine", loss_type="l1")))
    assert code == 0, err
    assert not [m for m in sys.modules if m.startswith(("acme_raising", "acme_clash", "acme_wrongkind"))]
    code, _, err = cli("validate", write_config(config(beta_schedule="extras.laplace")))
    assert code == 0, err  # an installed good plugin works beside the bad ones


def test_env_var_disables_autoloading_and_blocks_plugins(bad_plugins, cli, write_config, monkeypatch):
    monkeypatch.setenv("DDPM_KIT_PLUGINS", "off")
    refresh_registries()
    assert "extras.laplace" not in SCHEDULES.names() and "acme.raising" not in SCHEDULES.names()
    assert "cosine" in SCHEDULES.names() and "unet" in BACKBONES.names()
    code, _, err = cli("validate", write_config(config(beta_schedule="extras.laplace")))
    assert "unknown schedule 'extras.laplace'" in one_line_error(code, err)
    code, _, err = cli("validate", write_config(config(loss_type="l2")))
    assert code == 0, err  # the clashing plugin is not loaded either

    monkeypatch.setenv("DDPM_KIT_PLUGINS", "ddpm-kit-extras")  # an allowlist of distributions
    refresh_registries()
    assert "extras.laplace" in SCHEDULES.names() and "acme.heavy" not in SCHEDULES.names()

    monkeypatch.setenv("DDPM_KIT_PLUGINS", "all")
    monkeypatch.setenv("DDPM_KIT_BLOCK", "acme-clash,acme.raising")  # a distribution and a component name
    refresh_registries()
    assert LOSSES.get("l2").__module__ == "ddpm_kit.components.losses.l2"
    assert "acme.raising" not in SCHEDULES.names() and "acme.heavy" in SCHEDULES.names()


def test_require_plugins_fails_validation_naming_what_is_missing(cli, write_config):
    data = config(beta_schedule="extras.laplace")
    data["require_plugins"] = ["ddpm-kit-extras>=0.1"]
    code, _, err = cli("validate", write_config(data))
    assert code == 0, err
    data["require_plugins"] = ["acme-missing", "ddpm-kit-extras>=9"]
    code, _, err = cli("validate", write_config(data))
    message = one_line_error(code, err)
    assert "require_plugins[0]: plugin distribution 'acme-missing' is not installed" in message
    assert "require_plugins[1]: ddpm-kit-extras 0.1.0 is installed, the config needs >=9" in message
