"""Sample quality of ``ddpm-kit train``'s built-in default next to lucidrains' setup, on a protocol that
cannot reward copying the training data.

Run: ``python -m benchmarks.digits_quality [--quick] [--seeds 0 1 2] [--n N] [--results FILE.json]``
(about 30 minutes per training seed on 2 CPU cores, 2 threads, N = 500; ``--quick``: one seed, a 1-minute
budget, N = 256, about 8 minutes). Results are appended per seed to ``--results`` (a JSON list of rows), so
seeds may be run one at a time; ``--table FILE.json`` prints the table of stored results.

Protocol:

1. The digits are split once, seeded (``data.val_fraction: 0.5, data.split_seed: 0``): both contestants train
   on the training half (899 images) and never see the other half (898), which is the reference.
2. Scores come from ``ddpm_kit.evaluation`` (what ``ddpm-kit evaluate`` prints) with the ``digits_cnn``
   extractor: FD (Fréchet distance), KID, k-NN precision/recall and the memorisation score ``mem`` (share
   of samples much closer to a training image than real images are to each other). The real-vs-real
   floor is the same metrics for N images of the training half against the reference, at the same N: a
   generator that copied its training set would score the floor, and ``mem`` would show it.
3. For each training seed (``seed`` of the run; the baseline's ``torch.manual_seed``): ``ddpm-kit train``
   with the default preset runs as a subprocess; the CPU seconds of that whole process (start-up, validation,
   checkpoints, sample grids included; user + system, both threads) are the time budget. lucidrains' setup
   (``digits_quality_baseline``) trains on the same half in the same run; its EMA model is taken when its
   training has used the same CPU seconds (equal time) and when it has made as many optimizer steps as
   ddpm-kit (equal steps). Time is counted in CPU seconds, not wall seconds, so that other load on the
   machine cannot favour either side; on an idle machine with 2 threads it is about twice the wall time.
4. Every model is sampled with its EMA weights, N samples, sample seed 0: ancestral 1000 steps and each
   deterministic sampler (ddpm-kit: DDIM 50, DPM-Solver++(2M) 20, PLMS 50; the baseline: its DDIM 50).
5. Each figure of the table is the mean and standard deviation over the training seeds.
"""

from __future__ import annotations

import os

# Passive OpenMP waiting, for both contestants: with the default (spinning) policy, 2 torch threads on a
# 2-core machine that other processes also use run ~30x slower than 1 thread (measured: 12 s vs 0.2 s per
# step); read when torch loads, so it is set before the import below (and passed to the subprocess).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import torch  # noqa: E402
from torch import Tensor  # noqa: E402

from benchmarks.digits_quality_report import format_table, summary_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "ddpm_kit" / "presets" / "digits.yaml"
BUDGET_MINUTES = 10.0  # what the default must fit on 2 CPU cores
THREADS = 2
SEEDS, N_SAMPLES = (0, 1, 2), 500
QUICK_SEEDS, QUICK_MINUTES, QUICK_SAMPLES = (0,), 1.0, 256
#: the split both contestants share: they train on the "train" half; the "val" half is the reference
SPLIT = ["data.val_fraction=0.5", "data.split_seed=0"]
METRICS = ["fd", "kid", "pr", "mem"]
SAMPLE_SEED = 0
#: ddpm-kit samplers scored: (label, registry name, parameters)
OURS_SAMPLERS = [("ancestral 1000", "ddpm", {}), ("DDIM 50", "ddim", {"steps": 50, "eta": 0.0}),
                 ("DPM++(2M) 20", "dpmpp_2m", {"steps": 20}), ("PLMS 50", "plms", {"steps": 50})]
BASELINE_SAMPLERS = ["ancestral 1000", "DDIM 50"]
log = logging.getLogger("benchmarks.digits_quality")


# ----------------------------------------------------------------------------------------- ddpm-kit
def step_overrides(config: Path, factor: float) -> list[str]:
    """``--set`` overrides that scale the step-counted settings of ``config`` by ``factor`` (max_steps,
    the LR schedule's warmup/total steps, half-life EMAs in updates, the grid interval)."""
    from ddpm_kit.config import load_config

    if factor == 1.0:
        return []
    run = load_config(config)
    scaled = lambda value: max(1, round(value * factor))  # noqa: E731
    out = [f"trainer.max_steps={scaled(run.trainer.max_steps)}"]
    schedule = run.model.scheduler_config
    for name in ("warmup_steps", "total_steps"):
        if schedule is not None and getattr(schedule, name, None):
            out.append(f"model.scheduler_config.{name}={scaled(getattr(schedule, name))}")
    for index, ema in enumerate(run.model.ema):
        if getattr(ema, "half_life_updates", None):
            out.append(f"model.ema.{index}.half_life_updates={ema.half_life_updates * factor}")
    if run.output.image_every_n_steps:
        out.append(f"output.image_every_n_steps={scaled(run.output.image_every_n_steps)}")
    return out


def protocol_overrides(seed: int, minutes: float) -> list[str]:
    """The shared split, the training seed and the budget's step scaling, as ``--set`` overrides."""
    return [*SPLIT, f"seed={seed}", *step_overrides(PRESET, minutes / BUDGET_MINUTES)]


def child_cpu_seconds() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def train_default(out_dir: Path, overrides: list[str]) -> tuple[Path, float, float]:
    """``ddpm-kit train --out out_dir --set ...`` (the built-in default) in a subprocess on 2 threads:
    (last.ckpt, wall s, CPU s)."""
    command = [sys.executable, "-m", "ddpm_kit.cli", "train", "--out", str(out_dir)]
    for override in overrides:
        command += ["--set", override]
    env = {**os.environ, "OMP_NUM_THREADS": str(THREADS), "MKL_NUM_THREADS": str(THREADS),
           "OMP_WAIT_POLICY": os.environ["OMP_WAIT_POLICY"]}
    log.info("running %s", " ".join(command))
    start, cpu_start = time.perf_counter(), child_cpu_seconds()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, child_cpu_seconds() - cpu_start
    if done.returncode != 0:
        raise RuntimeError(f"ddpm-kit train failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return out_dir / "checkpoints" / "last.ckpt", seconds, cpu


def sample_ours(checkpoint: Path, name: str, params: dict[str, Any], n: int) -> tuple[Tensor, float]:
    """n samples [n, 1, 8, 8] of the checkpoint's EMA weights with sampler ``name``: (samples, wall s)."""
    from ddpm_kit.generation import generate, sampler_from
    from ddpm_kit.inference import load_for_sampling

    module = load_for_sampling(checkpoint)
    spec = sampler_from(module, name, **params)
    start = time.perf_counter()
    samples, _ = generate(module, n, sampler=spec, seed=SAMPLE_SEED)
    return samples, time.perf_counter() - start


# ----------------------------------------------------------------------------------------- scoring
def make_evaluator(run: Any, n: int, cache_dir: Path) -> Any:
    """The evaluation ``ddpm-kit evaluate --reference val --metrics fd,kid,pr,mem`` runs, for this split."""
    from ddpm_kit.config.evaluation import EvalConfig
    from ddpm_kit.evaluation.quality import Evaluator

    settings = EvalConfig.model_validate({"every_n_steps": 1, "n": n, "metrics": METRICS, "extractor": "digits_cnn",
                                          "reference": "val", "seed": SAMPLE_SEED})
    return Evaluator(settings, run, cache_dir, torch.device("cpu"))


def score(evaluator: Any, images: Tensor) -> dict[str, float]:
    from ddpm_kit.evaluation.quality import as_image_range

    return evaluator.score_images(as_image_range(images, "samples"))


def _timed(fn: Callable[[], Tensor]) -> tuple[Tensor, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


# ----------------------------------------------------------------------------------------- one seed
def run_seed(seed: int, minutes: float, n: int, work: Path, baseline: bool = True,
             samplers: list[str] | None = None) -> list[dict[str, Any]]:
    """Train both contestants with training seed ``seed``, sample, score: one row per (model, sampler)."""
    from ddpm_kit.checkpoint import read_checkpoint
    from ddpm_kit.config import load_config

    overrides = protocol_overrides(seed, minutes)
    run = load_config(PRESET, overrides)
    evaluator = make_evaluator(run, n, work / "reference_cache")
    log.info("seed %d: 1-minute load average before training: %.2f", seed, os.getloadavg()[0])
    checkpoint, train_s, cpu_s = train_default(work / f"ddpm-kit_seed{seed}", overrides)
    steps = int(read_checkpoint(checkpoint).get("global_step", 0))
    log.info("ddpm-kit: %d steps, %.0f s wall, %.0f CPU s (ddpm-kit train, end to end)", steps, train_s, cpu_s)
    rows = []
    common = {"seed": seed, "n": n}
    for label, name, params in OURS_SAMPLERS:
        if samplers and label not in samplers:
            continue
        images, sample_s = sample_ours(checkpoint, name, params, n)
        rows.append({**common, "model": "ddpm-kit default", "steps": steps, "train_s": train_s, "cpu_s": cpu_s,
                     "sampler": label, "load": os.getloadavg()[0],
                     "sample_s": sample_s, **score(evaluator, images)})
        log.info("ddpm-kit %s: %s", label, rows[-1])
    if baseline:
        rows += baseline_rows(run, evaluator, cpu_s, steps, common, samplers)
    floor, floor_n = evaluator.floor()
    rows.append({**common, "model": "real training half (floor)", "n": floor_n, "sampler": "", **floor})
    return rows


def baseline_rows(run: Any, evaluator: Any, cpu_s: float, steps: int, common: dict,
                  samplers: list[str] | None = None) -> list[dict[str, Any]]:
    """lucidrains' setup on the same training half, taken at equal time (the CPU seconds ddpm-kit's whole run
    used) and at equal optimizer steps."""
    from benchmarks.digits_quality_baseline import train_baseline
    from ddpm_kit.evaluation.quality import split_images

    base = train_baseline(split_images(run, "train"), cpu_s, max_steps=steps, seed=common["seed"], both=True,
                          clock=time.process_time)
    shape = (common["n"], 1, 8, 8)
    rows = []
    for budget, model in (("time", "lucidrains, equal time"), ("steps", "lucidrains, equal steps")):
        snapshot = base.snapshots[budget]
        for label in BASELINE_SAMPLERS:
            if samplers and label not in samplers:
                continue
            generator = torch.Generator().manual_seed(SAMPLE_SEED)
            if label == "ancestral 1000":
                images, sample_s = _timed(lambda: base.diffusion.sample_ancestral(snapshot.ema_model, shape, generator))
            else:
                images, sample_s = _timed(lambda: base.diffusion.sample_ddim(snapshot.ema_model, shape, 50, generator))
            rows.append({**common, "model": model, "steps": snapshot.steps, "cpu_s": snapshot.seconds,
                         "sampler": label, "load": os.getloadavg()[0], "sample_s": sample_s,
                         **score(evaluator, images)})
            log.info("%s %s: %s", model, label, rows[-1])
    return rows


# ----------------------------------------------------------------------------------------- the run
def load_results(path: Path | None) -> list[dict[str, Any]]:
    return json.loads(path.read_text()) if path is not None and path.exists() else []


def collect(quick: bool = False, seeds: tuple[int, ...] | None = None, n: int | None = None,
            minutes: float | None = None, results: Path | None = None, baseline: bool = True,
            samplers: list[str] | None = None, work: Path | None = None) -> list[dict]:
    """Run the seeds, appending each seed's rows to ``results`` as it ends; every stored row of the same n and
    budget (earlier seeds included) comes back. The training runs (``ddpm-kit_seed<S>/``, checkpoints
    included) and the reference cache are kept in ``work`` when it is given (e.g. for ``sampler_quality
    --checkpoint``), else in a temporary folder."""
    torch.set_num_threads(THREADS)
    seeds = seeds if seeds is not None else (QUICK_SEEDS if quick else SEEDS)
    n = n or (QUICK_SAMPLES if quick else N_SAMPLES)
    minutes = minutes if minutes is not None else (QUICK_MINUTES if quick else BUDGET_MINUTES)
    stored = load_results(results)
    with tempfile.TemporaryDirectory(prefix="digits_quality_") as tmp:
        folder = Path(tmp) if work is None else work
        folder.mkdir(parents=True, exist_ok=True)
        for seed in seeds:
            rows = [{**row, "minutes": minutes} for row in run_seed(seed, minutes, n, folder, baseline, samplers)]
            stored = [r for r in stored if (r["seed"], r["minutes"], r["n"]) != (seed, minutes, n)] + rows
            if results is not None:
                results.write_text(json.dumps(stored, indent=1))
    return [r for r in stored if r["minutes"] == minutes and r["n"] in (n, None)]


def run(quick: bool = False) -> list[dict]:
    """Rows for ``python -m benchmarks``: FD ratios ddpm-kit / lucidrains per sampler and budget, the floor."""
    return summary_rows(collect(quick))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"seed {QUICK_SEEDS[0]} only, a {QUICK_MINUTES:g}-minute budget, {QUICK_SAMPLES} samples")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help=f"training seeds (default {SEEDS})")
    parser.add_argument("--n", type=int, default=None, help=f"samples per sampler (default {N_SAMPLES})")
    parser.add_argument("--minutes", type=float, default=None,
                        help=f"scale the default's step counts by MINUTES / {BUDGET_MINUTES:g}")
    parser.add_argument("--results", type=Path, default=None, help="JSON file the rows of each seed are appended to")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the training runs (ddpm-kit_seed<S>/) and the reference cache here")
    parser.add_argument("--table", type=Path, default=None, help="print the table of a results file and stop")
    parser.add_argument("--no-baseline", action="store_true", help="skip lucidrains' baseline")
    parser.add_argument("--samplers", nargs="+", default=None,
                        help="only these sampler labels (e.g. 'DDIM 50'; screening, not for the table)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if args.table is not None:
        rows = load_results(args.table)
    else:
        rows = collect(args.quick, tuple(args.seeds) if args.seeds else None, args.n, args.minutes, args.results,
                       not args.no_baseline, args.samplers, args.work)
    for line in format_table(rows):
        log.info(line)


if __name__ == "__main__":
    main()
