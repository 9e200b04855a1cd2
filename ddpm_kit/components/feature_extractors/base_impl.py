"""What every built-in extractor shares: frozen weights, eval mode that cannot be left, checked weight files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from torch import nn


class ExtractorError(ValueError):
    """A weights file that is missing, altered or of another network; the message names the file."""


class FrozenExtractor(nn.Module):
    """An ``nn.Module`` that stays in eval mode (``train()`` is a no-op) with ``requires_grad`` off."""

    def freeze(self) -> FrozenExtractor:
        for parameter in self.parameters():
            parameter.requires_grad_(False)
        return super().train(False)

    def train(self, mode: bool = True) -> FrozenExtractor:
        """Feature extractors are always evaluated in eval mode (dropout and norm statistics fixed)."""
        return super().train(False)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked_file(path: Path, sha256: str) -> Path:
    """``path`` when its sha256 is ``sha256``; ExtractorError otherwise (missing or altered file)."""
    if not path.is_file():
        raise ExtractorError(f"{path}: the weights file is missing (reinstall ddpm-kit)")
    actual = sha256_of(path)
    if actual != sha256:
        raise ExtractorError(f"{path}: sha256 {actual} is not the shipped {sha256}: the weights were altered or "
                             "replaced; reinstall ddpm-kit")
    return path
