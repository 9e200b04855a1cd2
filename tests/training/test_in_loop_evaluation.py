"""In-loop sample-quality evaluation: logged at every eval step, the best checkpoint by val/fd_ema is the lowest
logged FD, and `ddpm-kit evaluate` of a checkpoint gives the numbers the loop logged for the same weights."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import torch

from ddpm_kit.training.run import train
from tests.training.test_train import digits_config, run_config

EVAL = {"every_n_steps": 3, "n": 80, "sampler": {"name": "ddim", "steps": 4}, "metrics": ["fd", "kid", "pr", "mem"],
        "extractor": "digits_cnn", "reference": "val", "seed": 5}


def eval_run(tmp_path, max_steps=9, **changes):
    data = digits_config(max_steps=max_steps)
    data["data"]["val_fraction"] = 0.5
    data["model"]["monitor"] = "val/fd_ema"
    data["eval"] = {**EVAL, **changes}
    data["output"].update({"checkpoint_every_n_steps": 3, "save_top_k": 1, "image_every_n_steps": 0})
    data["trainer"].update({"val_check_interval": None, "check_val_every_n_epoch": None, "limit_val_batches": 0})
    return run_config(data)


def logged(metrics_csv, key):
    with open(metrics_csv) as handle:
        return {int(row["step"]): float(row[key]) for row in csv.DictReader(handle) if row.get(key)}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "run"
    config = eval_run(out)
    result = train(config, out)
    return config, result, out


def test_scores_logged_at_every_evaluation_step(trained):
    _, result, out = trained
    fd = logged(result.metrics_csv, "val/fd_ema")
    assert sorted(fd) == [3, 6, 9] and all(v > 0 for v in fd.values())
    for key in ("val/kid_ema", "val/precision_ema", "val/recall_ema", "val/mem_ema"):
        assert len(logged(result.metrics_csv, key)) == 3


def test_best_checkpoint_has_the_lowest_logged_fd(trained):
    _, result, _ = trained
    fd = logged(result.metrics_csv, "val/fd_ema")
    best = torch.load(result.best_checkpoint, map_location="cpu", weights_only=True)
    assert sorted(fd) == [3, 6, 9]
    assert best["global_step"] == min(fd, key=fd.get)
    state = next(v for k, v in best["callbacks"].items() if "'monitor': 'val/fd_ema'" in k)
    assert float(state["best_model_score"]) == pytest.approx(min(fd.values()), rel=1e-6)


def test_evaluate_cli_reproduces_the_in_loop_numbers(trained):
    _, result, out = trained
    command = [sys.executable, "-m", "ddpm_kit.cli", "evaluate", str(result.last_checkpoint), "--json",
               "--cache-dir", str(out / "cache")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    final = max(logged(result.metrics_csv, "val/fd_ema"))
    for key in ("fd", "kid", "precision", "recall", "mem"):
        assert abs(printed["metrics"][key] - logged(result.metrics_csv, f"val/{key}_ema")[final]) < 1e-6, key
    assert printed["n"] == EVAL["n"] and printed["floor"]["fd"] > 0


def test_summary_json_holds_json_types_and_relative_paths(trained):
    _, result, out = trained
    summary = json.loads((out / "summary.json").read_text())
    assert summary["global_step"] == 9 and isinstance(summary["seconds"], float)
    assert summary["last_checkpoint"] == "checkpoints/last.ckpt" and summary["resumed_from"] is None
    assert summary["best_checkpoint"].startswith("checkpoints/best-") and summary["metrics_csv"] == "logs/metrics.csv"
    assert (out / summary["best_checkpoint"]).is_file()


@pytest.mark.slow
def test_300_step_default_run_keeps_the_checkpoint_with_the_lowest_fd(tmp_path):
    """The built-in default (default-size UNet) for 300 steps from the CLI, evaluated every 100 steps, monitored by
    val/fd_ema: the best checkpoint is the step with the lowest logged FD, and `evaluate` of it gives that FD."""
    out = tmp_path / "run"
    sets = ["trainer.max_steps=300", "model.scheduler_config.total_steps=300", "model.monitor=val/fd_ema",
            "eval.every_n_steps=100", "eval.n=300", "eval.sampler.name=ddim", "eval.sampler.steps=20",
            "eval.metrics=[fd,kid,pr]", "output.checkpoint_every_n_steps=100", "output.image_every_n_steps=0",
            "data.val_fraction=0.5", "trainer.check_val_every_n_epoch=1000"]
    command = [sys.executable, "-m", "ddpm_kit.cli", "train", "--out", str(out)]
    for item in sets:
        command += ["--set", item]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    fd = logged(out / "logs" / "metrics.csv", "val/fd_ema")
    assert sorted(fd) == [100, 200, 300]
    summary = json.loads((out / "summary.json").read_text())
    best = torch.load(out / summary["best_checkpoint"], map_location="cpu", weights_only=True)
    assert best["global_step"] == min(fd, key=fd.get)
    assert fd[300] < fd[100]  # the scores follow training
    command = [sys.executable, "-m", "ddpm_kit.cli", "evaluate", str(out / summary["best_checkpoint"]), "--json",
               "--cache-dir", str(out / "cache")]
    printed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert printed.returncode == 0, printed.stderr
    assert abs(json.loads(printed.stdout)["metrics"]["fd"] - min(fd.values())) < 1e-6
