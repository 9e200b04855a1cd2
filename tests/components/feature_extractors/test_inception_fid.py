"""inception_fid: strict loading of a weights file the test makes, the published key table, 2048-d features,
grey -> RGB, eval mode kept, batch independence, the file's hash as weights identity, a missing file refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

from ddpm_kit.components.feature_extractors.base_impl import ExtractorError
from ddpm_kit.components.feature_extractors.inception_blocks_impl import FIDInceptionV3
from ddpm_kit.components.feature_extractors.inception_fid_impl import (
    InceptionFID, state_dict_problems, to_network_input,
)
from ddpm_kit.registry import FEATURE_EXTRACTORS
from ddpm_kit.testing.inception import random_inception_state
from ddpm_kit.components.feature_extractors.inception_fid import PUBLISHED_FILE

KEY_TABLE = Path(__file__).parents[2] / "data" / "misc" / "inception_fid_state_dict.json"




def spec_of(path: Path):
    return FEATURE_EXTRACTORS.get("inception_fid")(weights=str(path))


@pytest.fixture(scope="module")
def state():
    return random_inception_state()


@pytest.fixture(scope="module")
def weights(tmp_path_factory, state):
    path = tmp_path_factory.mktemp("inception") / "random_inception.pth"
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def extractor(weights):
    spec = spec_of(weights)
    return spec.load_impl()(spec)


@pytest.fixture(scope="module")
def images():
    """Two RGB 16x16 images and a grey one repeated to RGB, in [-1, 1]."""
    rgb = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    grey = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(2)) * 2 - 1
    return rgb, grey


@pytest.fixture(scope="module")
def outputs(extractor, images):
    rgb, grey = images
    return extractor(torch.cat([rgb, grey.repeat(1, 3, 1, 1)]))


def test_the_network_has_exactly_the_published_keys_and_shapes():
    table = json.loads(KEY_TABLE.read_text())["keys"]
    mine = {k: list(v.shape) for k, v in FIDInceptionV3().state_dict().items()}
    assert mine == table
    assert table["fc.weight"] == [1008, 2048] and table["Mixed_7c.branch_pool.conv.weight"] == [192, 2048, 1, 1]


def test_loads_the_file_strictly_and_gives_2048_features_and_1008_probabilities(extractor, state, outputs):
    loaded = extractor.net.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    features, probs = outputs
    assert features.shape == (3, 2048) and features.dtype == torch.float32
    assert probs.shape == (3, 1008) and torch.allclose(probs.sum(1), torch.ones(3), atol=1e-5)
    assert (features >= 0).all() and features.std(0).mean() > 0  # a mean of ReLUs, varying between images
    logits = features @ state["fc.weight"].T  # the Inception Score's logits: no bias
    assert torch.allclose(probs, logits.softmax(1), atol=1e-7)


def test_features_do_not_depend_on_the_batch_and_repeat_bitwise(extractor, images, outputs):
    rgb, grey = images
    batch = torch.cat([rgb, grey.repeat(1, 3, 1, 1)])
    pieces = torch.cat([extractor(batch[:1])[0], extractor(batch[1:])[0]])
    assert torch.equal(pieces, outputs[0])


def test_a_grey_image_is_its_repeat_to_rgb(extractor, images, outputs):
    _, grey = images
    features, probs = extractor(grey)
    assert torch.equal(features[0], outputs[0][2]) and torch.equal(probs[0], outputs[1][2])


def test_preprocessing_is_torch_bilinear_without_aligned_corners():
    image = torch.rand(1, 1, 8, 8) * 2 - 1
    x = to_network_input(image)
    expected = torch.nn.functional.interpolate(image.repeat(1, 3, 1, 1), size=(299, 299), mode="bilinear",
                                               align_corners=False)
    assert x.shape == (1, 3, 299, 299) and torch.equal(x, expected)
    same = torch.rand(1, 3, 299, 299)
    assert torch.equal(to_network_input(same), same)  # already 299x299: unchanged


def test_stays_in_eval_mode_and_frozen(extractor):
    extractor.train()
    assert not extractor.training and not any(m.training for m in extractor.modules())
    assert not any(p.requires_grad for p in extractor.parameters())


def test_a_file_without_batch_norm_counters_loads(tmp_path, state, extractor):
    path = tmp_path / "no_counters.pth"
    torch.save({k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}, path)
    other, loaded = InceptionFID(spec_of(path)).net.state_dict(), extractor.net.state_dict()
    assert all(torch.equal(other[k], loaded[k]) for k in state)


@pytest.mark.parametrize("change, needles", [
    (lambda s: s.pop("Mixed_6b.branch7x7_2.conv.weight"), ["1 missing keys", "Mixed_6b.branch7x7_2.conv.weight"]),
    (lambda s: s.update({"AuxLogits.fc.weight": torch.zeros(1000, 768)}), ["1 unexpected keys", "AuxLogits.fc"]),
    (lambda s: s.update({"fc.weight": torch.zeros(1000, 2048), "fc.bias": torch.zeros(1000)}),
     ["2 wrong shapes", "fc.weight [1000, 2048] (expected [1008, 2048])"]),
    (lambda s: [s.pop(k) for k in [k for k in s if k.startswith("Mixed_7c")]], ["missing keys", "and", "more"]),
    (lambda s: s.update({"fc.bias": [0.0] * 1008}), ["1 not tensors: fc.bias"]),
])
def test_the_state_dict_check_names_missing_extra_and_mis_shaped_keys(state, change, needles):
    altered = dict(state)
    change(altered)
    message = "; ".join(state_dict_problems(altered, FIDInceptionV3().state_dict()))
    assert all(n in message for n in needles), message
    assert state_dict_problems(state, state) == []


@pytest.mark.parametrize("change, needles", [
    (lambda s: s.pop("Mixed_6b.branch7x7_2.conv.weight"), ["1 missing keys", "Mixed_6b.branch7x7_2.conv.weight"]),
    (lambda s: s.update({"fc.bias": torch.full((1008,), float("nan"))}), ["not finite"]),
])
def test_a_file_of_another_network_is_a_clear_error(tmp_path, state, change, needles):
    altered = dict(state)
    change(altered)
    path = tmp_path / "other.pth"
    torch.save(altered, path)
    with pytest.raises(ExtractorError) as error:
        InceptionFID(spec_of(path))
    message = str(error.value)
    assert str(path) in message and all(n in message for n in needles), message


@pytest.mark.parametrize("content", [b"not a torch file", None])
def test_a_file_that_is_no_state_dict_is_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.pth"
    if content is None:
        torch.save([torch.zeros(2)], path)
    else:
        path.write_bytes(content)
    with pytest.raises(ExtractorError, match=PUBLISHED_FILE) as error:
        InceptionFID(spec_of(path))
    assert str(path) in str(error.value)


def test_a_missing_file_or_a_folder_is_a_validation_error_saying_where_the_file_comes_from(tmp_path):
    for path in (tmp_path / "missing.pth", tmp_path):
        with pytest.raises(ValidationError) as error:
            spec_of(path)
        message = str(error.value)
        assert str(path) in message and PUBLISHED_FILE in message and "github.com/mseitzer/pytorch-fid" in message
    with pytest.raises(ValidationError):
        FEATURE_EXTRACTORS.get("inception_fid")()  # no default file exists


def test_weights_identity_is_the_file_hash_and_follows_changes(tmp_path, weights):
    import hashlib
    import os

    path = tmp_path / "w.pth"
    path.write_bytes(b"first")
    spec = spec_of(path)
    assert spec.weights_identity() == "sha256:" + hashlib.sha256(b"first").hexdigest()
    path.write_bytes(b"second!")
    os.utime(path, ns=(1, 1))
    assert spec.weights_identity() == "sha256:" + hashlib.sha256(b"second!").hexdigest()
    assert spec_of(weights).weights_identity() == "sha256:" + hashlib.sha256(weights.read_bytes()).hexdigest()


def test_the_spec_takes_grey_and_rgb_images_of_any_size_and_refuses_other_channels(weights):
    spec = spec_of(weights)
    assert spec.check_input(1, 8, 8) == [] and spec.check_input(3, 256, 256) == []
    assert "4x32x32" in spec.check_input(4, 32, 32)[0] and spec.check_input(2, 32, 32)
    assert spec.feature_dim() == 2048 and spec.num_classes() == 1008

# The conformance suite (``ddpm-kit plugins check inception_fid``) runs on seeded random weights written by its
# example fixture, in tests/plugins/test_conformance.py::test_every_installed_component_conforms.
