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
