"""Augmentations: seeded per (seed, step, sample), flips are flips, EDM's blits and affine map, its labels."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ddpm_kit.components.augment.base_impl import Augmentations
from ddpm_kit.components.augment.edm_impl import draw, resample, rotate
from ddpm_kit.registry import AUGMENTATIONS
from ddpm_kit.seeding import derive_seed


def spec(name: str, **params):
    return AUGMENTATIONS.get(name).model_validate({"name": name, **params})


def images(n: int = 12, h: int = 8, w: int = 12, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 3, h, w, generator=torch.Generator().manual_seed(seed))


ALL = [("hflip", {}), ("random_resized_crop", {"scale": [0.3, 0.9]}),
       ("edm_augment", {"p": 0.6, "translate_int": 1.0})]


def test_derive_seed_is_the_samplers_mix_and_separates_its_parts():
    from ddpm_kit.diffusion.sampling.common import _mix

    assert derive_seed(7, 3) == _mix(7, 3)
    seeds = {derive_seed(7, "augment", k, step, s) for k in range(2) for step in range(3) for s in range(4)}
    assert len(seeds) == 24 and all(0 <= s < 2**63 for s in seeds)


@pytest.mark.parametrize("name,params", ALL)
def test_augmented_batches_depend_on_seed_step_and_sample_alone(name, params):
    pipeline = Augmentations([spec(name, **params)], seed=5)
    x = images()
    a, cond_a = pipeline(x, 3, range(12))
    b, cond_b = pipeline(x.clone(), 3, range(12))
    assert torch.equal(a, b) and (cond_a is None or torch.equal(cond_a, cond_b))
    assert not torch.equal(a, x)  # something changed
    # sample i's result does not depend on which other samples share its batch
    part, cond_part = pipeline(x[4:9], 3, range(4, 9))
    assert torch.equal(part, a[4:9]) and (cond_a is None or torch.equal(cond_part, cond_a[4:9]))
    # another step, another seed, other sample indices: other draws
    for other in (pipeline(x, 4, range(12)), Augmentations([spec(name, **params)], seed=6)(x, 3, range(12)),
                  pipeline(x, 3, range(12, 24))):
        assert not torch.equal(other[0], a)


def test_flipped_samples_are_flips_and_the_others_are_untouched():
    x = images(n=64)
    out, cond = Augmentations([spec("hflip", p=0.5)], seed=1)(x, 0, range(64))
    assert cond is None
    flipped = [i for i in range(64) if torch.equal(out[i], x[i].flip(-1))]
    kept = [i for i in range(64) if torch.equal(out[i], x[i])]
    assert sorted(flipped + kept) == list(range(64))
    assert 16 < len(flipped) < 48  # p = 0.5
    assert torch.equal(Augmentations([spec("hflip", p=1.0)], seed=1)(x, 0, range(64))[0], x.flip(-1))
    assert torch.equal(Augmentations([spec("hflip", p=0.0)], seed=1)(x, 0, range(64))[0], x)


def test_random_resized_crop_keeps_the_size_and_is_identity_for_the_whole_box():
    x = images()
    out, _ = Augmentations([spec("random_resized_crop")], seed=2)(x, 0, range(12))
    assert out.shape == x.shape and not torch.equal(out, x)
    whole = spec("random_resized_crop", scale=[1.0, 1.0], ratio=[1.5, 1.5])  # 8 x 12 is 1.5 wide: the whole image
    assert torch.equal(Augmentations([whole], seed=2)(x, 0, range(12))[0], x)
    assert torch.equal(Augmentations([spec("random_resized_crop", p=0.0)], seed=2)(x, 0, range(12))[0], x)


def test_edm_labels_are_zero_exactly_for_untouched_samples_and_have_condition_dim_entries():
    edm = spec("edm_augment", p=0.3, rotate_int=1.0, translate_int=1.0)
    x = images(n=40, h=10, w=10)
    out, labels = Augmentations([edm], seed=3)(x, 0, range(40))
    assert labels.shape == (40, edm.condition_dim()) == (40, 13)
    untouched = (labels == 0).all(dim=1)
    assert 0 < int(untouched.sum()) < 40
    for i in range(40):
        assert torch.equal(out[i], x[i]) == bool(untouched[i]), i


def test_edm_flip_labels_say_which_flip_was_done():
    edm = spec("edm_augment", p=1.0, xflip=1.0, yflip=1.0, scale=0, rotate_frac=0, aniso=0, translate_frac=0)
    x = images(n=32)
    out, labels = Augmentations([edm], seed=4)(x, 0, range(32))
    for i in range(32):
        expected = x[i]
        if labels[i, 0] == 1:
            expected = expected.flip(-1)
        if labels[i, 1] == 1:
            expected = expected.flip(-2)
        assert torch.equal(out[i], expected)
    assert {tuple(row.tolist()) for row in labels} == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}


def test_edm_integer_translation_reflects_at_the_borders_like_reflect_padding():
    edm = spec("edm_augment", p=1.0, xflip=0, yflip=0, translate_int=1.0, translate_int_max=0.25, scale=0,
               rotate_frac=0, aniso=0, translate_frac=0)
    h, w = 8, 12
    x = images(n=6, h=h, w=w)
    out, labels = Augmentations([edm], seed=5)(x, 0, range(6))
    for i in range(6):
        tx, ty = round(float(labels[i, 0]) * w * 0.25), round(float(labels[i, 1]) * h * 0.25)
        padded = np.pad(x[i].numpy(), ((0, 0), (h, h), (w, w)), mode="reflect")
        expected = padded[:, h + ty:h + ty + h, w - tx:w - tx + w]  # out(y, x) = in(y + ty, x - tx)
        assert np.array_equal(out[i].numpy(), expected), (tx, ty)


def test_edm_affine_map_rotates_as_its_matrix_says():
    x = images(n=2, h=9, w=9)
    quarter = resample(x, torch.stack([rotate(math.pi / 2)] * 2))
    assert torch.allclose(quarter, torch.rot90(x, 1, dims=(2, 3)), atol=1e-5)
    assert torch.allclose(resample(x, torch.eye(3, dtype=torch.float64).expand(2, 3, 3)), x, atol=1e-6)


def test_edm_draws_follow_the_spec_probabilities():
    edm = spec("edm_augment", p=0.2)
    gens = [torch.Generator().manual_seed(i) for i in range(400)]
    labels = torch.tensor([draw(edm, 8, 8, g).labels for g in gens])
    assert labels.shape == (400, 9)
    assert abs(float((labels[:, 1] != 0).float().mean()) - 0.1) < 0.05  # yflip: p * 1/2 of the samples
    assert abs(float((labels[:, 2] != 0).float().mean()) - 0.2) < 0.06  # scale: p


def test_pipeline_concatenates_conditions_in_order():
    edm = spec("edm_augment", p=0.5)
    pipeline = Augmentations([spec("hflip"), edm, spec("edm_augment", p=1.0, xflip=0, yflip=0, scale=0,
                                                         rotate_frac=0, aniso=0, translate_frac=1.0)], seed=0)
    assert pipeline.condition_dim == 9 + 2
    _, cond = pipeline(images(), 0, range(12))
    assert cond.shape == (12, 11)
    with pytest.raises(ValueError, match="3 sample indices for a batch of 12"):
        pipeline(images(), 0, range(3))
