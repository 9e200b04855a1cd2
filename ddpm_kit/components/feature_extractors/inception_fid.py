"""`inception_fid`: the FID Inception-v3 network with its 2048-d pool features, weights from a local file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from ddpm_kit.registry import FeatureExtractorSpec

IMPL = "ddpm_kit.components.feature_extractors.inception_fid_impl:InceptionFID"
FEATURE_DIM = 2048
#: the TensorFlow graph's softmax has 1008 outputs (1000 ImageNet classes and 8 unused)
CLASSES = 1008
#: side of the square the images are resized to
INPUT_SIZE = 299
#: the published weights whose features match pytorch-fid's (its FID_WEIGHTS_URL; the name carries the first 8 hex
#: digits of the file's sha256, torch.hub's convention)
PUBLISHED_FILE = "pt_inception-2015-12-05-6726825d.pth"
PUBLISHED_URL = f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{PUBLISHED_FILE}"
WHERE_FROM = (f"inception_fid loads its weights only from a local file: pytorch-fid's {PUBLISHED_FILE} "
              f"({PUBLISHED_URL}); download it on a machine with internet and give its path (nothing is downloaded)")

_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file, cached per (resolved path, mtime, size): a changed file is hashed again."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


class InceptionFIDSpec(FeatureExtractorSpec):
    """The FID Inception-v3 (TensorFlow's 2015-12-05 graph, as pytorch-fid ports it) for 1- or 3-channel images.

    Features: the 2048-d global average pool after Mixed_7c, the features of FID (Heusel et al. 2017). Class
    probabilities [B, 1008]: softmax(pool @ fc.weight^T), without the bias, as the original Inception Score code
    (Salimans et al. 2016) and torch-fidelity compute them. Preprocessing: images [B, C, H, W] in [-1, 1] (the
    network's own input range, so no rescaling), a grey channel repeated to RGB, then resized to 299x299 with
    ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``, exactly as pytorch-fid does.
    TensorFlow's FID code resizes differently, so numbers match pytorch-fid's, not TF's, to the resize.

    ``weights``: a local ``.pth`` state dict, loaded with ``torch.load(weights_only=True)`` and matched strictly
    (every key and shape; ``num_batches_tracked`` may be present or not). The published file is pytorch-fid's
    ``pt_inception-2015-12-05-6726825d.pth``; ddpm-kit downloads nothing. Own implementation rather than a
    package: pytorch-fid and clean-fid build on torchvision, and torch-fidelity (which torchmetrics' FID uses)
    imports torchvision when imported; none of them imports beside this project's torch build, and all download
    the weights by default. Each image is evaluated on its own (cuDNN deterministic, no TF32), so features do
    not depend on the batch. ``weights_identity`` is the file's sha256.
    """

    name: Literal["inception_fid"] = "inception_fid"
    impl: ClassVar[str] = IMPL
    weights: str | None = Field(None, min_length=1, description=f"path to the FID Inception weights "
                                                                 f"({PUBLISHED_FILE}); required")

    @field_validator("weights")
    @classmethod
    def _readable_file(cls, value: str | None) -> str:
        if value is None:  # no default file exists: say which one to bring
            raise ValueError(f"inception_fid needs weights: PATH ({{name: inception_fid, weights: PATH}}); "
                             f"{WHERE_FROM}")
        path = Path(value)
        if path.is_dir():
            raise ValueError(f"{value} is a folder, not a weights file; {WHERE_FROM}")
        if not path.is_file():
            raise ValueError(f"no such file: {value}; {WHERE_FROM}")
        if not os.access(path, os.R_OK):
            raise ValueError(f"{value} cannot be read (permissions); {WHERE_FROM}")
        return value

    def feature_dim(self) -> int:
        return FEATURE_DIM

    def num_classes(self) -> int | None:
        return CLASSES

    def check_input(self, channels: int, height: int, width: int) -> list[str]:
        if channels not in (1, 3):
            return [f"inception_fid takes 1-channel (grey, repeated to RGB) or 3-channel images, not {channels}x"
                    f"{height}x{width} images"]
        return []

    def example_input_shape(self) -> tuple[int, int, int]:
        return (3, 32, 32)

    def weights_identity(self) -> str:
        assert self.weights is not None  # the validator requires it
        return f"sha256:{file_sha256(Path(self.weights))}"
