"""Images/s of the data loader (image_folder decoded cache vs decoding every access; in the training process
(``num_workers: 0``, the default), 1 and 2 workers) next to
the training step rate of the same config, for a generated folder of N 64x64 RGB PNGs (N = 5000; 300 with
``--quick``) and for the 16x16 digits preset.

The loader is timed over the passes after its first (steady state: workers started, cache built): the median
of at least 3 passes and 2 s. The cache build (first pass, every file decoded once) is timed separately.
Training images/s = batch size x steps/s of ddpm-kit's Trainer (``benchmarks.train_overhead``'s clock), so
a loader slower than the trainer shows as a ratio below 1.
Run: ``python -m benchmarks.data_throughput [--quick] [--images N] [--batch B]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
IMAGE_CONFIG = ROOT / "examples" / "image_folder.yaml"
DIGITS_CONFIG = ROOT / "ddpm_kit" / "presets" / "digits.yaml"


def write_pngs(folder: Path, count: int, size: int = 64) -> None:
    """``count`` size x size RGB PNGs: smooth gradients plus noise (compresses like a photo, not like a flat fill)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    ramp = np.linspace(0, 255, size)[None, :, None]
    for i in range(count):
        base = ramp * rng.uniform(0.2, 1.0, 3) + rng.normal(0, 20, (size, size, 3))
        Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(folder / f"{i:05d}.png")


def loader_images_per_second(dataset: Any, batch_size: int, workers: int, seconds: float = 2.0) -> float:
    """Images/s of the run's train loader: the median over passes after the first (which starts the workers and
    warms caches), as many as fill ``seconds`` and at least 3 (a pass of a fast loader lasts ~0.1 s)."""
    from ddpm_kit.training.data import loader_options, train_loader

    loader = train_loader(dataset, batch_size, workers, 0, **loader_options(workers, None, None, on_gpu=False))
    for _ in loader:
        pass
    rates: list[float] = []
    begin = time.perf_counter()
    while len(rates) < 3 or time.perf_counter() - begin < seconds:
        start, images = time.perf_counter(), 0
        for batch in loader:
            images += len(batch["image"])
        rates.append(images / (time.perf_counter() - start))
    return statistics.median(rates)


def image_spec(folder: Path, cache_dir: Path, cache: bool) -> Any:
    from ddpm_kit.components.data.image_folder import ImageFolderSpec

    return ImageFolderSpec(path=str(folder), image_size=32, cache=cache, cache_dir=str(cache_dir), val_fraction=0.0)


def train_images_per_second(config: Path, overrides: list[str], steps: int) -> tuple[float, int]:
    """(training images/s, batch size) of ``config`` in ddpm-kit's Trainer (median step time after warm-up)."""
    from benchmarks.train_overhead import lightning_step_times
    from ddpm_kit.config import validate_file

    run = validate_file(config, [f"trainer.max_steps={steps}", "trainer.enable_progress_bar=false",
                                 "output.image_every_n_steps=0", "trainer.limit_val_batches=0",
                                 "data.val_fraction=0.0", f"output.checkpoint_every_n_steps={steps + 1}",
                                 "trainer.accelerator=cpu", "trainer.devices=1", *overrides]).raise_for_errors()
    times = lightning_step_times(run, warmup=min(3, steps // 3))
    return run.data.batch_size / statistics.median(times), run.data.batch_size


def image_folder_rows(count: int, batch_size: int, steps: int) -> Iterator[list[dict]]:
    """Loader rows first (fast), then the training row."""
    from ddpm_kit.components.data.image_folder_impl import build_image_folder

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache_dir = Path(tmp) / "images", Path(tmp) / "cache"
        write_pngs(folder, count)
        start = time.perf_counter()
        cached = build_image_folder(image_spec(folder, cache_dir, True)).train
        build_s = time.perf_counter() - start
        plain = build_image_folder(image_spec(folder, cache_dir, False)).train
        measured = {}
        for workers in (0, 1, 2):
            measured[workers] = (loader_images_per_second(cached, batch_size, workers),
                                 loader_images_per_second(plain, batch_size, workers))
            rows.append({"benchmark": "data_throughput",
                         "measure": f"img/s loader cached vs uncached, {count} PNG 64->32, batch {batch_size}, "
                                    + (f"{workers} worker(s)" if workers else "in process (0 workers)"),
                         "ours": measured[workers][0], "baseline": measured[workers][1],
                         "ratio": measured[workers][0] / measured[workers][1], "target": None})
        rows.append({"benchmark": "data_throughput", "measure": f"cache build s ({count} PNGs, first pass)",
                     "ours": build_s, "baseline": float("nan"), "ratio": None, "target": None})
        yield rows
        train_rate, batch = train_images_per_second(
            IMAGE_CONFIG, [f"data.path={folder}", f"data.cache_dir={cache_dir}", f"data.batch_size={batch_size}"],
            steps)
        yield [{"benchmark": "data_throughput",
                "measure": f"img/s training (image_folder.yaml, batch {batch}) vs uncached loader, 1 worker",
                "ours": train_rate, "baseline": measured[1][1], "ratio": train_rate / measured[1][1],
                "target": None}]


def digits_rows(batch_size: int, steps: int) -> list[dict]:
    from ddpm_kit.config import validate_file

    run = validate_file(DIGITS_CONFIG, [f"data.batch_size={batch_size}", "data.val_fraction=0.0"]).raise_for_errors()
    dataset = run.data.load_impl()(run.data).train
    one, two = (loader_images_per_second(dataset, batch_size, w) for w in (1, 2))
    train_rate, batch = train_images_per_second(DIGITS_CONFIG, [f"data.batch_size={batch_size}"], steps)
    return [{"benchmark": "data_throughput", "measure": "img/s loader digits 16x16, 2 vs 1 worker(s)",
             "ours": two, "baseline": one, "ratio": two / one, "target": None},
            {"benchmark": "data_throughput", "measure": f"img/s training (digits preset, batch {batch}) vs loader, "
                                                        "1 worker",
             "ours": train_rate, "baseline": one, "ratio": train_rate / one, "target": None}]


def parts(quick: bool = False, images: int | None = None, batch: int | None = None) -> Iterator[list[dict]]:
    """The rows, one group at a time (image folder, digits), so a long run reports as it goes; ``batch`` is the
    image folder's batch size (loader and training; default 64, 32 with ``quick``)."""
    import torch

    torch.set_num_threads(2)
    count = images or (300 if quick else 5000)
    steps = 6 if quick else 40
    yield from image_folder_rows(count, batch or (32 if quick else 64), steps)
    yield digits_rows(64 if quick else 128, steps)


def run(quick: bool = False, images: int | None = None, batch: int | None = None) -> list[dict]:
    return [row for group in parts(quick, images, batch) for row in group]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 images and 6 training steps")
    parser.add_argument("--images", type=int, default=None, help="number of generated PNGs (default 5000)")
    parser.add_argument("--batch", type=int, default=None, help="image folder batch size (default 64)")
    args = parser.parse_args()
    for group in parts(quick=args.quick, images=args.images, batch=args.batch):
        for row in group:
            ratio = "" if row["ratio"] is None else f"  ratio {row['ratio']:.2f}"
            print(f"{row['measure']:<78} {row['ours']:>10.1f} {row['baseline']:>10.1f}{ratio}", flush=True)


if __name__ == "__main__":
    main()
