"""digits_cnn: shipped weights checked by hash, held-out accuracy >= 97%, eval mode kept, batch-independent."""

from __future__ import annotations

import shutil

import pytest
import torch

from ddpm_kit.components.feature_extractors.base_impl import ExtractorError, checked_file, sha256_of
from ddpm_kit.components.feature_extractors.train_digits_cnn_impl import digits, held_out_split
from ddpm_kit.registry import FEATURE_EXTRACTORS
from ddpm_kit.components.feature_extractors import digits_cnn as spec_module


@pytest.fixture(scope="module")
def extractor():
    spec = FEATURE_EXTRACTORS.get("digits_cnn")()
    return spec.load_impl()(spec)


def test_held_out_accuracy_is_at_least_97_percent_and_as_recorded(extractor):
    images, labels = digits()
    _, test_idx = held_out_split(labels)
    _, probs = extractor(images[test_idx])
    accuracy = float((probs.argmax(1) == labels[test_idx]).float().mean())
    assert accuracy >= 0.97
    assert accuracy == pytest.approx(spec_module.HELD_OUT_ACCURACY, abs=5e-5)


def test_shapes_and_probabilities(extractor):
    images, _ = digits()
    features, probs = extractor(images[:5])
    assert features.shape == (5, 64) and probs.shape == (5, 10)
    assert torch.allclose(probs.sum(1), torch.ones(5), atol=1e-6)


def test_stays_in_eval_mode_and_frozen(extractor):
    extractor.train()
    assert not extractor.training and not any(m.training for m in extractor.modules())
    assert not any(p.requires_grad for p in extractor.parameters())


def test_features_do_not_depend_on_the_batch(extractor):
    images, _ = digits()
    whole, _ = extractor(images[:64])
    pieces = torch.cat([extractor(images[i: min(i + 7, 64)])[0] for i in range(0, 64, 7)])
    assert torch.equal(whole, pieces)
    assert torch.equal(extractor(images[:64])[0], whole)  # deterministic


def test_an_altered_weights_file_is_refused(tmp_path):
    shipped = spec_module.WEIGHTS_FILE
    from ddpm_kit.components.feature_extractors import digits_cnn

    source = __import__("pathlib").Path(digits_cnn.__file__).parent / shipped
    copy = tmp_path / "w.safetensors"
    shutil.copy(source, copy)
    assert checked_file(copy, spec_module.WEIGHTS_SHA256) == copy
    data = bytearray(copy.read_bytes())
    data[-1] ^= 1
    copy.write_bytes(bytes(data))
    with pytest.raises(ExtractorError, match="sha256"):
        checked_file(copy, spec_module.WEIGHTS_SHA256)
    assert sha256_of(source) == spec_module.WEIGHTS_SHA256


def test_other_image_shapes_are_refused_by_the_spec():
    spec = FEATURE_EXTRACTORS.get("digits_cnn")()
    assert spec.check_input(1, 8, 8) == []
    assert "3x16x16" in spec.check_input(3, 16, 16)[0]
