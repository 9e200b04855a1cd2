"""Sample quality of ``ddpm-kit train``'s built-in default next to lucidrains' package at equal wall time.

Run: ``python -m benchmarks.digits_quality [--quick] [--minutes M] [--n N]`` (about 30 minutes on 2 CPU
cores, 15 of them the two 1000-step ancestral samplings; ``--quick`` about 6). Both trainings and all
sampling use 2 threads.

The score is a Fréchet distance (FD, as FID; Heusel et al. 2017) between the statistics of features of
generated and real digits, the features being the 64-unit penultimate layer of a small CNN classifier
trained on the real digits inside the benchmark (seeded, a few seconds; Inception features mean nothing
on 8x8 grey images). The real digits are split into two disjoint seeded halves A and B; B (899 images)
is the reference, generated sets have N >= 1000 samples, and runs are compared by the ratio of their FDs
(lower is better; ratio = FD_ddpm-kit / FD_baseline). Reference points printed beside them:
FD(A, B), what an independent sample of real digits scores (the floor of a generator whose samples are
independent of B); FD(N training images, B), what reproducing the training split scores: both
models train on 90% of the digits, which hold ~90% of B, so a generator that reproduces its training
data scores BELOW FD(A, B) (measured: 5 vs 15); and FD(Gaussian noise, B), the ceiling.
(A "recognisable share" from the classifier's confidence was tried and left
out: the classifier is >= 90% sure of a class for about 60% of pixel-shuffled digits.)

1. ``ddpm-kit train`` with the built-in default (``ddpm_kit/presets/digits.yaml``) runs as a
   subprocess; its wall time (imports, validation, training, validation passes, checkpoints, sample
   grids, loss curve) is the budget.
2. The baseline, lucidrains' denoising-diffusion-pytorch settings (``digits_quality_baseline``), trains
   on the same training split for the same wall time, in the same run.
3. Both are sampled with their EMA weights: ancestral 1000 steps and DDIM 50 steps (eta 0); ddpm-kit
   also with DPM-Solver++(2M) 20 steps.
"""

from __future__ import annotations

import os

# Passive OpenMP waiting, for both contestants: with the default (spinning) policy, 2 torch threads on a
# 2-core machine that other processes also use run ~30x slower than 1 thread (measured: 12 s vs 0.2 s per
# step); read when torch loads, so it is set before the import below (and passed to the subprocess).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor, nn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "ddpm_kit" / "presets" / "digits.yaml"
BUDGET_MINUTES = 10.0  # what the default must fit on 2 CPU cores (issue 5)
THREADS = 2
N_SAMPLES = 1000
QUICK_MINUTES, QUICK_SAMPLES = 1.0, 256
TARGET_RATIO = 0.5  # ddpm-kit's FD at most half of the baseline's, at equal wall time
#: ddpm-kit samplers scored: (label, registry name, parameters)
OURS_SAMPLERS = [("ancestral 1000", "ddpm", {}), ("DDIM 50", "ddim", {"steps": 50, "eta": 0.0}),
                 ("DPM++2M 20", "dpmpp_2m", {"steps": 20})]
log = logging.getLogger("benchmarks.digits_quality")


# ----------------------------------------------------------------------------------------- the metric
def real_digits() -> tuple[Tensor, Tensor]:
    """All 1,797 scikit-learn digits as [N, 1, 8, 8] in [-1, 1] (x / 8 - 1, as the ``digits`` source) and labels [N]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 8.0 - 1.0  # [N, 1, 8, 8]
    return images, torch.as_tensor(bunch.target, dtype=torch.int64)


class FeatureNet(nn.Module):
    """conv3x3(32) -> SiLU -> conv3x3/2(64) -> SiLU -> Linear(1024, 64) -> SiLU [features] -> Linear(64, 10)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.fc = nn.Linear(64 * 4 * 4, width)
        self.head = nn.Linear(width, 10)

    def features(self, x: Tensor) -> Tensor:
        h = F.silu(self.conv2(F.silu(self.conv1(x))))  # [B, 64, 4, 4]
        return F.silu(self.fc(h.flatten(1)))  # [B, width]

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))  # [B, 10] logits


def train_feature_net(images: Tensor, labels: Tensor, *, seed: int = 0, epochs: int = 10,
                      batch_size: int = 32) -> FeatureNet:
    """Adam(3e-3, weight decay 1e-4) on cross-entropy, seeded (about 98% held-out accuracy in a few seconds)."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = FeatureNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    for _ in range(epochs):
        for batch in torch.randperm(len(images), generator=generator).split(batch_size):
            loss = F.cross_entropy(net(images[batch]), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return net.eval()


@torch.no_grad()
def net_features(net: FeatureNet, images: Tensor, batch_size: int = 1024) -> np.ndarray:
    """Features [N, 64] float64 of images [N, 1, 8, 8], clamped to [-1, 1] first."""
    return np.concatenate([net.features(chunk).double().numpy() for chunk in images.clamp(-1, 1).split(batch_size)])


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu [D], Sigma [D, D]): mean and unbiased covariance of features [N, D]."""
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix by eigendecomposition (negative rounding clipped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """d^2 = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2) (Dowson & Landau 1982; FID,
    Heusel et al. 2017). The symmetric form has real eigenvalues, so no complex sqrtm clean-up is needed."""
    (mu_a, s_a), (mu_b, s_b) = a, b
    root_a = _sqrtm_psd(s_a)
    cross = _sqrtm_psd(root_a @ s_b @ root_a)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(cross))


@dataclass
class QualityScorer:
    """The trained feature net, the reference half B and the floor/ceiling at the benchmark's sample size."""

    net: FeatureNet
    reference: tuple[np.ndarray, np.ndarray]
    floor: float
    ceiling: float
    classifier_accuracy: float  # on half B, when trained on half A (a sanity check of the features)

    @classmethod
    def build(cls, n_noise: int = N_SAMPLES, seed: int = 0, epochs: int = 10) -> QualityScorer:
        images, labels = real_digits()
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
        half_a, half_b = order[: len(order) // 2], order[len(order) // 2:]
        check = train_feature_net(images[half_a], labels[half_a], seed=seed, epochs=epochs)
        with torch.no_grad():
            accuracy = float((check(images[half_b]).argmax(1) == labels[half_b]).float().mean())
        net = train_feature_net(images, labels, seed=seed, epochs=epochs)
        reference = feature_stats(net_features(net, images[half_b]))
        noise = torch.randn((n_noise, 1, 8, 8), generator=torch.Generator().manual_seed(seed + 1))
        return cls(net, reference, frechet_distance(feature_stats(net_features(net, images[half_a])), reference),
                   frechet_distance(feature_stats(net_features(net, noise)), reference), accuracy)

    def score(self, images: Tensor) -> float:
        """FD between the features of ``images`` [N, 1, 8, 8] and those of the reference half B."""
        return frechet_distance(feature_stats(net_features(self.net, images)), self.reference)


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


def train_default(out_dir: Path, config: Path | None = None, overrides: list[str] = ()) -> tuple[Path, float]:
    """``ddpm-kit train [config] --out out_dir [--set ...]`` in a subprocess on 2 threads: (last.ckpt, wall s)."""
    command = [sys.executable, "-m", "ddpm_kit.cli", "train", *([str(config)] if config else []),
               "--out", str(out_dir)]
    for override in overrides:
        command += ["--set", override]
    env = {**os.environ, "OMP_NUM_THREADS": str(THREADS), "MKL_NUM_THREADS": str(THREADS),
           "OMP_WAIT_POLICY": os.environ["OMP_WAIT_POLICY"]}
    log.info("running %s", " ".join(command))
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"ddpm-kit train failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    (out_dir / "train_stdout.txt").write_text(done.stdout + done.stderr)
    return out_dir / "checkpoints" / "last.ckpt", seconds


def sample_ours(checkpoint: Path, name: str, params: dict[str, Any], n: int, seed: int = 0) -> tuple[Tensor, float]:
    """n samples [n, 1, 8, 8] of the checkpoint's EMA weights with sampler ``name``: (samples, wall s)."""
    from ddpm_kit.generation import generate, sampler_from
    from ddpm_kit.inference import load_for_sampling

    module = load_for_sampling(checkpoint)
    spec = sampler_from(module, name, **params)
    start = time.perf_counter()
    samples, _ = generate(module, n, sampler=spec, seed=seed)
    return samples, time.perf_counter() - start


def training_split(config: Path) -> Tensor:
    """The training images [N, 1, 8, 8] of the config's data source (the baseline trains on the same split)."""
    from ddpm_kit.config import load_config

    run = load_config(config)
    splits = run.data.load_impl()(run.data)
    return splits.train.tensors[run.data.image_key]


# ----------------------------------------------------------------------------------------- the run
def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def run(quick: bool = False, minutes: float | None = None, n: int | None = None, config: Path | None = None,
        baseline: bool = True, samplers: list[str] | None = None, keep: Path | None = None) -> list[dict]:
    """Train both, sample, score; rows for ``python -m benchmarks`` (quality rows carry FD values in ``ours``
    and ``baseline``, time rows seconds in ``ours_s`` and ``baseline_s``)."""
    torch.set_num_threads(THREADS)
    minutes = minutes if minutes is not None else (QUICK_MINUTES if quick else BUDGET_MINUTES)
    n = n or (QUICK_SAMPLES if quick else N_SAMPLES)
    config_path = config or PRESET
    scorer, scorer_s = _timed(QualityScorer.build, n)
    log.info("feature net: held-out accuracy %.3f; floor FD %.3f, noise ceiling FD %.1f (%.1f s)",
             scorer.classifier_accuracy, scorer.floor, scorer.ceiling, scorer_s)
    with tempfile.TemporaryDirectory(prefix="digits_quality_") as tmp:
        out_dir = keep or Path(tmp) / "ours"
        overrides = step_overrides(config_path, minutes / BUDGET_MINUTES)
        log.info("1-minute load average before training: %.2f", os.getloadavg()[0])
        checkpoint, train_s = train_default(out_dir, config, overrides)
        log.info("1-minute load average after ddpm-kit's training: %.2f", os.getloadavg()[0])
        from ddpm_kit.checkpoint import read_checkpoint

        steps = int(read_checkpoint(checkpoint).get("global_step", 0))
        log.info("ddpm-kit: %d steps, %.0f s wall (ddpm-kit train, end to end)", steps, train_s)
        ours = {}
        for label, name, params in OURS_SAMPLERS:
            if samplers and name not in samplers:
                continue
            images, sample_s = sample_ours(checkpoint, name, params, n)
            ours[label] = {"fd": scorer.score(images), "sample_s": sample_s}
            log.info("ddpm-kit %s: FD %.3f (sampling %.0f s)", label, ours[label]["fd"], sample_s)
    theirs: dict[str, dict[str, float]] = {}
    base = None
    if baseline:
        from benchmarks.digits_quality_baseline import train_baseline

        base = train_baseline(training_split(config_path), train_s)
        log.info("1-minute load average after the baseline's training: %.2f", os.getloadavg()[0])
        shape = (n, 1, 8, 8)
        for label, fn in (("ancestral 1000", lambda g: base.diffusion.sample_ancestral(base.ema_model, shape, g)),
                          ("DDIM 50", lambda g: base.diffusion.sample_ddim(base.ema_model, shape, 50, g))):
            if samplers and {"ancestral 1000": "ddpm", "DDIM 50": "ddim"}[label] not in samplers:
                continue
            images, sample_s = _timed(fn, torch.Generator().manual_seed(0))
            theirs[label] = {"fd": scorer.score(images), "sample_s": sample_s}
            log.info("lucidrains %s: FD %.3f (sampling %.0f s)", label, theirs[label]["fd"], sample_s)
    train_images = training_split(config_path)
    picked = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(0))[:n]
    train_fd = scorer.score(train_images[picked])
    log.info("reference points: FD(real A, B) %.3f, FD(%d training images, B) %.3f, FD(noise, B) %.1f",
             scorer.floor, len(picked), train_fd, scorer.ceiling)
    return _rows(scorer, n, steps, train_s, ours, base, theirs, train_fd)


def _rows(scorer: QualityScorer, n: int, steps: int, train_s: float, ours: dict, base: Any, theirs: dict,
          train_fd: float) -> list[dict]:
    nan = float("nan")
    rows = [{"benchmark": "digits_quality", "measure": "training wall s (lucidrains gets the same)",
             "ours_s": train_s, "baseline_s": base.seconds if base else nan,
             "ratio": train_s / base.seconds if base else nan, "target": None, "ours_steps": steps,
             "baseline_steps": base.steps if base else None}]
    for label, score in ours.items():
        other = theirs.get(label)
        rows.append({"benchmark": "digits_quality", "measure": f"FD {label} (n={n}) vs lucidrains",
                     "ours": score["fd"], "baseline": other["fd"] if other else nan,
                     "ratio": score["fd"] / other["fd"] if other else nan,
                     "target": TARGET_RATIO if other else None,
                     "ours_sample_s": score["sample_s"], "baseline_sample_s": other["sample_s"] if other else None})
    rows.append({"benchmark": "digits_quality", "measure": "FD real half A | training images vs B; noise",
                 "ours": scorer.floor, "train_images": train_fd, "baseline": scorer.ceiling,
                 "ratio": scorer.floor / scorer.ceiling, "target": None,
                 "classifier_accuracy": scorer.classifier_accuracy})
    return rows


def format_table(rows: list[dict]) -> list[str]:
    """The rows as a table: wall times, FD per sampler, floor and ceiling."""
    lines = [f"{'measure':<48} {'ddpm-kit':>10} {'lucidrains':>10} {'ratio':>7}"]
    for row in rows:
        if "ours_s" in row:
            lines.append(f"{row['measure'][:48]:<48} {row['ours_s']:>8.0f} s {row['baseline_s']:>8.0f} s "
                         f"{row['ratio']:>7.2f}   optimizer steps {row['ours_steps']} vs {row['baseline_steps']}")
        elif "ours_sample_s" in row:
            sampling = f"{row['ours_sample_s']:.0f} s" + (
                f" vs {row['baseline_sample_s']:.0f} s" if row["baseline_sample_s"] is not None else "")
            lines.append(f"{row['measure'][:48]:<48} {row['ours']:>10.2f} {row['baseline']:>10.2f} "
                         f"{row['ratio']:>7.3f}   sampling {sampling}")
        else:
            lines.append(f"{'FD real A vs B | training images vs B':<48} {row['ours']:>10.2f} "
                         f"{row['train_images']:>10.2f}")
            lines.append(f"{'FD noise vs B (ceiling)':<48} {row['baseline']:>10.1f}"
                         f"{'':18}feature-net held-out accuracy {row['classifier_accuracy']:.3f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MINUTES:g}-minute run, {QUICK_SAMPLES} samples")
    parser.add_argument("--minutes", type=float, default=None,
                        help=f"scale the default's step counts by MINUTES / {BUDGET_MINUTES:g} (it is sized for "
                             f"{BUDGET_MINUTES:g} minutes); the baseline gets the measured wall time")
    parser.add_argument("--n", type=int, default=None, help=f"samples per sampler (default {N_SAMPLES})")
    parser.add_argument("--config", type=Path, default=None, help="another config in place of the default (screening)")
    parser.add_argument("--no-baseline", action="store_true", help="skip lucidrains' baseline")
    parser.add_argument("--samplers", nargs="*", default=None, help="subset of: ddpm ddim dpmpp_2m")
    parser.add_argument("--keep", type=Path, default=None, help="keep ddpm-kit's run directory here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    rows = run(args.quick, args.minutes, args.n, args.config, not args.no_baseline, args.samplers, args.keep)
    for line in format_table(rows):
        log.info(line)


if __name__ == "__main__":
    main()
