"""The template plugin's tests: the spec validates, and the component passes ddpm-kit's conformance suite."""

import pytest
from pydantic import ValidationError

template = pytest.importorskip("ddpm_kit_template", reason="the template plugin is not installed")

from ddpm_kit_template.specs import ConstantBetaSchedule  # noqa: E402

from ddpm_kit.testing.conformance import check_component  # noqa: E402


def test_alpha_bar_is_a_power():
    alpha_bar = ConstantBetaSchedule(beta=0.1).reference_alphas_cumprod(3)
    assert alpha_bar == pytest.approx([0.9, 0.81, 0.729], rel=1e-12)


def test_out_of_range_beta_is_refused():
    with pytest.raises(ValidationError, match="beta"):
        ConstantBetaSchedule(beta=0.9)


def test_conforms():
    assert check_component("schedule", "template.constant_beta") == []
