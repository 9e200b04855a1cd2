"""The ``digits_cnn`` network (spec and provenance in ``ddpm_kit.components.feature_extractors.digits_cnn``)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from ddpm_kit.components.feature_extractors.base_impl import ExtractorError, FrozenExtractor, checked_file
from ddpm_kit.components.feature_extractors.digits_cnn import (
    CLASSES,
    FEATURE_DIM,
    WEIGHTS_FILE,
    WEIGHTS_SHA256,
    DigitsCNNSpec,
)


class DigitsNet(nn.Module):
    """conv3x3(1->32) SiLU -> conv3x3/2(32->64) SiLU -> linear(1024->64) SiLU [features] -> linear(64->10)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.features = nn.Linear(64 * 4 * 4, FEATURE_DIM)
        self.classify = nn.Linear(FEATURE_DIM, CLASSES)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x [B, 1, 8, 8] -> (features [B, 64], logits [B, 10])."""
        h = nn.functional.silu(self.conv1(x))  # [B, 32, 8, 8]
        h = nn.functional.silu(self.conv2(h))  # [B, 64, 4, 4]
        f = nn.functional.silu(self.features(h.flatten(1)))  # [B, 64]
        return f, self.classify(f)


class DigitsCNN(FrozenExtractor):
    """``impl(spec)``: the shipped, hash-checked classifier; ``forward(images) -> (features [B, 64], probs [B, 10])``.

    Each image is evaluated in a batch of its own, so a sample's features are bitwise the same whatever batch or
    chunk it arrives in (a CPU convolution rounds differently for different batch sizes)."""

    def __init__(self, spec: DigitsCNNSpec, weights: Path | None = None) -> None:
        super().__init__()
        self.net = DigitsNet()
        path = weights or checked_file(Path(__file__).parent / WEIGHTS_FILE, WEIGHTS_SHA256)
        from safetensors.torch import load_file

        state = load_file(str(path))
        missing, unexpected = set(self.net.state_dict()) - set(state), set(state) - set(self.net.state_dict())
        if missing or unexpected:
            raise ExtractorError(f"{path}: not digits_cnn weights (missing {sorted(missing)}, unexpected "
                                 f"{sorted(unexpected)})")
        self.net.load_state_dict(state)
        self.freeze()

    @torch.no_grad()
    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        if images.shape[1:] != (1, 8, 8):
            raise ValueError(f"digits_cnn takes images [B, 1, 8, 8], got {list(images.shape)}")
        outputs = [self.net(images[i: i + 1].float()) for i in range(images.shape[0])]
        features = torch.cat([f for f, _ in outputs])  # [B, 64]
        probs = torch.cat([logits for _, logits in outputs]).softmax(dim=1)  # [B, 10]
        return features, probs
