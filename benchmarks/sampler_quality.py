"""Fréchet distance against network evaluations for every built-in sampler and spacing, on the default digits model.

Run: ``python -m benchmarks.sampler_quality [--checkpoint CKPT] [--n 500] [--out DIR] [--quick]``. Without
``--checkpoint`` it first trains the built-in default with ``digits_quality``'s split (one seeded half of the
digits to train on, the other half the reference; about 8 minutes on 2 CPU cores). The scores are
``ddpm_kit.evaluation``'s (``digits_cnn`` features, the held-out half as the reference), for N samples with
sample seed 0; beside them stand ancestral sampling with all 1000 steps and the real-vs-real floor at the same N.

For each sampler and spacing the step count S is the largest whose network evaluations (the spec's
``num_steps``: 2 per step for heun and dpmpp_2s_ancestral, one fewer on their last step; PLMS's warm-up) do not
exceed each budget of 5, 10, 20 and 50. Writes ``sampler_quality.json``, ``sampler_quality.md`` (the table) and
``sampler_quality.png`` (log FD against log evaluations) to ``--out``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as digits_quality: spinning threads distort shared machines

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import torch  # noqa: E402

from benchmarks.digits_quality import BUDGET_MINUTES, make_evaluator, protocol_overrides, score, train_default  # noqa: E402

BUDGETS = (5, 10, 20, 50)
QUICK_BUDGETS = (5, 20)
SIGMA_SPACINGS = ("karras", "trailing")
#: sampler -> spacings swept (None: the sampler has one fixed timestep rule)
SWEEP: dict[str, tuple[str | None, ...]] = {
    "ddim": ("uniform", "quad", "leading", "linspace", "trailing"), "plms": (None,), "dpmpp_2m": (None,),
    **{name: SIGMA_SPACINGS for name in ("euler", "euler_ancestral", "heun", "dpmpp_2s_ancestral", "dpmpp_2m_sde",
                                          "dpmpp_3m_sde", "dpmpp_3m_sde_o3", "unipc")},
}
N_SAMPLES, QUICK_SAMPLES = 500, 128
log = logging.getLogger("benchmarks.sampler_quality")


def spec_for(module: Any, name: str, spacing: str | None, budget: int) -> Any | None:
    """The sampler spec with the most steps whose network evaluations fit ``budget`` (None if none fits)."""
    from ddpm_kit.config import ConfigError
    from ddpm_kit.generation import sampler_from

    best = None
    for steps in range(1, budget + 1):
        options = {"steps": steps, **({"spacing": spacing} if spacing else {})}
        try:
            spec = sampler_from(module, name, **options)
        except ConfigError:
            continue  # e.g. PLMS step counts where upstream fails
        if spec.num_steps(module.num_timesteps) <= budget:
            best = spec
    return best


def sweep(module: Any, evaluator: Any, n: int, budgets: tuple[int, ...]) -> list[dict[str, Any]]:
    """One row per (sampler, spacing, budget) that has a step count within the budget."""
    from ddpm_kit.generation import generate

    rows = []
    for name, spacings in SWEEP.items():
        for spacing in spacings:
            for budget in budgets:
                spec = spec_for(module, name, spacing, budget)
                if spec is None:
                    continue
                start = time.perf_counter()
                images, _ = generate(module, n, sampler=spec, seed=0)
                row = {"sampler": name, "spacing": spacing or "", "budget": budget, "steps": spec.steps,
                       "nfe": spec.num_steps(module.num_timesteps), "sample_s": time.perf_counter() - start,
                       **score(evaluator, images)}
                rows.append(row)
                log.info("%s %s S=%d (%d evaluations): FD %.3f", name, spacing or "-", spec.steps, row["nfe"],
                         row["fd"])
    return rows


def references(module: Any, evaluator: Any, n: int) -> list[dict[str, Any]]:
    """Ancestral sampling with every step, and the real-vs-real floor at the same n."""
    from ddpm_kit.generation import generate, sampler_from

    spec = sampler_from(module, "ddpm")
    start = time.perf_counter()
    images, _ = generate(module, n, sampler=spec, seed=0)
    ancestral = {"sampler": "ddpm", "spacing": "", "budget": None, "steps": module.num_timesteps,
                 "nfe": module.num_timesteps, "sample_s": time.perf_counter() - start, **score(evaluator, images)}
    floor, floor_n = evaluator.floor()
    return [ancestral, {"sampler": "real-vs-real floor", "spacing": "", "budget": None, "n": floor_n, **floor}]


def table(rows: list[dict[str, Any]], budgets: tuple[int, ...]) -> list[str]:
    """Markdown: one line per sampler and spacing, FD (steps) per evaluation budget; the references below."""
    series: dict[tuple[str, str], dict[int, dict]] = {}
    for row in rows:
        if row.get("budget") is not None:
            series.setdefault((row["sampler"], row["spacing"]), {})[row["budget"]] = row
    lines = ["| sampler | spacing | " + " | ".join(f"FD at <= {b} evaluations (S)" for b in budgets) + " |",
             "|---|---|" + "---:|" * len(budgets)]
    for (name, spacing), cells in series.items():
        values = [f"{cells[b]['fd']:.2f} ({cells[b]['steps']})" if b in cells else "-" for b in budgets]
        lines.append(f"| {name} | {spacing or '-'} | " + " | ".join(values) + " |")
    for row in rows:
        if row.get("budget") is None:
            lines.append(f"| {row['sampler']} | {'all T steps' if row['sampler'] == 'ddpm' else ''} | "
                         f"{row['fd']:.2f}" + " |" * len(budgets))
    return lines


def best_within(rows: list[dict[str, Any]], budget: int) -> dict[str, Any]:
    """The row with the lowest FD among those with at most ``budget`` evaluations."""
    return min((r for r in rows if r.get("budget") is not None and r["nfe"] <= budget), key=lambda r: r["fd"])


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """log10 FD against log10 network evaluations in three panels (DDPM-space samplers, sigma samplers with
    karras and with trailing spacing), ancestral-1000 and the floor as flat lines in each."""
    import math

    from ddpm_kit.plotting import line_chart

    references = [r for r in rows if r.get("budget") is None]
    swept = [r for r in rows if r.get("budget") is not None]
    low, high = math.log10(min(r["nfe"] for r in swept)), math.log10(max(r["nfe"] for r in swept))
    groups = {"DDPM-space samplers": lambda r: r["spacing"] not in SIGMA_SPACINGS or r["sampler"] == "ddim",
              "sigma samplers, karras": lambda r: r["spacing"] == "karras",
              "sigma samplers, trailing": lambda r: r["spacing"] == "trailing" and r["sampler"] != "ddim"}
    panels = []
    for title, member in groups.items():
        series: dict[str, tuple[list[float], list[float]]] = {}
        for row in sorted((r for r in swept if member(r)), key=lambda r: r["nfe"]):
            xs, ys = series.setdefault(f"{row['sampler']} {row['spacing']}".strip(), ([], []))
            xs.append(math.log10(row["nfe"]))
            ys.append(math.log10(row["fd"]))
        for row in references:
            label = "ancestral, 1000" if row["sampler"] == "ddpm" else "real-vs-real floor"
            series[label] = ([low, high], [math.log10(row["fd"])] * 2)
        panels.append({"title": title, "xlabel": "log10 network evaluations", "ylabel": "log10 FD",
                       "series": series})
    line_chart(panels, path, width=480, height=420)


def run(quick: bool = False, checkpoint: Path | None = None, n: int | None = None, out: Path | None = None
        ) -> list[dict]:
    """Rows for ``python -m benchmarks``: the best FD within 20 evaluations over ancestral-1000's (target 1.1)."""
    from ddpm_kit.inference import load_for_sampling

    torch.set_num_threads(2)
    n = n or (QUICK_SAMPLES if quick else N_SAMPLES)
    budgets = QUICK_BUDGETS if quick else BUDGETS
    with tempfile.TemporaryDirectory(prefix="sampler_quality_") as tmp:
        if checkpoint is None:
            minutes = 1.0 if quick else BUDGET_MINUTES
            checkpoint, _, _ = train_default(Path(tmp) / "run", protocol_overrides(0, minutes))
        module = load_for_sampling(checkpoint)
        evaluator = make_evaluator(module.run_config, n, Path(tmp) / "cache")
        rows = sweep(module, evaluator, n, budgets) + references(module, evaluator, n)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "sampler_quality.json").write_text(json.dumps({"checkpoint": str(checkpoint), "n": n, "rows": rows},
                                                             indent=1))
        (out / "sampler_quality.md").write_text("\n".join(table(rows, budgets)) + "\n")
        plot(rows, out / "sampler_quality.png")
    ancestral = next(r for r in rows if r["sampler"] == "ddpm" and r.get("budget") is None)
    best = best_within(rows, 20)
    return [{"benchmark": "sampler_quality",
             "measure": f"best FD <= 20 evaluations ({best['sampler']} {best['spacing']} S={best['steps']}) "
                        "vs ancestral 1000", "ours": best["fd"], "baseline": ancestral["fd"],
             "ratio": best["fd"] / ancestral["fd"], "target": 1.1}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="a checkpoint trained with digits_quality's "
                                                                      "split (default: train one)")
    parser.add_argument("--n", type=int, default=None, help=f"samples per row (default {N_SAMPLES})")
    parser.add_argument("--out", type=Path, default=Path("sampler_quality"), help="folder of the json, md and png")
    parser.add_argument("--quick", action="store_true", help=f"budgets {QUICK_BUDGETS}, {QUICK_SAMPLES} samples")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for row in run(args.quick, args.checkpoint, args.n, args.out):
        log.info("%s: %.3f vs %.3f, ratio %.3f (target <= %s)", row["measure"], row["ours"], row["baseline"],
                 row["ratio"], row["target"])
    log.info("\n%s", (args.out / "sampler_quality.md").read_text())


if __name__ == "__main__":
    main()
