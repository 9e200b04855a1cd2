"""Progress of ``ddpm-kit sample`` and ``generate``: one count per network evaluation of a batch."""

from __future__ import annotations

import re

import pytest

from ddpm_kit.generation import generate, sampler_from
from ddpm_kit.inference import load_for_sampling
from tests.test_inference import trained_checkpoints


@pytest.fixture(scope="module")
def ckpts():
    return trained_checkpoints()


def test_sample_prints_progress_over_evaluations_times_batches(cli, ckpts, tmp_path):
    code, out, err = cli("sample", ckpts.image, "--n", "8", "--batch-size", "3", "--out", tmp_path / "g.png")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("network evaluations ")]
    assert re.match(r"network evaluations 15/15 \(100%\) [\d.]+ it/s", lines[-1])  # ddim 5 steps x 3 batches
    assert "network evaluations" not in out  # stdout keeps the command's own lines


@pytest.mark.parametrize(("guidance", "batch", "total"), [(None, 8, 5), (None, 3, 15), (3.0, 5, 20)])
def test_generate_reports_every_chunk(ckpts, guidance, batch, total):
    module = load_for_sampling(ckpts.image)
    calls = []
    generate(module, 8, sampler=sampler_from(module), seed=0, batch_size=batch, guidance_scale=guidance,
             progress=lambda done, of: calls.append((done, of)))
    assert calls == [(k, total) for k in range(1, total + 1)]  # guidance doubles the batch: 16 rows / 5
