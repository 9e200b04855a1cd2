"""One sample-quality evaluation: samples (drawn or read), their features, the reference, the metrics, the floor.

Used by ``ddpm-kit evaluate`` and by the in-loop ``SampleQuality`` callback, so both give the same numbers for the
same weights and seed: samples come from ``ddpm_kit.generation.generate`` (per-sample noise streams, so neither the
batch split nor n changes the first samples), features from the extractor in eval mode, reference features from
the run's data split (cached, keyed by the data section, the split, the extractor and its weights).

The real-vs-real floor: the same metrics for ``n`` real images that are not in the reference (the training split
against a ``val`` reference, and the other way round), so a score can be read against what real data achieves at
this n (FD and KID are biased upwards at small n).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ddpm_kit.components.data.base_impl import to_model_range
from ddpm_kit.config.evaluation import EvalConfig
from ddpm_kit.config.run import RunConfig
from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.features import FeatureSet, extract_features
from ddpm_kit.evaluation.reference import ReferenceStats, cache_key, cached_reference, load_reference
from ddpm_kit.evaluation.report import evaluate_features

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

log = logging.getLogger(__name__)

#: ``phase(what)``: a context manager giving a ``(done, total)`` progress callback for one phase (the CLI draws a bar)
Phase = Callable[[str], AbstractContextManager[Callable[[int, int], None] | None]]


def no_progress(what: str) -> AbstractContextManager[None]:
    return nullcontext()


#: samples are clamped to [-1, 1] (as when written as images); beyond this they are taken for another scaling
SAMPLE_RANGE_LIMIT = 2.0


def as_image_range(samples: Tensor, source: str) -> Tensor:
    """Samples clamped to [-1, 1], the range the reference images have (a sampler's last step may overshoot it
    slightly); values beyond +-2 are an error (another scaling, e.g. [0, 255])."""
    peak = float(samples.abs().max())
    if peak > SAMPLE_RANGE_LIMIT:
        raise EvaluationError(f"{source}: samples reach |x| = {peak:.4g}; expected images in [-1, 1] "
                              "(x / 127.5 - 1 for 0..255 pixels)")
    return samples.clamp(-1.0, 1.0)


def split_images(run: RunConfig, split: str) -> Tensor:
    """The images [N, C, H, W] of one split (``train`` or ``val``) of the run's data section."""
    splits = run.data.load_impl()(run.data)
    dataset = splits.train if split == "train" else splits.val
    if dataset is None or len(dataset) == 0:
        raise EvaluationError(f"the {run.data.name} data has no {split} split (data.val_fraction is 0?)")
    key = run.model.first_stage_key
    return to_model_range(torch.stack([torch.as_tensor(dataset[i][key]) for i in range(len(dataset))])).float()


class Evaluator:
    """The extractor and the reference features of one ``eval`` setting, prepared once, reused at every step."""

    def __init__(self, settings: EvalConfig, run: RunConfig | None, cache_dir: Path, device: torch.device,
                 phase: Phase = no_progress) -> None:
        self.settings, self.run, self.cache_dir, self.device = settings, run, cache_dir, device
        self.phase = phase
        spec = settings.extractor
        self.extractor = spec.load_impl()(spec).to(device)
        self.reference = self.features_of_reference(settings.reference)
        needs_train = "mem" in settings.metrics
        self.train = self.features_of_reference("train") if needs_train and run is not None else None
        if needs_train and self.train is None:
            raise EvaluationError("mem (memorisation) compares samples with the training images: give --config "
                                  "RUN.yaml (or a checkpoint) whose data section holds them")

    def features_of_reference(self, reference: str) -> ReferenceStats:
        spec = self.settings.extractor
        if reference not in ("train", "val"):
            return load_reference(Path(reference), spec.feature_dim())
        run = self.run
        assert run is not None
        key = cache_key(run.data.model_dump(mode="json"), reference, spec.model_dump(mode="json"),
                        spec.weights_identity())
        return cached_reference(self.cache_dir, key, lambda: self.features(split_images(run, reference),
                                                                           f"{reference} features"), spec.feature_dim())

    def features(self, images: Tensor, what: str = "features") -> FeatureSet:
        with self.phase(what) as progress:
            return extract_features(self.extractor, images, batch_size=256, device=self.device, progress=progress)

    def score_images(self, images: Tensor) -> dict[str, float]:
        """The metrics of these images [N, C, H, W] in [-1, 1]."""
        spec = self.settings.extractor
        problems = spec.check_input(*images.shape[1:]) if images.dim() == 4 else [f"{list(images.shape)}: not images"]
        if problems:
            raise EvaluationError(f"samples of shape {list(images.shape[1:])}: " + "; ".join(problems))
        features = self.features(images, "sample features")
        return evaluate_features(features.features, self.reference, self.settings.metrics,
                                 train_feats=None if self.train is None else self.train.features,
                                 seed=self.settings.seed, sample_probs=features.probs)

    def sample(self, module: DDPM) -> Tensor:
        """``n`` samples [n, C, H, W] of the module's current weights (as ``ddpm-kit sample`` draws them)."""
        from ddpm_kit.generation import generate

        spec = self.settings.sampler or module.cfg.sampler
        with self.phase("network evaluations") as progress:
            samples, _ = generate(module, self.settings.n, sampler=spec, seed=self.settings.seed,
                                  batch_size=self.settings.batch_size, progress=progress)
        return as_image_range(samples, "the model's samples")

    def score_module(self, module: DDPM) -> dict[str, float]:
        return self.score_images(self.sample(module))

    def floor(self) -> tuple[dict[str, float], int]:
        """The metrics of n real images outside the reference (a seeded random subset; fewer when the split is
        smaller)."""
        if self.run is None or self.settings.reference not in ("train", "val"):
            return {}, 0
        other = "train" if self.settings.reference == "val" else "val"
        images = split_images(self.run, other)
        # a seeded random subset: the first items of a split need not be a sample of it (digits come in writer order)
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(self.settings.seed))
        images = images[order[: self.settings.n]]
        metrics = [m for m in self.settings.metrics if m != "mem"]
        real = self.features(images, f"{other} features (floor)")
        scores = evaluate_features(real.features, self.reference, metrics, seed=self.settings.seed,
                                   sample_probs=real.probs)
        return scores, len(images)


def read_samples(path: Path) -> Tensor:
    """The ``samples`` array [N, C, H, W] of an .npz written by ``ddpm-kit sample --npz``; checked."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as archive:
            if "samples" not in archive.files:
                raise EvaluationError(f"{path}: has no 'samples' array (its arrays: {', '.join(archive.files)})")
            array = archive["samples"]
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"{path}: not a readable .npz ({exc})") from None
    if array.ndim != 4 or array.shape[0] < 2:
        raise EvaluationError(f"{path}: 'samples' has shape {list(array.shape)}; expected [N >= 2, C, H, W]")
    if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
        raise EvaluationError(f"{path}: 'samples' must be finite floats in [-1, 1] (dtype {array.dtype})")
    return as_image_range(torch.from_numpy(array.astype(np.float32)), str(path))


def evaluate_request(module: DDPM, run: RunConfig | None, settings: EvalConfig, *, samples_file: Path | None,
                     cache_dir: Path, device: torch.device, phase: Phase = no_progress) -> dict[str, Any]:
    """What ``ddpm-kit evaluate`` prints: the metrics of the samples, the real-vs-real floor, what was compared."""
    evaluator = Evaluator(settings, run, cache_dir, device, phase)
    if samples_file is not None:
        images, source, sampler = read_samples(samples_file), str(samples_file), None
    else:
        images, source = evaluator.sample(module), "checkpoint"
        sampler = (settings.sampler or module.cfg.sampler).model_dump(mode="json")
    scores = evaluator.score_images(images)
    floor, floor_n = evaluator.floor()
    return {"source": source, "n": len(images), "sampler": sampler, "seed": settings.seed,
            "extractor": settings.extractor.name, "reference": settings.reference,
            "reference_n": len(evaluator.reference.features), "metrics": scores, "floor": floor, "floor_n": floor_n}
