"""Every example config validates, and so does the built-in default."""

from __future__ import annotations

import pytest

from ddpm_kit.config import validate_file
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml")) + [ROOT / "ddpm_kit" / "presets" / "digits.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_validates(path):
    report = validate_file(path)
    assert report.ok, [i.format() for i in report.issues]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_resolved_config_round_trips(path):
    """The fully resolved config (what checkpoints and config.yaml store) validates to the same config."""
    from ddpm_kit.config.source import Source
    from ddpm_kit.config import validate_source

    config = validate_file(path).raise_for_errors()
    again = validate_source(Source(config.model_dump(mode="json"), "resolved")).raise_for_errors()
    assert again.model_dump() == config.model_dump()
