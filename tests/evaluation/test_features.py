"""Feature extraction: batch-size/chunking independence, float64 accumulation, progress and input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from ddpm_kit.evaluation.features import FeatureSet, extract_features
from ddpm_kit.evaluation.metrics import feature_stats, frechet_distance


class RowwiseExtractor(nn.Module):
    """Stand-in extractor whose rows depend on their own image only: per-image pooled statistics (D = 3C)
    and a softmax over them (K = 3C)."""

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        features = torch.cat([images.mean((2, 3)), images.amax((2, 3)), (images ** 2).mean((2, 3))], dim=1)
        return features.float(), features.softmax(dim=1)


class LinearExtractor(nn.Module):
    """Stand-in with a learned projection (matmul blocking may round differently per batch size)."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(2 * 6 * 6, 5)

    def forward(self, images: Tensor) -> tuple[Tensor, None]:
        return torch.tanh(self.proj(images.flatten(1))), None


def images(n: int = 50, seed: int = 0) -> Tensor:
    return torch.rand((n, 2, 6, 6), generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_features_are_float64_and_bitwise_independent_of_batching():
    x = images()
    extractor = RowwiseExtractor()
    whole = extract_features(extractor, x, batch_size=64)
    assert whole.features.dtype == np.float64 and whole.features.shape == (50, 6) and whole.probs.shape == (50, 6)
    for got in (extract_features(extractor, x, batch_size=1), extract_features(extractor, x, batch_size=7),
                extract_features(extractor, iter([x[:13], x[13:14], x[14:]]), batch_size=5)):
        assert np.array_equal(got.features, whole.features) and np.array_equal(got.probs, whole.probs)


def test_fd_independent_of_batching():
    x, ref = images(80, 1), feature_stats(extract_features(RowwiseExtractor(), images(80, 2)).features)
    fds = [frechet_distance(feature_stats(extract_features(RowwiseExtractor(), x, batch_size=b).features), ref)
           for b in (1, 3, 16, 80)]
    assert max(fds) - min(fds) < 1e-10


def test_linear_extractor_differs_only_by_its_own_float32_rounding():
    # a matmul may round differently for B = 1 than for B > 1 (float32, the extractor's own output): the
    # accumulated float64 features then differ at float32 rounding level, never more
    torch.manual_seed(0)
    extractor = LinearExtractor()
    x = images(80, 1)
    ref = extract_features(extractor, x, batch_size=80).features
    for b in (1, 3, 16):
        np.testing.assert_allclose(extract_features(extractor, x, batch_size=b).features, ref, rtol=0, atol=1e-6)
    assert extract_features(extractor, x).probs is None


def test_progress_reports_done_and_total():
    calls: list[tuple[int, int]] = []
    extract_features(RowwiseExtractor(), images(10), batch_size=4, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(4, 10), (8, 10), (10, 10)]
    calls.clear()
    extract_features(RowwiseExtractor(), iter([images(3), images(2)]), batch_size=4,
                     progress=lambda d, t: calls.append((d, t)))
    assert calls == [(3, 0), (5, 0)]


@pytest.mark.parametrize("bad, match", [
    (torch.zeros(2, 6, 6), r"\[N, C, H, W\]"),
    (torch.full((2, 1, 4, 4), float("nan")), "NaN or inf"),
    (torch.full((2, 1, 4, 4), 200.0), r"\[-1, 1\].*0, 255"),
    (torch.full((2, 1, 4, 4), -1.5), r"\[-1, 1\]"),
    (torch.zeros(2, 1, 4, 4, dtype=torch.uint8), "floating-point"),
    (torch.zeros(0, 1, 4, 4), "empty"),
])
def test_bad_images_raise_clear_value_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        extract_features(RowwiseExtractor(), bad)


def test_a_bad_batch_in_an_iterator_is_named():
    with pytest.raises(ValueError, match=r"batch 1"):
        extract_features(RowwiseExtractor(), iter([images(2), images(2) * 3]))


def test_extractor_output_contract_is_checked():
    class Wrong(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            return x.flatten(1)

    with pytest.raises(ValueError, match=r"must return \(features"):
        extract_features(Wrong(), images(2))
    assert isinstance(extract_features(RowwiseExtractor(), images(2)), FeatureSet)
