"""YAML reading: safe loading, positions, YAML-1.2 floats, duplicate keys, bombs and binary files."""

from __future__ import annotations

import pytest

from ddpm_kit.config.errors import ConfigFileError
from ddpm_kit.config.source import parse_yaml, read_yaml


def test_scientific_notation_without_dot_is_a_float():
    data = parse_yaml("a: 1e-4\nb: 2.0e-2\nc: 1_000\nd: .5\ne: '1e-4'").data
    assert data == {"a": 1e-4, "b": 2e-2, "c": 1000, "d": 0.5, "e": "1e-4"}
    assert isinstance(data["a"], float)


def test_positions_are_one_based_line_and_column():
    source = parse_yaml("model:\n  timesteps: 10\n  ignore_keys:\n    - a\n    - b\n")
    assert source.positions[("model",)] == (1, 1)
    assert source.positions[("model", "timesteps")] == (2, 3)
    assert source.positions[("model", "ignore_keys", 1)] == (5, 7)
    assert source.position(("model", "timesteps", "deeper")) == (2, 3)
    assert source.position(("nowhere",)) == (None, None)


def test_duplicate_key_is_an_error_with_both_lines():
    with pytest.raises(ConfigFileError, match=r"duplicate key 'timesteps'.*|first defined at line 2"):
        parse_yaml("model:\n  timesteps: 10\n  timesteps: 20\n", "f.yaml")


@pytest.mark.parametrize("text", [
    "a: !!python/object/apply:os.system ['echo hacked']",
    "a: !!python/name:os.system",
    "a: [1, 2\n",
    "a: b: c",
])
def test_unsafe_or_broken_yaml_is_a_file_error(text):
    with pytest.raises(ConfigFileError, match="not valid YAML"):
        parse_yaml(text, "bad.yaml")


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(ConfigFileError, match="alias bomb"):
        parse_yaml("\n".join(lines), "bomb.yaml")


def test_ordinary_anchors_are_fine():
    data = parse_yaml("base: &b {x: 1}\nother: *b\nmerged: {<<: *b, y: 2}").data
    assert data["other"] == {"x": 1} and data["merged"] == {"x": 1, "y": 2}


def test_read_yaml_file_errors(tmp_path):
    with pytest.raises(ConfigFileError, match="no such file"):
        read_yaml(tmp_path / "missing.yaml")
    with pytest.raises(ConfigFileError, match="is a directory"):
        read_yaml(tmp_path)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\x01\x02model:")
    with pytest.raises(ConfigFileError, match="binary"):
        read_yaml(binary)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("a: caf\xe9".encode("latin-1"))
    with pytest.raises(ConfigFileError, match="UTF-8"):
        read_yaml(latin)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ConfigFileError, match="top level must be a mapping"):
        read_yaml(listing)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    assert read_yaml(empty).data == {}
