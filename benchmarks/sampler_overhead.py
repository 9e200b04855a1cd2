"""Sampler overhead: a sampler's wall time against the bare backbone forwards it makes, in the same run.

For every built-in sampler (ancestral over T steps, the others at 20 steps) the baseline is the same number of network
forwards on the same batch without any sampler arithmetic. Ratio 1.0 means the sampler costs nothing beyond
the network. Run: ``python -m benchmarks.sampler_overhead [--quick] [--batch 64] [--device cuda] [--bf16]``;
both sides run on the same device (``--bf16``: both under bfloat16 autocast).
"""

from __future__ import annotations

import os

# Passive OpenMP waiting for both sides: spinning threads on a shared 2-core machine distort the ratio.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "ddpm_kit" / "presets" / "digits.yaml"


def _module(config: Path, timesteps: int) -> Any:
    from ddpm_kit.config import validate_file
    from ddpm_kit.module import DDPM

    run = validate_file(config, [f"model.timesteps={timesteps}"]).raise_for_errors()
    return DDPM(run=run, input_layout="channels_first").eval()


def _best(fn: Any, repeats: int, synchronize: Any = None) -> float:
    """Best wall time of ``fn`` over ``repeats`` calls; ``synchronize`` waits for queued device work."""
    times = []
    for _ in range(repeats):
        if synchronize is not None:
            synchronize()
        start = time.perf_counter()
        fn()
        if synchronize is not None:
            synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


#: every built-in sampler: ddpm with all T steps, the others with 20 steps (10 with --quick)
SAMPLERS_TIMED = ("ddpm", "ddim", "plms", "dpmpp_2m", "euler", "euler_ancestral", "heun", "dpmpp_2s_ancestral",
                  "dpmpp_2m_sde", "dpmpp_3m_sde", "dpmpp_3m_sde_o3", "unipc")
TARGET = 1.1  # a sampler's time at most 1.1x its network evaluations alone


def run(quick: bool = False, batch: int | None = None, config: Path = DEFAULT, device: str = "cpu",
        bf16: bool = False) -> list[dict]:
    import torch

    from ddpm_kit.module_parts.sampling import sample, sample_shape
    from ddpm_kit.registry import SAMPLERS

    torch.set_num_threads(2)
    dev = torch.device(device)
    synchronize = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else None
    timesteps = 50 if quick else 250
    batch = batch or (16 if quick else 64)
    module = _module(config, timesteps).to(dev)

    def autocast() -> Any:
        return torch.autocast(dev.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

    where = "" if (device, bf16) == ("cpu", False) else f", {device}" + (" bf16" if bf16 else "")
    repeats = 2 if quick else 3
    rows = []
    steps = 10 if quick else 20
    for name in SAMPLERS_TIMED:
        spec = SAMPLERS.get(name).model_validate({"name": name, **({} if name == "ddpm" else {"steps": steps})})
        sampler = spec.load_impl()(spec)
        evaluations = spec.num_steps(timesteps)
        x = torch.randn(sample_shape(module, batch), device=dev)
        t = torch.zeros(batch, dtype=torch.long, device=dev)

        def bare() -> None:
            with torch.no_grad(), autocast():
                for _ in range(evaluations):
                    module.apply_model(x, t)

        def sampled() -> None:
            with autocast():
                sample(module, batch, sampler=sampler, generator=torch.Generator().manual_seed(0))

        bare(), sampled()  # warm-up
        ours, baseline = _best(sampled, repeats, synchronize), _best(bare, repeats, synchronize)
        rows.append({"benchmark": "sampler_overhead",
                     "measure": f"{name} ({evaluations} evals, batch {batch}{where}) vs bare forwards",
                     "ours_s": ours, "baseline_s": baseline, "ratio": ours / baseline, "target": TARGET})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--batch", type=int, default=None, help="default 64 (16 with --quick)")
    parser.add_argument("--device", default="cpu", help="torch device of both sides (cpu, cuda, cuda:1, ...)")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast on both sides")
    args = parser.parse_args()
    for row in run(quick=args.quick, batch=args.batch, device=args.device, bf16=args.bf16):
        print(f"{row['measure']}: {row['ours_s']:.3f} s vs {row['baseline_s']:.3f} s, ratio {row['ratio']:.3f}")


if __name__ == "__main__":
    main()
