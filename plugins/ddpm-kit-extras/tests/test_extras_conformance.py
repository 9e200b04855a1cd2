"""Every component of the package passes ddpm-kit's conformance suite (the documented helper)."""

import pytest

from ddpm_kit.testing.conformance import check_component


@pytest.mark.parametrize("kind, name", [("schedule", "extras.laplace"), ("schedule", "extras.shifted_cosine"),
                                        ("weighting", "extras.soft_min_snr"), ("ema", "extras.posthoc_power")])
def test_conforms(kind, name):
    assert check_component(kind, name) == []
