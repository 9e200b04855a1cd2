"""Rules of the ``eval`` section against the model and the data (run by ``check_run`` and ``ddpm-kit evaluate``)."""

from __future__ import annotations

from pathlib import Path

from ddpm_kit.config.errors import Issues
from ddpm_kit.config.evaluation import REFERENCE_SPLITS
from ddpm_kit.config.run import RunConfig
from ddpm_kit.registry import FeatureExtractorSpec, SamplerSpec
from ddpm_kit.registry.sizes import as_hw


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
    needs = sorted(key for key in run.model.condition_keys.used() if key != "labels") if run.model.conditioning_key \
        else []
    if needs:
        issues.error("eval", f"sample-quality evaluation draws samples without conditions (class labels at most), but "
                     f"this model is conditioned on its {', '.join(needs)} input (conditioning_key "
                     f"{run.model.conditioning_key!r})", hint="draw samples with ddpm-kit sample --cond FILE.npz --npz "
                     "OUT.npz and score them with ddpm-kit evaluate --samples OUT.npz --config RUN.yaml")
    channels, (height, width) = run.model.channels, as_hw(run.model.image_size)
    for problem in extractor.check_input(channels, height, width):
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
