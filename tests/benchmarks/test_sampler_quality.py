"""``benchmarks/sampler_quality``: step counts within an evaluation budget, the table and the best row."""

from __future__ import annotations

import pytest

from benchmarks import sampler_quality as sq
from ddpm_kit.config import ConfigError
from ddpm_kit.generation import sampler_from
from ddpm_kit.inference import load_for_sampling
from tests.test_inference import trained_checkpoints


@pytest.fixture(scope="module")
def module():
    return load_for_sampling(trained_checkpoints().image)


@pytest.mark.parametrize("name, spacing, budget, steps", [
    ("ddim", "uniform", 20, 20), ("heun", "karras", 5, 3), ("heun", "karras", 20, 10),
    ("dpmpp_2s_ancestral", "trailing", 10, 5), ("unipc", "karras", 10, 10)])
def test_the_most_steps_within_the_budget(module, name, spacing, budget, steps):
    spec = sq.spec_for(module, name, spacing, budget)
    assert spec.steps == steps and spec.num_steps(module.num_timesteps) <= budget
    try:
        bigger = sampler_from(module, name, steps=steps + 1, spacing=spacing).num_steps(module.num_timesteps)
    except ConfigError:  # more steps than T
        bigger = None
    assert bigger is None or bigger > budget  # one more step would not fit


def test_plms_budget_counts_its_warm_up(module):
    spec = sq.spec_for(module, "plms", None, 10)
    assert spec.num_steps(module.num_timesteps) <= 10 and spec.num_steps(module.num_timesteps) > spec.steps - 1


def test_table_and_best_within():
    rows = [{"sampler": "ddim", "spacing": "trailing", "budget": b, "steps": b, "nfe": b, "fd": 100 / b}
            for b in (5, 10, 20, 50)]
    rows += [{"sampler": "euler", "spacing": "karras", "budget": 20, "steps": 20, "nfe": 20, "fd": 2.0},
             {"sampler": "ddpm", "spacing": "", "budget": None, "steps": 1000, "nfe": 1000, "fd": 1.5},
             {"sampler": "real-vs-real floor", "spacing": "", "budget": None, "fd": 0.5}]
    best = sq.best_within(rows, 20)
    assert (best["sampler"], best["fd"]) == ("euler", 2.0)
    assert sq.best_within(rows, 10)["fd"] == 10.0
    lines = sq.table(rows, (5, 10, 20, 50))
    assert "| ddim | trailing | 20.00 (5) | 10.00 (10) | 5.00 (20) | 2.00 (50) |" in lines
    assert "| euler | karras | - | - | 2.00 (20) | - |" in lines
    assert any(line.startswith("| ddpm | all T steps | 1.50") for line in lines)


def test_plot_writes_a_png(tmp_path):
    from PIL import Image

    rows = [{"sampler": s, "spacing": sp, "budget": b, "steps": b, "nfe": b, "fd": 10.0 / b}
            for s, sp in (("ddim", "trailing"), ("euler", "karras"), ("heun", "trailing")) for b in (5, 20)]
    rows += [{"sampler": "ddpm", "spacing": "", "budget": None, "nfe": 1000, "fd": 0.4},
             {"sampler": "real-vs-real floor", "spacing": "", "budget": None, "fd": 0.2}]
    sq.plot(rows, tmp_path / "plot.png")
    assert Image.open(tmp_path / "plot.png").size == (3 * 480, 420)
