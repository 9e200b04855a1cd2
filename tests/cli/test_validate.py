"""``ddpm-kit validate | schema | plugins``: exit codes, messages, JSON, and no torch import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT, subprocess_env


def test_valid_config_prints_a_summary(cli, base_config, write_config):
    code, out, err = cli("validate", write_config(base_config))
    assert code == 0, err
    assert "valid" in out and "terminal alpha_bar" in out and "effective batch 16" in out


def test_invalid_config_lists_every_problem_with_positions(cli, base_config, write_config):
    base_config["model"].update(timesteps=1, parameterization="score", paramterization="v")
    path = write_config(base_config)
    code, out, err = cli("validate", path)
    assert code == 1
    assert err.count(f"{path}:") >= 3
    assert "model.timesteps" in err and "model.parameterization" in err and "did you mean 'parameterization'" in err
    assert "Traceback" not in out + err


def test_set_overrides(cli, base_config, write_config):
    path = write_config(base_config)
    code, _, err = cli("validate", path, "--set", "model.timesteps=1")
    assert code == 1 and "model.timesteps" in err
    code, out, _ = cli("validate", path, "--set", "trainer.max_steps=200", "--json")
    assert code == 0 and json.loads(out)["summary"]["max_steps"] == 200
    code, _, err = cli("validate", path, "--set", "broken")
    assert code == 2 and "KEY=VALUE" in err


def test_json_output(cli, base_config, write_config):
    base_config["model"]["linear_start"] = -1
    code, out, _ = cli("validate", write_config(base_config), "--json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False
    error = next(e for e in report["errors"] if e["path"] == "model.linear_start")
    assert error["value"] == -1 and error["line"] is not None and error["severity"] == "error"


def test_unreadable_files_exit_2(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    code, _, err = cli("validate", bad)
    assert code == 2 and "not valid YAML" in err
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(bytes(range(256)))
    code, _, err = cli("validate", binary)
    assert code == 2 and "Traceback" not in err
    code, _, err = cli("validate", tmp_path / "missing.yaml")
    assert code == 2 and "no such file" in err


def test_usage_errors_exit_2_with_the_usage_line(cli, base_config, write_config):
    path = write_config(base_config)
    for args in [("validate",), ("validate", path, "--bogus"), ("bogus-command",), ("validate", path, "--jso")]:
        code, out, err = cli(*args)
        assert code == 2, (args, out, err)
        assert "Usage: ddpm-kit" in err and "Traceback" not in out + err and "unexpected" not in err


def test_help_is_typers(cli):
    code, out, _ = cli("validate", "--help")
    assert code == 0 and "--set" in out and "--deep" in out and "--strict" in out and "--json" in out


def test_direct_validate_path_matches_the_typer_command(capsys, base_config, write_config):
    """``validate`` skips typer when its command line is well-formed; both paths give the same result."""
    import typer

    from ddpm_kit.cli import commands  # noqa: F401
    from ddpm_kit.cli.app import app
    from ddpm_kit.cli.entry import _dispatch
    from ddpm_kit.cli.validate_core import VALIDATE_OPTIONS, parse_validate_args

    command = next(c for c in typer.main.get_command(app).commands.values() if c.name == "validate")
    typer_options = {opt: p.name for p in command.params for opt in p.opts if opt.startswith("--")}
    assert typer_options == {a.flag: a.keyword for a in VALIDATE_OPTIONS if a.flag}
    assert [p.name for p in command.params] == [a.keyword for a in VALIDATE_OPTIONS]
    good, bad = write_config(base_config, "good.yaml"), write_config({**base_config, "seed": -1}, "bad.yaml")
    for args in [[str(good)], [str(bad)], [str(good), "--json"], ["--strict", str(good), "--set", "seed=3",
                 "--set", "trainer.max_steps=9"], [str(bad), "--json", "--strict"], ["--set=seed=4", str(good)]]:
        assert parse_validate_args(args) is not None, args
        direct = _dispatch(["validate", *args]), capsys.readouterr()
        through_typer = app(args=["validate", *args], prog_name="ddpm-kit", standalone_mode=False), capsys.readouterr()
        assert direct == through_typer, args
    for args in [[], ["--help"], [str(good), "-h"], [str(good), "--bogus"], [str(good), "--set"], ["a", "b"]]:
        assert parse_validate_args(args) is None, args


def test_strict_turns_warnings_into_errors(cli, base_config, write_config):
    base_config["model"].update(beta_schedule="cosine", linear_start=0.001)
    path = write_config(base_config)
    assert cli("validate", path)[0] == 0
    code, _, err = cli("validate", path, "--strict")
    assert code == 1 and "model.linear_start" in err


def test_schema_covers_every_registered_component(cli, tmp_path):
    target = tmp_path / "schema.json"
    code, _, err = cli("schema", "-o", target)
    assert code == 0, err
    schema = json.loads(target.read_text())
    text = json.dumps(schema)
    for name in ("cosine", "sqrt_linear", "unet", "lit_ema", "digits", "ddim"):
        assert f'"{name}"' in text
    assert schema["properties"]["model"]
    jsonschema = __import__("pytest").importorskip("jsonschema")
    example = yaml.safe_load((ROOT / "examples" / "digits.yaml").read_text())
    jsonschema.validate(example, schema)


def test_plugins_list_and_show(cli):
    code, out, _ = cli("plugins", "list", "schedule")
    assert code == 0 and out.splitlines()[0].split() == ["NAME", "KIND", "PROVIDER", "DESCRIPTION"]
    assert any(line.startswith("cosine") and "builtin" in line for line in out.splitlines())
    code, out, _ = cli("plugins", "show", "schedule", "cosine")
    assert code == 0 and "cosine_s" in out
    code, _, err = cli("plugins", "show", "schedul", "cosine")
    assert code == 1 and "did you mean 'schedule'" in err


def test_validate_never_imports_torch(tmp_path):
    """In a fresh interpreter, validating a built-in-only config leaves torch (and typer) unimported."""
    probe = (
        "import sys\n"
        "sys.argv = ['ddpm-kit', 'validate', sys.argv[1]]\n"
        "from ddpm_kit.cli import console\n"  # what the installed script runs
        "try:\n    console()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = [m for m in ('torch', 'pytorch_lightning', 'lightning', 'numpy', 'typer') if m in sys.modules]\n"
        "print('HEAVY', heavy, 'CODE', code)\n"
    )
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        result = subprocess.run([sys.executable, "-c", probe, str(example)], capture_output=True, text=True,
                                env=subprocess_env(), timeout=60)
        assert "HEAVY [] CODE 0" in result.stdout, (example, result.stdout, result.stderr)


@pytest.mark.parametrize("sampler, message", [
    ({"name": "plms", "steps": 27}, "upstream: IndexError"),  # T // 27 = 37 divides T - 1: last timestep T
    ({"name": "plms", "steps": 1001}, "exceeds T=1000"),
    ({"name": "plms", "steps": 15, "eta": 0.5}, "model.sampler.eta: unknown key"),
])
def test_plms_cases_where_upstream_fails_are_validation_errors(cli, write_config, base_config, sampler, message):
    base_config["model"]["sampler"] = sampler
    code, out, err = cli("validate", write_config(base_config))
    assert code == 1 and message in err and "Traceback" not in out + err


def test_plms_validates_and_reports_its_network_evaluations(cli, write_config, base_config):
    base_config["model"]["sampler"] = {"name": "plms", "steps": 15}
    code, out, err = cli("validate", write_config(base_config))
    assert code == 0, err
    assert "sampler plms (17 network evaluations)" in out  # 16 upstream steps + the warm-up's second evaluation
