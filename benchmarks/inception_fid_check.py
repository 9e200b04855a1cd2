"""inception_fid on a device: CPU and device features agree, and the time to score n 32x32 RGB samples.

Run: ``python -m benchmarks.inception_fid_check --device cuda --n 10000 --out DIR`` (``benchmarks/gpu_check.sh``
runs it). No network: the weights are a seeded random FID Inception (batch-norm statistics randomised so every
layer matters) written to ``DIR/random_inception.pth``; the published file gives other features, the same cost.

1. Four images (three RGB, one grey) on the CPU and on the device: max |f_cpu - f_dev| / max |f_cpu| <= 1e-4.
2. ``extract_features`` of n random 3x32x32 images on the device (the Python API): images per second, and one
   batched forward of 64 images against 64 single-image forwards (what evaluating each image alone costs).
3. ``ddpm-kit evaluate --samples`` of the same n images against their own features as the reference (fd, kid,
   pr): the wall time of the command, and FD ~ 0 as a check that the command saw the same features.
Exit 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ddpm_kit.testing.inception import write_random_inception

TOLERANCE = 1e-4


def extractor_on(weights: Path, device: str):
    from ddpm_kit.registry import FEATURE_EXTRACTORS

    spec = FEATURE_EXTRACTORS.get("inception_fid")(weights=str(weights))
    return spec.load_impl()(spec).to(device)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def cpu_vs_device(weights: Path, device: str) -> bool:
    gen = torch.Generator().manual_seed(1)
    rgb = torch.rand(3, 3, 32, 32, generator=gen) * 2 - 1
    grey = torch.rand(1, 1, 32, 32, generator=gen) * 2 - 1
    cpu, dev = extractor_on(weights, "cpu"), extractor_on(weights, device)
    ok = True
    for name, images in (("rgb", rgb), ("grey", grey)):
        f_cpu, p_cpu = cpu(images)
        f_dev, p_dev = (t.cpu() for t in dev(images.to(device)))
        diff = (f_cpu - f_dev).abs().max().item()
        rel = diff / f_cpu.abs().max().item()
        pdiff = (p_cpu - p_dev).abs().max().item()
        ok &= rel <= TOLERANCE
        print(f"cpu vs {device} ({name} x{images.shape[0]}): features max abs diff {diff:.3g}, relative {rel:.3g} "
              f"(<= {TOLERANCE}: {rel <= TOLERANCE}); probs max abs diff {pdiff:.3g}")
    return ok


def api_timing(weights: Path, device: str, images: torch.Tensor) -> np.ndarray:
    from ddpm_kit.components.feature_extractors.inception_fid_impl import to_network_input
    from ddpm_kit.evaluation.features import extract_features

    extractor = extractor_on(weights, device)
    extractor(images[:2].to(device))  # warm-up (cuDNN plans, allocator)
    sync(device)
    start = time.perf_counter()
    features = extract_features(extractor, images, batch_size=256, device=device).features
    sync(device)
    seconds = time.perf_counter() - start
    print(f"extract_features: {images.shape[0]} images 3x32x32 in {seconds:.1f} s = {images.shape[0] / seconds:.0f} "
          f"images/s on {device}")
    batch = images[:64].to(device)
    k = batch.shape[0]
    with torch.no_grad():
        for label, fn in ((f"one batched forward of {k}", lambda: extractor.net(to_network_input(batch))),
                          (f"{k} single-image forwards", lambda: extractor(batch))):
            fn()
            sync(device)
            start = time.perf_counter()
            fn()
            sync(device)
            print(f"  {label}: {time.perf_counter() - start:.3f} s")
    return features


def cli_timing(weights: Path, device: str, images: torch.Tensor, features: np.ndarray, out: Path) -> bool:
    samples, reference = out / "samples.npz", out / "reference.npz"
    np.savez(samples, samples=images.numpy())
    np.savez(reference, features=features)
    command = [sys.executable, "-m", "ddpm_kit", "evaluate", "--samples", str(samples), "--reference",
               str(reference), "--metrics", "fd,kid,pr", "--device", device, "--json",
               "--extractor", json.dumps({"name": "inception_fid", "weights": str(weights)})]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(f"ddpm-kit evaluate failed (exit {result.returncode}): {result.stderr[-2000:]}")
        return False
    metrics = json.loads(result.stdout)["metrics"]
    print(f"ddpm-kit evaluate --samples ({images.shape[0]} images, inception_fid, fd,kid,pr on {device}): "
          f"{seconds:.1f} s wall; " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
    scale = float(np.trace(np.cov(features, rowvar=False)))
    ok = abs(metrics["fd"]) <= 1e-3 * scale
    print(f"  FD against the samples' own features: {metrics['fd']:.3g} (<= 1e-3 x tr(cov) = {1e-3 * scale:.3g}: "
          f"{ok})")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--n", type=int, default=10_000, help="number of 32x32 RGB images to score")
    parser.add_argument("--out", type=Path, required=True, help="folder for the weights and .npz files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    weights = write_random_inception(args.out / "random_inception.pth")
    ok = cpu_vs_device(weights, args.device)
    images = torch.rand(args.n, 3, 32, 32, generator=torch.Generator().manual_seed(2)) * 2 - 1
    features = api_timing(weights, args.device, images)
    ok &= cli_timing(weights, args.device, images, features, args.out)
    print("inception_fid check:", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
