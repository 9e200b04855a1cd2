"""``validate --json`` is strict JSON in every outcome: non-finite numbers as strings, unreadable files too."""

from __future__ import annotations

import json

import pytest


def _strict_loads(text: str):
    def refuse(word):
        raise AssertionError(f"non-standard JSON literal {word}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_summary_values_are_strings(cli, base_config, write_config):
    base_config["model"].update(beta_schedule={"name": "cosine", "zero_terminal_snr": True}, parameterization="v")
    code, out, err = cli("validate", write_config(base_config), "--json")
    report = _strict_loads(out)
    assert code == 0 and report["valid"] and report["exit_code"] == 0, err
    assert report["summary"]["terminal_log_snr"] == "-inf"


def test_missing_file_gives_json_and_exit_2(cli, tmp_path):
    code, out, err = cli("validate", tmp_path / "absent.yaml", "--json")
    report = _strict_loads(out)
    assert code == 2 and report["valid"] is False and report["exit_code"] == 2
    assert "absent.yaml: no such file" in report["errors"][0]["message"]
    assert "Traceback" not in out + err


@pytest.mark.parametrize("text", ["model: [unclosed\n", "seed: !!int abc\n"])
def test_unreadable_yaml_gives_json(cli, write_config, text):
    code, out, _ = cli("validate", write_config(text), "--json")
    report = _strict_loads(out)
    assert code == 2 and "not valid YAML" in report["errors"][0]["message"]


def test_malformed_set_gives_json(cli, base_config, write_config):
    code, out, _ = cli("validate", write_config(base_config), "--json", "--set", "no-equals-sign")
    assert code == 2 and "expected KEY=VALUE" in _strict_loads(out)["errors"][0]["message"]


def test_invalid_config_json_carries_exit_code(cli, base_config, write_config):
    base_config["trainer"]["max_steps"] = True
    code, out, _ = cli("validate", write_config(base_config), "--json")
    report = _strict_loads(out)
    assert code == 1 and report["exit_code"] == 1 and report["errors"][0]["path"] == "trainer.max_steps"
