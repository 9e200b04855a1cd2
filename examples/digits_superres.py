"""Super-resolution of scikit-learn's digits, 4x4 -> 8x8, by concat conditioning (examples/digits_superres.yaml).

    python examples/digits_superres.py data runs/digits_superres_data        # the paired folder + held-out set
    ddpm-kit train examples/digits_superres.yaml
    ddpm-kit sample runs/digits_superres/checkpoints/last.ckpt --cond runs/digits_superres_data/heldout.npz \\
        --npz runs/digits_superres/heldout_samples.npz --out runs/digits_superres/heldout_samples.png
    python examples/digits_superres.py evaluate runs/digits_superres/heldout_samples.npz \\
        runs/digits_superres_data/heldout.npz

The data: the 1,797 8x8 digits (values 0..16) as uint8 grey, round(x * 255 / 16) (the targets); their 4x4
low-resolution versions, the mean of each 2x2 block (rounded to uint8); and the condition, the 4x4 image
upsampled back to 8x8 with bicubic interpolation (``torch.nn.functional.interpolate(mode="bicubic",
align_corners=False)``, clamped, rounded to uint8). A seeded permutation (seed 0) holds out HELD_OUT digits:
the others go to ``DIR/train/high/NNNN.png`` (targets) and ``DIR/train/low/NNNN.png`` (conditions), the
held-out ones to ``DIR/heldout.npz`` (``condition`` [N, 1, 8, 8] in [-1, 1] as the model reads it, ``target``
[N, 1, 8, 8] in [-1, 1], ``lowres`` [N, 1, 4, 4] uint8).

``evaluate`` gives the mean over the held-out digits of PSNR = 10 log10(1 / MSE) on [0, 1] pixels, for the
samples (clamped to [-1, 1]) and for the baseline: bicubic upsampling (as above, in float, not rounded) of the
4x4 inputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HELD_OUT = 300
SEED = 0


def bicubic(lowres: np.ndarray, size: int = 8) -> np.ndarray:
    """[N, 1, h, w] values in [0, 1] -> [N, 1, size, size] by torch bicubic interpolation, clamped to [0, 1]."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.asarray(lowres, dtype=np.float32))
    return F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1).numpy()


def make_arrays() -> dict[str, np.ndarray]:
    """targets [N, 1, 8, 8], lowres [N, 1, 4, 4] and conditions [N, 1, 8, 8], all uint8, and the held-out mask."""
    from sklearn.datasets import load_digits

    digits = load_digits().images  # [N, 8, 8] in 0..16
    target = np.rint(digits * (255.0 / 16.0)).astype(np.uint8)[:, None]  # [N, 1, 8, 8]
    blocks = target.reshape(len(target), 1, 4, 2, 4, 2).astype(np.float64).mean(axis=(3, 5))
    lowres = np.rint(blocks).astype(np.uint8)  # [N, 1, 4, 4]
    condition = np.rint(bicubic(lowres / 255.0) * 255.0).astype(np.uint8)  # [N, 1, 8, 8]
    held = np.zeros(len(target), dtype=bool)
    held[np.random.default_rng(SEED).permutation(len(target))[:HELD_OUT]] = True
    return {"target": target, "lowres": lowres, "condition": condition, "held_out": held}


def write_data(out: Path) -> dict[str, int]:
    """The paired folder (train/high, train/low) and heldout.npz under ``out``; counts of each."""
    from PIL import Image

    arrays = make_arrays()
    held = arrays["held_out"]
    for name in ("high", "low"):
        (out / "train" / name).mkdir(parents=True, exist_ok=True)
    for index in np.flatnonzero(~held):
        Image.fromarray(arrays["target"][index, 0]).save(out / "train" / "high" / f"{index:04d}.png")
        Image.fromarray(arrays["condition"][index, 0]).save(out / "train" / "low" / f"{index:04d}.png")
    np.savez(out / "heldout.npz", condition=arrays["condition"][held] / np.float32(127.5) - np.float32(1.0),
             target=arrays["target"][held] / np.float32(127.5) - np.float32(1.0), lowres=arrays["lowres"][held],
             index=np.flatnonzero(held))
    return {"train": int((~held).sum()), "held_out": int(held.sum())}


def psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image PSNR in dB of [N, ...] arrays of [0, 1] pixels: 10 log10(1 / mean((a - b)^2))."""
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).reshape(len(a), -1).mean(axis=1)
    return 10.0 * np.log10(1.0 / np.maximum(mse, 1e-12))


def evaluate(samples: np.ndarray, heldout: dict[str, np.ndarray]) -> dict[str, float]:
    """Mean PSNR of the samples [N, 1, 8, 8] in [-1, 1] and of bicubic upsampling, against the held-out targets."""
    target = (heldout["target"] + 1.0) / 2.0
    if samples.shape != target.shape:
        raise ValueError(f"samples have shape {list(samples.shape)}, the held-out targets {list(target.shape)}")
    model = psnr((np.clip(samples, -1.0, 1.0) + 1.0) / 2.0, target)
    baseline = psnr(bicubic(heldout["lowres"] / 255.0), target)
    return {"count": len(target), "psnr_model": float(model.mean()), "psnr_bicubic": float(baseline.mean()),
            "share_better": float((model > baseline).mean())}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    data = commands.add_parser("data", help="write the paired folder and the held-out set")
    data.add_argument("out", type=Path)
    score = commands.add_parser("evaluate", help="PSNR of samples (ddpm-kit sample --npz) vs bicubic")
    score.add_argument("samples", type=Path)
    score.add_argument("heldout", type=Path)
    args = parser.parse_args(argv)
    if args.command == "data":
        print(json.dumps(write_data(args.out)))
    else:
        with np.load(args.samples) as s, np.load(args.heldout) as h:
            print(json.dumps(evaluate(s["samples"], dict(h))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
