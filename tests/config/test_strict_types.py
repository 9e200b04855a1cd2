"""Booleans are never numbers and numbers never booleans; YAML scalars that do not convert fail at their line."""

from __future__ import annotations

import pytest

BOOL_IN_NUMBER = [
    ("trainer", "max_steps", "yes"), ("trainer", "devices", "on"), (None, "seed", "yes"),
    ("optimizer", "weight_decay", "off"), ("data", "batch_size", "yes"), ("model", "timesteps", "true"),
]


def _config_text(base_config, section, key, word):
    """The base config as YAML with ``word`` written literally at section.key; and that key's line."""
    import yaml

    (base_config[section] if section else base_config)[key] = "@@"
    lines = yaml.safe_dump(base_config, sort_keys=False).replace("'@@'", word).splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip().startswith(f"{key}: {word}"))
    return "\n".join(lines) + "\n", line


@pytest.mark.parametrize("section, key, word", BOOL_IN_NUMBER)
def test_boolean_in_a_number_field_is_an_error(section, key, word, cli, write_config, base_config):
    text, line = _config_text(base_config, section, key, word)
    code, out, err = cli("validate", write_config(text))
    assert code == 1 and "Traceback" not in out + err
    path = f"{section}.{key}" if section else key
    message = next(m for m in err.splitlines() if f"error: {path}:" in m)
    assert "must be a number, not a boolean" in message and f".yaml:{line}:" in message


def test_boolean_from_set_is_an_error(cli, write_config, base_config):
    code, _, err = cli("validate", write_config(base_config), "--set", "trainer.max_steps=yes")
    assert code == 1
    assert "--set trainer.max_steps: error: trainer.max_steps: must be a number, not a boolean" in err


def test_number_in_a_boolean_field_is_an_error(cli, write_config, base_config):
    base_config["model"]["use_ema"] = 1
    code, _, err = cli("validate", write_config(base_config))
    assert code == 1 and "model.use_ema: must be a boolean (true or false), not a number" in err


def test_yaml_booleans_still_set_boolean_fields(cli, write_config, base_config):
    text, _ = _config_text(base_config, "model", "clip_denoised", "no")
    code, out, err = cli("validate", write_config(text), "--set", "model.use_ema=off")
    assert code == 0, err


def test_number_field_spec_rejects_a_boolean():
    from pydantic import ValidationError

    from ddpm_kit.registry import BACKBONES

    with pytest.raises(ValidationError, match="must be a number, not a boolean"):
        BACKBONES.get("mlp").model_validate({"name": "mlp", "hidden": True})


@pytest.mark.parametrize("text, fragment", [
    ("model:\n  timesteps: !!float abc\n", ":2:14: not valid YAML: cannot read 'abc' as float"),
    ("model:\n  timesteps: !!int abc\n", ":2:14: not valid YAML: cannot read 'abc' as int"),
    ("seed: !!timestamp 2020-99-99\n", ":1:7: not valid YAML: cannot read '2020-99-99' as timestamp"),
    ("seed: " + "9" * 5000 + "\n", ":1:7: not valid YAML: cannot read '99999"),
])
def test_unconvertible_scalars_are_located(text, fragment, cli, write_config):
    code, out, err = cli("validate", write_config(text))
    assert code == 2 and fragment in err, err
    assert "unexpected" not in err and "Traceback" not in out + err


def test_merge_key_override_wins():
    from ddpm_kit.config.source import parse_yaml

    source = parse_yaml("base: &b {timesteps: 10, image_size: 4}\nmodel:\n  <<: *b\n  timesteps: 20\n")
    assert source.data["model"] == {"timesteps": 20, "image_size": 4}


def test_duplicate_own_key_beside_merge_is_still_an_error():
    from ddpm_kit.config.errors import ConfigFileError
    from ddpm_kit.config.source import parse_yaml

    with pytest.raises(ConfigFileError, match=r":5:3: not valid YAML: duplicate key 'timesteps'"):
        parse_yaml("base: &b {timesteps: 10}\nmodel:\n  <<: *b\n  timesteps: 20\n  timesteps: 30\n", "f.yaml")


def test_long_plain_list_is_not_an_alias_bomb():
    from ddpm_kit.config.source import MAX_EXPANDED_NODES, parse_yaml

    count = MAX_EXPANDED_NODES + 10
    source = parse_yaml("x: [" + ",".join("1" for _ in range(count)) + "]\n")
    assert len(source.data["x"]) == count


def test_alias_expansion_still_bounded():
    from ddpm_kit.config.errors import ConfigFileError
    from ddpm_kit.config.source import parse_yaml

    text = "a: &a [" + ",".join(["1"] * 100) + "]\n" + "\n".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 100) + "]" for i in range(3))
    with pytest.raises(ConfigFileError, match="alias bomb"):
        parse_yaml(text)
