"""Forward+backward time of the ddpm-kit ``unet`` next to diffusers' ``UNet2DModel``, in the same run.

The diffusers model mirrors each config (same widths, blocks per level, attention levels and
head width), so both have exactly the same parameter count. Timing rounds alternate between
the two models so that both see the same machine state; the reported time per iteration is the
best round's (the minimum is the least disturbed by other load on a shared machine).
diffusers is an optional bench dependency (``pip install diffusers``); without it
only ddpm-kit is measured.

Run: ``python -m benchmarks.backbone_speed [--quick] [--device cuda] [--bf16] [--channels-last] [--compile]``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ddpm_kit.components.backbones.unet_impl import build_unet
from ddpm_kit.components.backbones.unet import UNetSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchConfig:
    """One UNet size: our spec and the diffusers arguments of the same network."""

    name: str
    spec: dict[str, Any]
    diffusers: dict[str, Any]
    batch: int
    quick_batch: int


CONFIGS = [
    BenchConfig(
        "digits 8x8x1",
        dict(image_size=8, in_channels=1, out_channels=1, model_channels=32, num_res_blocks=1,
             attention_resolutions=(2,), channel_mult=(1, 2), num_head_channels=8),
        dict(sample_size=8, in_channels=1, out_channels=1, block_out_channels=(32, 64), layers_per_block=1,
             down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
             attention_head_dim=8),
        batch=64, quick_batch=32,
    ),
    BenchConfig(
        "cifar 32x32x3",
        dict(image_size=32, in_channels=3, out_channels=3, model_channels=64, num_res_blocks=2,
             attention_resolutions=(2,), channel_mult=(1, 2, 2, 2), num_head_channels=32),
        dict(sample_size=32, in_channels=3, out_channels=3, block_out_channels=(64, 128, 128, 128),
             layers_per_block=2, attention_head_dim=32,
             down_block_types=("DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"),
             up_block_types=("UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D")),
        batch=16, quick_batch=4,
    ),
]


def _diffusers_unet(arguments: dict[str, Any]) -> nn.Module | None:
    try:
        from diffusers import UNet2DModel
    except ImportError:
        return None
    return UNet2DModel(**arguments)


def _step_function(model: nn.Module, x: torch.Tensor, t: torch.Tensor, autocast: Any,
                   diffusers: bool) -> Callable[[], None]:
    """One training-like iteration: forward, mean-square loss, backward."""

    def step() -> None:
        model.zero_grad(set_to_none=True)
        with autocast():
            out = model(x, t)
            out = out.sample if diffusers else out
            loss = out.float().square().mean()
        loss.backward()

    return step


def _time_per_iteration(step: Callable[[], None], iterations: int, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / iterations


def _prepare(model: nn.Module, device: torch.device, channels_last: bool, compile_: bool) -> nn.Module:
    model = model.to(device).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    # static shapes: each config compiles on its own (fully dynamic spatial sizes hit an inductor
    # stride-ordering error on permuted feature maps in torch 2.13; a changing batch size is fine)
    return torch.compile(model, dynamic=False) if compile_ else model


def run(quick: bool = False, device: str = "cpu", bf16: bool = False, channels_last: bool = False,
        compile: bool = False) -> list[dict]:
    """One row per config: seconds per forward+backward iteration of both models and their ratio."""
    dev = torch.device(device)
    rounds, iterations, warmup = (4, 1, 1) if quick else (9, 2, 2)
    options = [o for o, on in (("bf16", bf16), ("channels-last", channels_last), ("compile", compile)) if on]
    rows = []
    for config in CONFIGS:
        torch._dynamo.reset()
        torch.manual_seed(0)
        ours = build_unet(UNetSpec(**config.spec))
        theirs = _diffusers_unet(config.diffusers)
        if theirs is None:
            log.warning("diffusers is not installed (pip install diffusers): measuring ddpm-kit alone")
        batch = config.quick_batch if quick else config.batch
        side, channels = config.spec["image_size"], config.spec["in_channels"]
        x = torch.randn(batch, channels, side, side, device=dev)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        t = torch.randint(0, 1000, (batch,), device=dev)

        def autocast() -> Any:
            return torch.autocast(dev.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

        models = {"ours": (ours, False)} | ({"baseline": (theirs, True)} if theirs is not None else {})
        steps = {}
        for key, (model, is_diffusers) in models.items():
            prepared = _prepare(model, dev, channels_last, compile)
            steps[key] = _step_function(prepared, x, t, autocast, is_diffusers)
            for _ in range(warmup):
                steps[key]()
        times: dict[str, list[float]] = {key: [] for key in steps}
        for _ in range(rounds):  # alternate, so both see the same machine state
            for key, step in steps.items():
                times[key].append(_time_per_iteration(step, iterations, dev))
        ours_s = min(times["ours"])
        baseline_s = min(times["baseline"]) if "baseline" in times else math.nan
        rows.append({
            "benchmark": "backbone_speed",
            "measure": f"unet fwd+bwd {config.name} b{batch} {device}" + "".join(f" {o}" for o in options)
                       + " vs diffusers UNet2DModel",
            "config": config.name,
            "batch": batch,
            "params_ours": sum(p.numel() for p in ours.parameters()),
            "params_baseline": sum(p.numel() for p in theirs.parameters()) if theirs is not None else None,
            "ours_s": ours_s,
            "baseline_s": baseline_s,
            "ratio": ours_s / baseline_s,
            "target": None,
        })
    return rows


def format_table(rows: list[dict]) -> str:
    """config, parameters of each model, ms/iteration of each, ratio (ours / diffusers)."""
    lines = [f"{'config':<16} {'batch':>5} {'params ours':>12} {'params diffusers':>16} "
             f"{'ms ours':>9} {'ms diffusers':>12} {'ratio':>6}"]
    for row in rows:
        theirs = "-" if row["params_baseline"] is None else f"{row['params_baseline']:,}"
        lines.append(f"{row['config']:<16} {row['batch']:>5} {row['params_ours']:>12,} {theirs:>16} "
                     f"{1e3 * row['ours_s']:>9.2f} {1e3 * row['baseline_s']:>12.2f} {row['ratio']:>6.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller batches, fewer repeats")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:1, ...)")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast")
    parser.add_argument("--channels-last", action="store_true", help="channels-last memory format")
    parser.add_argument("--compile", action="store_true", help="torch.compile both models")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    rows = run(quick=args.quick, device=args.device, bf16=args.bf16, channels_last=args.channels_last,
               compile=args.compile)
    flags = [f for f, on in (("bf16", args.bf16), ("channels-last", args.channels_last),
                             ("compile", args.compile)) if on]
    log.info("unet forward+backward, device %s, %d CPU threads%s; ratio = ddpm-kit / diffusers UNet2DModel "
             "(same parameters)\n%s", args.device, torch.get_num_threads(), "".join(f", {f}" for f in flags),
             format_table(rows))


if __name__ == "__main__":
    main()
