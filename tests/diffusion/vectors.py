"""Loaders for the upstream reference numbers in tests/data/vectors (see the README there)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"


@lru_cache(maxsize=None)
def schedule_cases() -> dict[str, Any]:
    """case name -> {config, by_v_posterior: {v: {param: {lvlb_weights_raw0}}}}."""
    return json.loads((VECTORS / "schedule_cases.json").read_text())["cases"]


@lru_cache(maxsize=None)
def schedule_arrays() -> dict[str, np.ndarray]:
    """'<case>/<name>', '<case>/v<v>/<name>', '<case>/v<v>/<param>/lvlb_weights' -> array."""
    with np.load(VECTORS / "schedule_arrays.npz") as data:
        return {key: data[key] for key in data.files}


@lru_cache(maxsize=None)
def loss_vectors() -> dict[str, Any]:
    return json.loads((VECTORS / "loss_vectors.json").read_text())


@lru_cache(maxsize=None)
def ddim_vectors() -> dict[str, Any]:
    return json.loads((VECTORS / "ddim_vectors.json").read_text())["ddim"]


def as_float(value: Any) -> float:
    """JSON numbers, with non-finite values stored as the strings 'Infinity' / '-Infinity' / 'NaN'."""
    return float(value)


def spec_for(config: dict[str, Any]) -> Any:
    """The ddpm-kit schedule spec for an upstream (beta_schedule, linear_start, linear_end, cosine_s) config."""
    from ddpm_kit.components.schedules.cosine import CosineSchedule
    from ddpm_kit.components.schedules.linear import LinearSchedule
    from ddpm_kit.components.schedules.sqrt import SqrtSchedule
    from ddpm_kit.components.schedules.sqrt_linear import SqrtLinearSchedule
    from ddpm_kit.components.schedules.squaredcos_cap_v2 import SquaredCosCapV2Schedule

    name = config["beta_schedule"]
    if name == "cosine":
        return CosineSchedule(cosine_s=config["cosine_s"])
    if name == "squaredcos_cap_v2":
        return SquaredCosCapV2Schedule()
    cls = {"linear": LinearSchedule, "sqrt_linear": SqrtLinearSchedule, "sqrt": SqrtSchedule}[name]
    return cls(linear_start=config["linear_start"], linear_end=config["linear_end"])
