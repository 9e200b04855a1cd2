"""Per-step time of a ddpm-kit training step (Lightning Trainer + DDPM) against a hand-written PyTorch loop
with the same backbone, data, math (q_sample, target, loss, AdamW) and EMA, measured in the same run.

Target: <= 1.05x. Run: ``python -m benchmarks.train_overhead [--steps N] [--config examples/digits.yaml]
[--device cuda] [--precision bf16-mixed]``. Both sides run on the same device at the same precision (the hand
loop autocasts to bfloat16 as Lightning's ``bf16-mixed`` does). ``--full-run`` also times the whole default
``ddpm-kit train`` (validation, grids and checkpoints included).

A second line reports the cost of in-loop sample-quality evaluation (the run config's ``eval`` section:
n samples with the preset's sampler, digits_cnn features, FD/KID/precision/recall): seconds per evaluation
inside the Trainer against the same evaluation run on its own (``ddpm_kit.evaluation.quality.Evaluator``,
what ``ddpm-kit evaluate`` does) in the same run, and what it adds to a run that evaluates every
``--eval-every`` steps.
"""

from __future__ import annotations

import os

# Passive OpenMP waiting for both sides: spinning threads on a shared 2-core machine distort the ratio.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "ddpm_kit" / "presets" / "digits.yaml"
TARGET = 1.05
PRECISIONS = ("32-true", "bf16-mixed")


def _device_overrides(device: str) -> list[str]:
    """Lightning's accelerator and devices for a torch device string (cpu, cuda, cuda:1)."""
    kind, _, index = device.partition(":")
    if kind == "cpu":
        return ["trainer.accelerator=cpu", "trainer.devices=1"]
    if kind != "cuda":
        raise ValueError(f"unsupported device {device!r}: use cpu or cuda[:N]")
    return ["trainer.accelerator=gpu", f"trainer.devices=[{index or 0}]"]


def _config(path: Path, steps: int, device: str = "cpu", precision: str = "32-true") -> Any:
    from ddpm_kit.config import validate_file

    return validate_file(path, [f"trainer.max_steps={steps}", "trainer.enable_progress_bar=false",
                                "output.image_every_n_steps=0", "trainer.limit_val_batches=0",
                                f"output.checkpoint_every_n_steps={steps + 1}", f"trainer.precision={precision}",
                                *_device_overrides(device)]).raise_for_errors()


def lightning_step_times(run: Any, warmup: int) -> list[float]:
    """Wall time of each training step inside ddpm-kit's Trainer (batch start to batch start)."""
    import pytorch_lightning as pl

    from ddpm_kit.training.run import train

    class Clock(pl.Callback):
        def __init__(self) -> None:
            self.stamps: list[float] = []

        def on_train_batch_start(self, *args: Any) -> None:
            self.stamps.append(time.perf_counter())

    clock = Clock()
    with tempfile.TemporaryDirectory() as out:
        train(run, Path(out), callbacks=[clock])
    gaps = [b - a for a, b in zip(clock.stamps, clock.stamps[1:])]
    return gaps[warmup:]


def manual_step_times(run: Any, warmup: int, device: str = "cpu") -> list[float]:
    """The same work in a plain loop: data, t and noise, q_sample, network, target, loss, AdamW, EMA (on
    ``device``, under bfloat16 autocast when the run's precision is ``bf16-mixed``)."""
    import contextlib

    import torch

    from ddpm_kit.components.schedules.base_impl import make_betas
    from ddpm_kit.diffusion.buffers import register_schedule
    from ddpm_kit.diffusion.forward import q_sample
    from ddpm_kit.diffusion.parameterization import training_target
    from ddpm_kit.training.data import train_loader

    dev = torch.device(device)
    bf16 = run.trainer.precision == "bf16-mixed"

    def autocast() -> Any:
        return torch.autocast(dev.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

    torch.manual_seed(run.seed)
    model_cfg = run.model
    network = model_cfg.unet_config.load_impl()(model_cfg.unet_config).to(dev)
    ema = model_cfg.ema[0].load_impl()(model_cfg.ema[0], network, batch_size=run.data.batch_size).to(dev)
    schedule = register_schedule(make_betas(model_cfg.beta_schedule, model_cfg.timesteps), v_posterior=0.0,
                                 parameterization=model_cfg.parameterization)
    buffers = {name: value.to(dev) for name, value in schedule.buffers.items()}
    optimizer = torch.optim.AdamW(network.parameters(), lr=run.learning_rate(), weight_decay=0.01)
    splits = run.data.load_impl()(run.data)
    loader = train_loader(splits.train, run.data.batch_size, 0, run.seed)
    stamps: list[float] = []
    step = 0
    while step < run.trainer.max_steps:
        for batch in loader:
            stamps.append(time.perf_counter())
            x0 = batch[model_cfg.first_stage_key].to(dev).float()
            t = torch.randint(0, model_cfg.timesteps, (x0.shape[0],), device=dev)
            noise = torch.randn_like(x0)
            with autocast():
                output = network(q_sample(x0, t, noise, buffers), t)
                target = training_target(model_cfg.parameterization, x0, noise, t, buffers)
                loss = (output.float() - target).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            ema.update(step, network)
            if step >= run.trainer.max_steps:
                break
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    return gaps[warmup:]


def in_loop_eval_seconds(run: Any, every: int, n: int, evals: int = 3) -> tuple[float, float, Any]:
    """(seconds per in-loop evaluation, median seconds of the other training steps, the trained module): a run of
    ``evals * every`` steps with an ``eval`` section evaluating every ``every`` steps."""
    import pytorch_lightning as pl

    from ddpm_kit.config import RunConfig
    from ddpm_kit.training.evaluation import SampleQuality
    from ddpm_kit.training.run import train

    document = run.model_dump(mode="json")
    document["trainer"]["max_steps"] = evals * every
    document["output"]["checkpoint_every_n_steps"] = evals * every + 1
    document["data"]["val_fraction"] = document["data"].get("val_fraction") or 0.1
    document["eval"] = {"every_n_steps": every, "n": n, "metrics": ["fd", "kid", "pr"], "seed": 0}
    config = RunConfig.model_validate(document)

    class Probe(pl.Callback):
        def __init__(self) -> None:
            self.stamps: list[float] = []
            self.quality: SampleQuality | None = None
            self.module: Any = None

        def on_train_batch_start(self, trainer: Any, module: Any, *args: Any) -> None:
            self.stamps.append(time.perf_counter())

        def on_train_end(self, trainer: Any, module: Any) -> None:
            self.quality = next(c for c in trainer.callbacks if isinstance(c, SampleQuality))
            self.module = module

    probe = Probe()
    with tempfile.TemporaryDirectory() as out:
        train(config, Path(out), callbacks=[probe])
    assert probe.quality is not None
    gaps = [b - a for a, b in zip(probe.stamps, probe.stamps[1:])]
    evaluated = {every * k - 1 for k in range(1, evals + 1)}  # the gap after step every * k holds its evaluation
    plain = [gap for index, gap in enumerate(gaps) if index not in evaluated][min(5, every):]
    return probe.quality.seconds / evals, statistics.median(plain), (probe.module, config)


def standalone_eval_seconds(module: Any, config: Any, repeats: int = 2) -> float:
    """Seconds of the same evaluation outside the Trainer (extractor and reference prepared once, as in the loop)."""
    from ddpm_kit.evaluation.quality import Evaluator

    with tempfile.TemporaryDirectory() as cache:
        evaluator = Evaluator(config.eval, config, Path(cache), module.device)
        module.eval()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            with module.ema_scope("evaluation"):
                evaluator.score_module(module)
            times.append(time.perf_counter() - start)
    return min(times)


def eval_rows(run: Any, every: int, n: int, eval_every: int) -> list[dict]:
    per_eval, step_s, (module, config) = in_loop_eval_seconds(run, every, n)
    alone = standalone_eval_seconds(module, config)
    sampler = config.model.sampler
    share = per_eval / (per_eval + eval_every * step_s)
    return [{"benchmark": "train_overhead",
             "measure": f"s/evaluation in the loop vs alone (n={n}, {sampler.name} {sampler.num_steps(1000)})",
             "ours_s": per_eval, "baseline_s": alone, "ratio": per_eval / alone, "target": None,
             "step_s": step_s, "steps_per_eval": per_eval / step_s,
             "share_of_training": share, "eval_every": eval_every}]


def full_run_seconds() -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ddpm_kit.cli", "train", "--out", out], check=True, cwd=ROOT,
                       capture_output=True)
        return time.perf_counter() - start


def run(quick: bool = False, steps: int | None = None, config: Path = DEFAULT, full: bool = False,
        device: str = "cpu", precision: str = "32-true", eval_n: int | None = None,
        eval_every: int = 500) -> list[dict]:
    import torch

    torch.set_num_threads(2)
    steps = steps or (30 if quick else 120)
    warmup = min(10, steps // 3)
    cfg = _config(config, steps, device, precision)
    manual_a = manual_step_times(cfg, warmup, device)
    ours = lightning_step_times(cfg, warmup)
    manual_b = manual_step_times(cfg, warmup, device)  # before and after, so drift in machine load shows in both
    baseline = statistics.median(manual_a + manual_b)
    ours_median = statistics.median(ours)
    where = "" if (device, precision) == ("cpu", "32-true") else f", {device} {precision}"
    rows = [{"benchmark": "train_overhead",
             "measure": f"s/step ddpm-kit Trainer vs hand loop ({config.name}{where})",
             "ours_s": ours_median, "baseline_s": baseline, "ratio": ours_median / baseline, "target": TARGET}]
    rows += eval_rows(cfg, every=10, n=eval_n or (128 if quick else 500), eval_every=eval_every)
    if full:
        rows.append({"benchmark": "train_overhead", "measure": "wall time of the default `ddpm-kit train`",
                     "ours_s": full_run_seconds(), "baseline_s": 600.0, "ratio": None, "target": None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--config", type=Path, default=DEFAULT)
    parser.add_argument("--full-run", action="store_true", help="also time the whole default `ddpm-kit train`")
    parser.add_argument("--device", default="cpu", help="torch device of both sides (cpu, cuda, cuda:1, ...)")
    parser.add_argument("--precision", default="32-true", choices=PRECISIONS,
                        help="Lightning precision of both sides (the hand loop autocasts for bf16-mixed)")
    parser.add_argument("--eval-n", type=int, default=None, help="samples per in-loop evaluation (default 500)")
    parser.add_argument("--eval-every", type=int, default=500,
                        help="eval.every_n_steps the reported share of training time assumes")
    args = parser.parse_args()
    for row in run(steps=args.steps, config=args.config, full=args.full_run, device=args.device,
                   precision=args.precision, eval_n=args.eval_n, eval_every=args.eval_every):
        ratio = f"ratio {row['ratio']:.3f}" + (f" (target <= {row['target']})" if row["target"] else "") \
            if row["ratio"] is not None else f"(budget {row['baseline_s']:.0f} s)"
        print(f"{row['measure']}: ours {row['ours_s']:.4f} s, baseline {row['baseline_s']:.4f} s, {ratio}")
        if "share_of_training" in row:
            print(f"  one evaluation = {row['steps_per_eval']:.0f} training steps ({row['step_s']:.4f} s/step); "
                  f"evaluating every {row['eval_every']} steps adds {100 * row['share_of_training']:.1f}% "
                  "to the training time")


if __name__ == "__main__":
    main()
