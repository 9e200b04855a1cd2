"""Augmentation specs: registered names, EDM's label layout and probabilities, field ranges."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ddpm_kit.registry import AUGMENTATIONS, RegistryError
from ddpm_kit.components.augment.edm import EDMAugmentSpec


def test_the_built_ins_are_registered_through_entry_points():
    assert {"hflip", "random_resized_crop", "edm_augment"} <= set(AUGMENTATIONS.names())
    with pytest.raises(RegistryError, match="did you mean 'edm_augment'"):
        AUGMENTATIONS.get("edm_augmnt")


def test_edm_condition_dim_counts_the_enabled_transforms_in_edms_layout():
    assert EDMAugmentSpec().condition_dim() == 9  # EDM CIFAR-10: xflip, yflip, scale, rotate_frac, aniso, translate
    assert EDMAugmentSpec(rotate_int=1, translate_int=1).condition_dim() == 13
    only_flip = EDMAugmentSpec(yflip=0, scale=0, rotate_frac=0, aniso=0, translate_frac=0)
    assert only_flip.enabled() == ["xflip"] and only_flip.condition_dim() == 1


def test_edm_probabilities_are_multiplier_times_p_capped_at_one():
    spec = EDMAugmentSpec(p=0.12)
    assert spec.probability("xflip") == 1.0 and spec.probability("scale") == pytest.approx(0.12)
    assert EDMAugmentSpec(p=0.5, aniso=0.5).probability("aniso") == 0.25


@pytest.mark.parametrize("params", [{"p": -0.1}, {"p": 1.01}, {"scale_std": -1}, {"rotate_frac_max": 2},
                                    {"xflip": True}])
def test_out_of_range_edm_fields_are_refused(params):
    with pytest.raises(ValidationError):
        EDMAugmentSpec(**params)
