"""The ``eval`` section: sample-quality evaluation during training (and the defaults of ``ddpm-kit evaluate``).

Torch-free. The metric names and the keys each one logs live here, once; ``ddpm_kit.evaluation`` computes them.
"""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import Field, field_validator

from ddpm_kit.config.model import StrictModel
from ddpm_kit.registry import FEATURE_EXTRACTORS, SAMPLERS, Component, FeatureExtractorSpec, SamplerSpec

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
