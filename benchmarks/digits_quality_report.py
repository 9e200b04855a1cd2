"""The table of ``digits_quality``: per (model, sampler), the mean and spread over training seeds."""

from __future__ import annotations

import math
import statistics
from typing import Any

#: (row key, column title, format) of the table's figures
COLUMNS = [("steps", "optimizer steps", "{:.0f}"), ("cpu_s", "train CPU s", "{:.0f}"), ("fd", "FD", "{:.2f}"),
           ("kid", "KID", "{:.3g}"), ("precision", "precision", "{:.3f}"), ("recall", "recall", "{:.3f}"),
           ("mem", "mem", "{:.3f}"), ("sample_s", "sample s", "{:.0f}")]
SCALE: dict[str, float] = {}
OURS = "ddpm-kit default"
FLOOR = "real training half (floor)"


def mean_spread(values: list[float]) -> tuple[float, float]:
    """(mean, sample standard deviation; 0 for one value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (model, sampler) in first-seen order: {"model", "sampler", "seeds", key: (mean, std)}."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["model"], row["sampler"]), []).append(row)
    out = []
    for (model, sampler), members in groups.items():
        entry: dict[str, Any] = {"model": model, "sampler": sampler, "seeds": sorted(r["seed"] for r in members),
                                 "n": members[0]["n"]}
        for key, _, _ in COLUMNS:
            values = [float(r[key]) * SCALE.get(key, 1.0) for r in members if r.get(key) is not None]
            if values:
                entry[key] = mean_spread(values)
        out.append(entry)
    return out


def _cell(entry: dict[str, Any], key: str, fmt: str) -> str:
    if key not in entry:
        return ""
    mean, std = entry[key]
    return fmt.format(mean) if std == 0 or len(entry["seeds"]) < 2 else f"{fmt.format(mean)} ± {fmt.format(std)}"


def format_table(rows: list[dict[str, Any]]) -> list[str]:
    """A Markdown table: model, sampler, then mean ± std (over the seeds) of each figure."""
    entries = aggregate(rows)
    if not entries:
        return ["(no results)"]
    seeds = sorted({seed for entry in entries for seed in entry["seeds"]})
    lines = [f"training seeds {seeds}, n = {entries[0]['n']} samples per row; mean ± std over the seeds", "",
             "| model | sampler | " + " | ".join(title for _, title, _ in COLUMNS) + " |",
             "|---|---|" + "---:|" * len(COLUMNS)]
    for entry in entries:
        cells = [_cell(entry, key, fmt) for key, _, fmt in COLUMNS]
        lines.append(f"| {entry['model']} | {entry['sampler']} | " + " | ".join(cells) + " |")
    return lines


def summary_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for ``python -m benchmarks``: ddpm-kit's mean FD over lucidrains' per sampler and budget (lower is
    better), and the real-vs-real floor next to ddpm-kit's best FD."""
    entries = {(e["model"], e["sampler"]): e for e in aggregate(rows)}
    out = []
    for (model, sampler), entry in entries.items():
        ours = entries.get((OURS, sampler))
        if model.startswith("lucidrains") and ours is not None and "fd" in entry:
            out.append({"benchmark": "digits_quality", "measure": f"FD {sampler}, {model.split(', ')[1]}",
                        "ours": ours["fd"][0], "baseline": entry["fd"][0], "ratio": ours["fd"][0] / entry["fd"][0],
                        "target": None, "seeds": entry["seeds"]})
    floor = entries.get((FLOOR, ""))
    best = min((e["fd"][0] for (m, _), e in entries.items() if m == OURS and "fd" in e), default=math.nan)
    if floor is not None:
        out.append({"benchmark": "digits_quality", "measure": "best ddpm-kit FD vs real-vs-real floor",
                    "ours": best, "baseline": floor["fd"][0], "ratio": best / floor["fd"][0], "target": None})
    return out
