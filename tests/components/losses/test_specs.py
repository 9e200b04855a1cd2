"""Loss and weighting specs: registration, fields and the pure-Python weights (torch-free)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from ddpm_kit.registry import LOSSES, WEIGHTINGS
from ddpm_kit.components.losses.huber import HuberLoss
from ddpm_kit.components.weightings.min_snr import MinSNRWeighting
from ddpm_kit.components.weightings.none import NoWeighting
from ddpm_kit.components.weightings.p2 import P2Weighting

SNRS = (0.0, 1e-6, 0.3, 1.0, 5.0, 7.5, 1e3, 1e9)


def test_registered():
    assert {"l1", "l2", "huber"} <= set(LOSSES.names())
    assert {"none", "min_snr", "p2"} <= set(WEIGHTINGS.names())
    for registry in (LOSSES, WEIGHTINGS):
        for name in registry.names():
            cls = registry.get(name)
            assert cls.summary() and "Source" in cls.__doc__
            assert all(info.description for field, info in cls.model_fields.items() if field != "name")


def test_fields():
    assert HuberLoss().delta == 1.0
    with pytest.raises(ValidationError):
        HuberLoss(delta=0.0)
    assert MinSNRWeighting().gamma == 5.0
    with pytest.raises(ValidationError):
        MinSNRWeighting(gamma=-1.0)
    with pytest.raises(ValidationError):
        P2Weighting(k=0.0)


def _eps_equivalent(weight: float, snr: float, parameterization: str) -> float:
    """The weight on |eps - eps_hat|^2 that a weight on this parameterization's loss amounts to."""
    if parameterization == "eps":
        return weight
    if parameterization == "x0":
        return weight / snr  # |x0 err|^2 = |eps err|^2 / snr
    return weight * (snr + 1) / snr  # |v err|^2 = |eps err|^2 (snr + 1) / snr


@pytest.mark.parametrize("spec", [NoWeighting(), MinSNRWeighting(), MinSNRWeighting(gamma=1.0), P2Weighting(),
                                  P2Weighting(gamma=0.5, k=2.0)], ids=repr)
def test_finite_and_consistent_across_parameterizations(spec):
    for snr in SNRS:
        values = {p: spec.weight_reference(snr, p) for p in ("eps", "x0", "v")}
        assert all(math.isfinite(v) and v >= 0 for v in values.values()), (snr, values)
        if snr > 0 and not isinstance(spec, NoWeighting):
            eps = values["eps"]
            assert _eps_equivalent(values["x0"], snr, "x0") == pytest.approx(eps, rel=1e-12)
            assert _eps_equivalent(values["v"], snr, "v") == pytest.approx(eps, rel=1e-12)


def test_min_snr_values_and_limits():
    spec = MinSNRWeighting(gamma=5.0)
    assert spec.weight_reference(10.0, "eps") == 0.5
    assert spec.weight_reference(2.0, "eps") == 1.0
    assert spec.weight_reference(10.0, "x0") == 5.0
    assert spec.weight_reference(10.0, "v") == pytest.approx(5 / 11)
    assert spec.weight_reference(0.0, "eps") == 1.0 and spec.weight_reference(0.0, "x0") == 0.0
    assert spec.weight_reference(0.0, "v") == 0.0
    assert spec.weight_reference(math.inf, "eps") == 0.0 and spec.weight_reference(math.inf, "x0") == 5.0
    assert spec.weight_reference(math.inf, "v") == 0.0
    with pytest.raises(ValueError):
        spec.weight_reference(-1.0, "eps")
    with pytest.raises(ValueError):
        spec.weight_reference(1.0, "score")


def test_p2_values_and_limits():
    spec = P2Weighting(gamma=1.0, k=1.0)
    assert spec.weight_reference(3.0, "eps") == 0.25
    assert spec.weight_reference(3.0, "x0") == 0.75
    assert spec.weight_reference(3.0, "v") == pytest.approx(3 / 4 / 4)
    assert spec.weight_reference(0.0, "eps") == 1.0 and spec.weight_reference(0.0, "x0") == 0.0
    assert spec.weight_reference(math.inf, "eps") == 0.0 and spec.weight_reference(math.inf, "x0") == 1.0
    assert P2Weighting(gamma=0.5).weight_reference(math.inf, "x0") == math.inf  # documented divergence
    assert P2Weighting(gamma=0.0).weight_reference(7.0, "eps") == 1.0
