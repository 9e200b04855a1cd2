"""Seeded random weights for the ``inception_fid`` extractor: the published file cannot be shipped or downloaded,
so tests, the conformance suite and ``benchmarks/inception_fid_check`` run the network on these."""

from __future__ import annotations

from pathlib import Path

import torch

from ddpm_kit.components.feature_extractors.inception_blocks_impl import FIDInceptionV3


def random_inception_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A random FID Inception state dict with non-trivial batch-norm statistics (so every layer matters)."""
    torch.manual_seed(seed)
    net = FIDInceptionV3()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
    return net.state_dict()


def write_random_inception(path: Path, seed: int = 0) -> Path:
    """``random_inception_state(seed)`` saved with ``torch.save`` at ``path`` (what ``weights:`` takes)."""
    torch.save(random_inception_state(seed), path)
    return path
