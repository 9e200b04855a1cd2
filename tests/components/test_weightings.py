"""Torch weightings agree with the pure-Python references, including SNR = 0 and inf."""

from __future__ import annotations

import math

import pytest
import torch

from ddpm_kit.specs.weightings.min_snr import MinSNRWeighting
from ddpm_kit.specs.weightings.none import NoWeighting
from ddpm_kit.specs.weightings.p2 import P2Weighting

SNR = torch.tensor([0.0, 1e-8, 0.2, 1.0, 4.999, 5.0, 5.001, 50.0, 1e12, math.inf], dtype=torch.float64)
SPECS = [NoWeighting(), MinSNRWeighting(), MinSNRWeighting(gamma=0.5), P2Weighting(), P2Weighting(gamma=0.5, k=2.0),
         P2Weighting(gamma=2.0), P2Weighting(gamma=0.0)]


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("parameterization", ["eps", "x0", "v"])
def test_matches_reference(spec, parameterization):
    weights = spec.load_impl()(spec)(SNR, parameterization)
    assert weights.shape == SNR.shape
    expected = torch.tensor([spec.weight_reference(float(x), parameterization) for x in SNR], dtype=torch.float64)
    assert not torch.isnan(weights).any()
    torch.testing.assert_close(weights, expected, rtol=1e-12, atol=1e-300)


def test_min_snr_is_finite_everywhere():
    spec = MinSNRWeighting()
    for parameterization in ("eps", "x0", "v"):
        assert torch.isfinite(spec.load_impl()(spec)(SNR, parameterization)).all()


def test_unknown_parameterization():
    spec = MinSNRWeighting()
    with pytest.raises(ValueError, match="parameterization"):
        spec.load_impl()(spec)(SNR, "epsilon")
