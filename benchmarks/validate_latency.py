"""Cold wall time of ``ddpm-kit validate`` next to ``python -c "import torch"``, measured in the same run.

Target: validate <= 0.15 x import torch. Run: ``python -m benchmarks.validate_latency [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digits.yaml"
TARGET = 0.15


def _wall(command: list[str]) -> float:
    # Bytecode caching as on a user's machine (torch's .pyc files were written when it was installed).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - start


def _ddpm_kit_command() -> list[str]:
    """The installed console script that a user runs (beside this interpreter), else ``python -m ddpm_kit``."""
    script = Path(sys.executable).with_name("ddpm-kit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ddpm_kit"]


def run(quick: bool = False, repeats: int | None = None) -> list[dict]:
    repeats = repeats or (3 if quick else 7)
    validate = [*_ddpm_kit_command(), "validate", str(EXAMPLE)]
    torch_import = [sys.executable, "-c", "import torch"]
    _wall(validate), _wall(torch_import)  # warm the file-system cache once
    times_validate, times_torch = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine state
        times_validate.append(_wall(validate))
        times_torch.append(_wall(torch_import))
    v, t = statistics.median(times_validate), statistics.median(times_torch)
    return [{"benchmark": "validate_latency", "measure": "ddpm-kit validate examples/digits.yaml vs import torch",
             "ours_s": v, "baseline_s": t, "ratio": v / t, "target": TARGET}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    (row,) = run(repeats=args.repeats)
    print(f"validate: {row['ours_s']:.3f} s   import torch: {row['baseline_s']:.3f} s   "
          f"ratio {row['ratio']:.3f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
