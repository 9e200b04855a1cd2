"""Metric names and sample-count requirements: torch-free, did-you-mean errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ddpm_kit.evaluation.errors import EvaluationError
from ddpm_kit.evaluation.names import METRIC_NAMES, check_metric_names, min_samples_for
from tests.conftest import subprocess_env


def test_names_module_imports_nothing_heavy():
    code = ("import sys, ddpm_kit.evaluation.names, ddpm_kit.evaluation.errors\n"
            "heavy = [m for m in ('torch', 'numpy', 'lightning') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, env=subprocess_env())


def test_check_metric_names_orders_dedupes_and_suggests():
    assert METRIC_NAMES == ("fd", "kid", "pr", "cs", "mem")
    assert check_metric_names(["kid", "fd", "kid"]) == ["kid", "fd"]
    with pytest.raises(EvaluationError, match=r"unknown metric 'kdi'; did you mean 'kid'\?"):
        check_metric_names(["fd", "kdi"])
    with pytest.raises(EvaluationError, match=r"known: fd, kid, pr, cs, mem"):
        check_metric_names(["zzzzzz"])
    with pytest.raises(EvaluationError, match="No metric"):
        check_metric_names([])


def test_min_samples_for():
    assert min_samples_for("fd", 64) == 65
    assert min_samples_for("pr", 64) == 4 and min_samples_for("pr", 64, k=5) == 6
    assert min_samples_for("kid", 64) == min_samples_for("cs", 64) == min_samples_for("mem", 64) == 2
    with pytest.raises(EvaluationError, match="did you mean 'fd'"):
        min_samples_for("fid", 64)
