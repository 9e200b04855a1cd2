"""extras.soft_min_snr: the harmonic soft minimum, parameterization consistency, limits, the weight table."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ddpm_kit.components.weightings.base_impl import weight_table
from ddpm_kit.registry.kinds import snr_from_alpha_bar
from ddpm_kit.components.weightings.min_snr import MinSNRWeighting
from ddpm_kit_extras.weightings import SoftMinSNRWeighting

snrs = st.floats(1e-8, 1e8)


@settings(max_examples=100, deadline=None)
@given(snr=snrs, gamma=st.floats(0.1, 100.0))
def test_one_objective_in_every_parameterization(snr, gamma):
    """w_x0 = w_eps snr = w_v (snr + 1): the same x0-space loss whatever the network predicts."""
    spec = SoftMinSNRWeighting(gamma=gamma)
    x0 = spec.weight_reference(snr, "x0")
    assert spec.weight_reference(snr, "eps") * snr == pytest.approx(x0, rel=1e-12)
    assert spec.weight_reference(snr, "v") * (snr + 1.0) == pytest.approx(x0, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(snr=snrs, gamma=st.floats(0.1, 100.0))
def test_soft_min_lies_between_half_the_min_and_the_min(snr, gamma):
    soft = SoftMinSNRWeighting(gamma=gamma).weight_reference(snr, "x0")
    hard = MinSNRWeighting(gamma=gamma).weight_reference(snr, "x0")
    assert hard / 2 * (1 - 1e-12) <= soft <= hard


def test_limits():
    spec = SoftMinSNRWeighting(gamma=4.0)
    assert [spec.weight_reference(0.0, p) for p in ("x0", "eps", "v")] == [0.0, 1.0, 0.0]
    assert [spec.weight_reference(math.inf, p) for p in ("x0", "eps", "v")] == [4.0, 0.0, 0.0]
    assert spec.weight_reference(4.0, "x0") == 2.0  # half of gamma where snr = gamma


@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
def test_a_models_weight_table_is_the_formula(parameterization):
    spec = SoftMinSNRWeighting(gamma=5.0)
    alphas_cumprod = torch.tensor([1.0, 0.9, 0.5, 1e-3, 0.0])  # SNR inf, 9, 1, ~1e-3, 0
    table = weight_table(spec, alphas_cumprod, parameterization)
    expected = [spec.weight_reference(snr_from_alpha_bar(a), parameterization) for a in alphas_cumprod.tolist()]
    assert table.tolist() == expected
