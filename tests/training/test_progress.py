"""The training display: one bar over optimizer steps on a terminal, plain lines through a pipe, no banners."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from ddpm_kit.progress import PlainProgress, format_duration
from ddpm_kit.training.progress import figures
from tests.conftest import ROOT, subprocess_env

TOY = str(ROOT / "examples" / "toy2d.yaml")
BANNERS = ("Tip", "GPU available", "TPU available", "Epoch 0/-2", "LOCAL_RANK")


def train_command(out: Path) -> list[str]:
    return [sys.executable, "-m", "ddpm_kit.cli", "train", TOY, "--set", "trainer.max_steps=20", "--set",
            "output.image_every_n_steps=0", "--out", str(out)]


def read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def test_terminal_shows_one_bar_over_steps(tmp_path: Path) -> None:
    parent, child = pty.openpty()
    proc = subprocess.Popen(train_command(tmp_path / "run"), stdin=child, stdout=child, stderr=child,
                            env=subprocess_env(OMP_NUM_THREADS="1", COLUMNS="160"), close_fds=True)
    os.close(child)
    text = read_all(parent).decode(errors="replace")
    os.close(parent)
    assert proc.wait(timeout=300) == 0, text[-2000:]
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert "━" in plain  # rich's bar
    assert "20/20" in plain and "100%" in plain and "it/s" in plain and "loss " in plain
    assert "\r" in text  # redrawn in place, not a new line per update
    for banner in BANNERS:
        assert banner not in plain


def test_pipe_gets_plain_lines(tmp_path: Path) -> None:
    done = subprocess.run(train_command(tmp_path / "run"), capture_output=True, text=True, timeout=300,
                          env=subprocess_env(OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stdout + done.stderr
    lines = [line for line in output.splitlines() if line.startswith("step ")]
    assert re.fullmatch(r"step 20/20 \(100%\) [\d.]+ it/s ETA \S+ loss \d+\.\d{4} lr 2\.0e-03", lines[-1])
    assert 2 <= len(lines) <= 12  # every 10% (or 5 s), not every step
    assert "━" not in output and "\r" not in output
    for banner in BANNERS:
        assert banner not in output
    assert "trained to step 20" in done.stdout


def test_plain_lines_every_ten_percent() -> None:
    stream = io.StringIO()
    progress = PlainProgress(100, "step", stream, every_seconds=1e9)
    for step in range(1, 101):
        progress.update(step, f"loss {step:.4f}")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == [f"{k}/100" for k in range(10, 101, 10)]
    assert lines[-1].endswith("loss 100.0000")


def test_figures_pick_loss_lr_and_fd() -> None:
    metrics = {"train/loss_step": 0.04123, "train/loss_epoch": 9.0, "val/fd_dinov2": 12.345, "global_step": 3.0}
    assert figures(metrics, 2e-4) == "loss 0.0412 lr 2.0e-04 val/fd_dinov2 12.35"
    assert figures({}, None) == ""


def test_format_duration() -> None:
    assert [format_duration(s) for s in (5, 520, 3720)] == ["5s", "8m40s", "1h02m"]
