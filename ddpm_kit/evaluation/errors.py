"""The evaluation package's error type (torch-free)."""

from __future__ import annotations


class EvaluationError(ValueError):
    """Bad evaluation input (a reference file, a metric name, a sample count); the message names the file,
    key or field and what is wrong."""
