"""``python -m benchmarks [--quick] [NAME ...]``: every benchmark, one table of ratios measured in the same run."""

from __future__ import annotations

import argparse
import importlib

BENCHMARKS = ["validate_latency", "train_overhead", "backbone_speed", "sampler_overhead", "digits_quality",
              "data_throughput"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", default=BENCHMARKS, help=f"subset of {BENCHMARKS}")
    parser.add_argument("--quick", action="store_true", help="fewer repeats / smaller sizes")
    args = parser.parse_args()
    rows = []
    for name in args.names:
        module = importlib.import_module(f"benchmarks.{name}")
        rows.extend(module.run(quick=args.quick))
    print(f"{'benchmark':<20} {'measure':<62} {'ours':>10} {'baseline':>10} {'ratio':>7} {'target':>7}")
    for row in rows:
        target = row.get("target")
        ours = row.get("ours_s", row.get("ours", float("nan")))  # quality rows: "ours"/"baseline" are not seconds
        baseline = row.get("baseline_s", row.get("baseline", float("nan")))
        ratio = row.get("ratio")
        print(f"{row['benchmark']:<20} {row['measure'][:62]:<62} {ours:>10.4f} "
              f"{baseline:>10.4f} {float('nan') if ratio is None else ratio:>7.3f} "
              f"{'' if target is None else f'<={target}':>7}")


if __name__ == "__main__":
    main()
