"""The ``eval`` section: sample-quality evaluation during training (and the defaults of ``ddpm-kit evaluate``).

Torch-free. The metric names and the keys each one logs live here, once; ``ddpm_kit.evaluation`` computes them.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, field_validator

from ddpm_kit.config.errors import Issues
from ddpm_kit.config.model import StrictModel
from ddpm_kit.registry import FEATURE_EXTRACTORS, SAMPLERS, Component, FeatureExtractorSpec, SamplerSpec

if TYPE_CHECKING:
    from ddpm_kit.config.run import RunConfig

#: metric name -> the keys it reports (logged as ``val/<key>_ema`` in training)
METRIC_KEYS: dict[str, tuple[str, ...]] = {
    "fd": ("fd",),                        # Frechet distance of the feature Gaussians (Heusel et al. 2017)
    "kid": ("kid", "kid_std"),            # kernel inception distance (Binkowski et al. 2018), mean and std
    "pr": ("precision", "recall"),        # k-NN precision and recall (Kynkaanniemi et al. 2019)
    "cs": ("cs",),                        # classifier score (the Inception Score analogue), extractors with classes
    "mem": ("mem",),                      # memorisation: share of samples much closer to a training image
}
METRICS = tuple(METRIC_KEYS)
#: keys where a larger value is better (a checkpoint monitor on them keeps the largest)
HIGHER_IS_BETTER = ("precision", "recall", "cs")
#: the named reference splits (anything else is a path to an .npz of features)
REFERENCE_SPLITS = ("train", "val")


def unknown_metrics(names: list[str]) -> list[str]:
    """One message per unknown metric name, with a did-you-mean."""
    problems = []
    for name in names:
        if name not in METRIC_KEYS:
            close = difflib.get_close_matches(name, METRICS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"unknown metric {name!r}{hint} (known: {', '.join(METRICS)})")
    return problems


def parse_metrics(text: str) -> list[str]:
    """``"fd,kid,pr"`` -> ["fd", "kid", "pr"] (the CLI form)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def logged_keys(metrics: list[str]) -> list[str]:
    """Keys logged in training for these metrics: ``val/fd_ema``, ``val/precision_ema``, ..."""
    return [f"val/{key}_ema" for name in metrics for key in METRIC_KEYS[name]]


def monitor_mode(monitor: str) -> str:
    """``max`` for a logged key where larger is better (``val/precision_ema``), else ``min``."""
    key = monitor.removeprefix("val/").removesuffix("_ema")
    return "max" if key in HIGHER_IS_BETTER else "min"


class EvalConfig(StrictModel):
    """Sample-quality evaluation every N optimizer steps with the EMA weights (rank 0), logged as ``val/<metric>_ema``.

    Samples use per-sample seeded noise streams (as ``ddpm-kit sample``), so the same step's EMA weights and seed give
    the numbers ``ddpm-kit evaluate`` prints for that checkpoint.
    """

    every_n_steps: int = Field(ge=1, description="evaluate every N optimizer steps (and not at step 0)")
    n: int = Field(1000, ge=2, le=1_000_000, description="number of samples per evaluation")
    sampler: Annotated[SamplerSpec, Component(SAMPLERS)] | None = Field(
        None, description="sampler of the evaluation samples (default: model.sampler)")
    metrics: list[str] = Field(default_factory=lambda: ["fd", "kid", "pr"], min_length=1,
                               description=f"metrics to compute: {', '.join(METRICS)}")
    extractor: Annotated[FeatureExtractorSpec, Component(FEATURE_EXTRACTORS)] = Field(
        "digits_cnn", description="feature extractor the metrics are computed on")
    reference: str = Field("val", min_length=1, description="reference images: train, val (the data section's "
                                                            "splits) or a path to an .npz of features")
    seed: int = Field(0, ge=0, lt=2**63, description="seed of the evaluation samples")
    batch_size: int | None = Field(None, ge=1, description="network batch while sampling (default: n)")

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        problems = unknown_metrics(value)
        if problems:
            raise ValueError("; ".join(problems))
        if len(set(value)) != len(value):
            raise ValueError(f"metrics repeat a name: {value}")
        return value


def check_sampler(sampler: SamplerSpec, parameterization: str, timesteps: int, issues: Issues, path: str) -> None:
    """A sampler against the model it samples: its parameterizations and its own check at this T."""
    if parameterization not in sampler.parameterizations:
        issues.error(path, f"{sampler.name!r} does not support parameterization {parameterization!r}",
                     hint=f"it supports {', '.join(sampler.parameterizations)}")
    for problem in sampler.check(timesteps):
        issues.error(path, problem)


def check_eval(run: RunConfig, timesteps: int, issues: Issues) -> None:
    """The ``eval`` section against the model and data: extractor vs image shape, n vs feature dimension,
    a reference split that exists, metrics the extractor can compute."""
    settings = run.eval
    if settings is None:
        return
    extractor = settings.extractor
    if settings.sampler is not None:
        check_sampler(settings.sampler, run.model.parameterization, timesteps, issues, "eval.sampler")
    if run.model.unet_config.data_dims() != 3:
        issues.error("eval", "sample-quality evaluation needs image data; this backbone makes vectors")
        return
    channels, size = run.model.channels, run.model.image_size
    for problem in extractor.check_input(channels, size, size):
        issues.error("eval.extractor", problem, value=extractor.name)
    check_sample_count(settings.n, settings.metrics, extractor, issues, "eval.n")
    if "cs" in settings.metrics and extractor.num_classes() is None:
        issues.error("eval.metrics", f"cs (classifier score) needs class probabilities; {extractor.name!r} has none")
    reference = settings.reference
    if reference == "val" and getattr(run.data, "val_fraction", 0.0) == 0.0:
        issues.error("eval.reference", f"the {run.data.name} data has no validation split (val_fraction is 0)",
                     value=reference, hint="set data.val_fraction > 0, or reference: train or an .npz file")
    elif reference not in REFERENCE_SPLITS and not reference.endswith(".npz"):
        issues.error("eval.reference", "is neither train, val nor an .npz file", value=reference)
    elif reference.endswith(".npz") and not Path(reference).is_file():
        issues.error("eval.reference", "no such file", value=reference)


def check_sample_count(n: int, metrics: list[str], extractor: FeatureExtractorSpec, issues: Issues,
                       path: str) -> None:
    """FD needs more samples than feature dimensions (a full-rank covariance); every metric needs n >= 2."""
    dim = extractor.feature_dim()
    if "fd" in metrics and n <= dim:
        issues.error(path, f"is at most the {extractor.name} feature dimension {dim}: the sample covariance of FD is "
                     "singular", value=n, hint=f"use n > {dim} (FD is biased upwards for small n: compare runs at "
                                               "the same n)")
