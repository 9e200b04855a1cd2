"""Metric names and their sample-count requirements: the one home of both (torch-free, numpy-free).

``fd``: Frechet distance; ``kid``: kernel inception distance; ``pr``: k-NN precision and recall;
``cs``: classifier score (Inception-Score analogue); ``mem``: memorisation score.
"""

from __future__ import annotations

from collections.abc import Iterable

from ddpm_kit.config.evaluation import METRICS, unknown_metrics
from ddpm_kit.evaluation.errors import EvaluationError

METRIC_NAMES: tuple[str, ...] = METRICS  # their one home, with the keys each reports: ddpm_kit.config.evaluation
DEFAULT_K: int = 3  # k of the k-NN precision/recall radii (Kynkaanniemi et al. 2019)


def check_metric_names(metrics: Iterable[str]) -> list[str]:
    """The requested metric names in order without repeats; an unknown name is an ``EvaluationError``
    with a did-you-mean suggestion (``difflib.get_close_matches``); an empty request is an error too."""
    out: list[str] = []
    for name in metrics:
        problems = unknown_metrics([str(name)])
        if problems:
            raise EvaluationError(problems[0])
        if name not in out:
            out.append(name)
    if not out:
        raise EvaluationError(f"No metric requested; choose from {', '.join(METRIC_NAMES)}.")
    return out


def min_samples_for(metric: str, feature_dim: int, k: int = DEFAULT_K) -> int:
    """Smallest number of samples (and of reference items) for which ``metric`` is well defined.

    ``fd``: D + 1 -- an [N, D] feature matrix has a full-rank covariance only if N > D (below, FD is
    still finite but dominated by the rank deficiency); ``pr``: k + 1 (a k-th neighbour other than the
    point itself); ``kid``, ``cs``, ``mem``: 2 (unbiased MMD^2 needs pairs i != j; a median of
    nearest-neighbour distances needs a neighbour).
    """
    check_metric_names([metric])
    if feature_dim < 1:
        raise EvaluationError(f"feature_dim must be >= 1, got {feature_dim}.")
    if metric == "fd":
        return feature_dim + 1
    if metric == "pr":
        return k + 1
    return 2
