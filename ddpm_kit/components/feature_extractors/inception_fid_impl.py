"""The ``inception_fid`` extractor (spec, preprocessing and provenance in ``inception_fid``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor
from torch.nn import functional as F

from ddpm_kit.components.feature_extractors.base_impl import ExtractorError, FrozenExtractor
from ddpm_kit.components.feature_extractors.inception_blocks_impl import FIDInceptionV3
from ddpm_kit.components.feature_extractors.inception_fid import CLASSES, INPUT_SIZE, PUBLISHED_FILE, InceptionFIDSpec

#: BatchNorm's step counter: unused in eval mode, present in some saved state dicts and not in others
OPTIONAL_SUFFIX = ".num_batches_tracked"
SHOWN = 4


def _few(keys: list[str]) -> str:
    return ", ".join(keys[:SHOWN]) + (f" (and {len(keys) - SHOWN} more)" if len(keys) > SHOWN else "")


def state_dict_problems(state: Mapping[str, object], expected: Mapping[str, Tensor]) -> list[str]:
    """Missing, unexpected and mis-shaped keys of ``state`` against ``expected`` (the network's own state dict),
    a few of each named; ``*.num_batches_tracked`` may be missing or present."""
    wanted = {k for k in expected if not k.endswith(OPTIONAL_SUFFIX)}
    missing = sorted(wanted - set(state))
    unexpected = sorted(k for k in set(state) - set(expected))
    not_tensors = sorted(k for k in set(state) & wanted if not isinstance(state[k], Tensor))
    shapes = sorted(f"{k} {list(state[k].shape)} (expected {list(expected[k].shape)})"  # type: ignore[union-attr]
                    for k in set(state) & wanted - set(not_tensors) if state[k].shape != expected[k].shape)
    problems = []
    for what, keys in (("missing keys", missing), ("unexpected keys", unexpected), ("not tensors", not_tensors),
                       ("wrong shapes", shapes)):
        if keys:
            problems.append(f"{len(keys)} {what}: {_few(keys)}")
    return problems


def load_weights(path: Path, net: FIDInceptionV3) -> None:
    """Load ``path`` (a state dict saved by ``torch.save``) into ``net``, every key and shape matched;
    ExtractorError naming the file and a few keys otherwise."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a file that is not a torch save
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ExtractorError(f"{path}: not a PyTorch weights file that loads with weights_only=True "
                             f"({type(exc).__name__}: {detail[:200]}); "
                             f"inception_fid expects pytorch-fid's {PUBLISHED_FILE}") from None
    if not isinstance(state, Mapping):
        raise ExtractorError(f"{path}: holds a {type(state).__name__}, not a state dict; inception_fid expects "
                             f"pytorch-fid's {PUBLISHED_FILE}")
    problems = state_dict_problems(state, net.state_dict())
    if problems:
        raise ExtractorError(f"{path}: not the FID Inception weights ({'; '.join(problems)}); inception_fid "
                             f"expects pytorch-fid's {PUBLISHED_FILE}")
    floats = {k: v for k, v in state.items() if not k.endswith(OPTIONAL_SUFFIX)}
    if any(not v.is_floating_point() or not torch.isfinite(v).all() for v in floats.values()):
        raise ExtractorError(f"{path}: some weights are not finite floating-point numbers")
    net.load_state_dict(floats, strict=False)


def to_network_input(images: Tensor) -> Tensor:
    """[B, 1 or 3, H, W] in [-1, 1] -> [B, 3, 299, 299] float32: grey repeated to RGB, then bilinear resize
    (align_corners=False, pytorch-fid's). The network's input range is [-1, 1] already."""
    x = images.float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)


class InceptionFID(FrozenExtractor):
    """``impl(spec)``: ``forward(images [B, C, H, W] in [-1, 1]) -> (features [B, 2048], probs [B, 1008])``.

    Each image is evaluated in a batch of its own, with cuDNN deterministic and TF32 off, so a sample's features
    are the same bits whatever batch it arrives in, and a GPU's agree with a CPU's to float32 rounding."""

    def __init__(self, spec: InceptionFIDSpec) -> None:
        super().__init__()
        self.net = FIDInceptionV3(num_classes=CLASSES)
        load_weights(Path(str(spec.weights)), self.net)
        self.freeze()

    @torch.no_grad()
    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        if images.dim() != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"inception_fid takes images [B, 1 or 3, H, W], got {list(images.shape)}")
        with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True, allow_tf32=False):
            outputs = [self._one(images[i: i + 1]) for i in range(images.shape[0])]
        return torch.cat([f for f, _ in outputs]), torch.cat([p for _, p in outputs])

    def _one(self, image: Tensor) -> tuple[Tensor, Tensor]:
        """One image [1, C, H, W] -> (features [1, 2048], probs [1, 1008]); the logits pool @ fc.weight^T have no
        bias, as the Inception Score's."""
        features = self.net(to_network_input(image))
        return features, (features @ self.net.fc.weight.T).softmax(dim=1)
