"""Property tests: valid configs round-trip; mutated configs always fail cleanly with paths."""

from __future__ import annotations

import copy
import math
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddpm_kit.config.source import parse_yaml
from tests.conftest import BASE_CONFIG
from tests.config.helpers import report_for

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

model_values = st.fixed_dictionaries({}, optional={
    "timesteps": st.integers(200, 4000),
    "parameterization": st.sampled_from(["eps", "x0", "v"]),
    "beta_schedule": st.sampled_from(["linear", "cosine", "sqrt_linear", "scaled_linear", "squaredcos_cap_v2"]),
    "loss_type": st.sampled_from(["l1", "l2"]),
    "linear_start": st.floats(1e-5, 1e-3),
    "linear_end": st.floats(1.5e-2, 3e-2),
    "v_posterior": st.floats(0, 1),
    "l_simple_weight": st.floats(0.1, 10),
    "original_elbo_weight": st.floats(0, 1),
    "log_every_t": st.integers(1, 500),
    "use_ema": st.booleans(),
    "clip_denoised": st.booleans(),
    "logvar_init": st.floats(-5, 5),
    "learn_logvar": st.booleans(),
    "ignore_keys": st.lists(st.text("abcdefgh._", min_size=1, max_size=8), max_size=3),
})


def _config(model_update: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(BASE_CONFIG)
    config["model"].update(model_update)
    if not config["model"].get("use_ema", True):
        config["model"]["monitor"] = "val/loss"
    return config


@SETTINGS
@given(model_values)
def test_valid_configs_round_trip(update):
    report = report_for(_config(update))
    assert report.ok, [i.format() for i in report.errors]
    dumped = yaml.safe_dump(report.config.model_dump(mode="json"), sort_keys=False)
    again = report_for(parse_yaml(dumped).data)
    assert again.ok, [i.format() for i in again.errors]
    assert again.config.model_dump() == report.config.model_dump()


def _leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _leaf_paths(value, path + (key,))]
    if isinstance(node, list) and node:
        return [p for index, value in enumerate(node) for p in _leaf_paths(value, path + (index,))]
    return [path]


def _mapping_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if not isinstance(node, dict):
        return []
    return [path] + [p for key, value in node.items() for p in _mapping_paths(value, path + (key,))]


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"nested": value}
    return value


BAD_LEAVES = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf]).map(lambda v: ("number", v)),
    st.just(("type", [{"a": 1}, {"b": [2]}])),
    st.integers(2, 200).map(lambda d: ("type", _deep(d))),
    st.text(min_size=1, max_size=30).map(lambda t: ("type", {"unicode": t})),
)


@SETTINGS
@given(update=model_values, data=st.data())
def test_mutated_configs_fail_with_paths(update, data):
    config = _config(update)
    kind = data.draw(st.sampled_from(["leaf", "unknown_key"]))
    if kind == "leaf":
        path = data.draw(st.sampled_from([p for p in _leaf_paths(config) if p[-1] != "name"]))
        flavour, value = data.draw(BAD_LEAVES)
        original = config
        for part in path:
            original = original[part]
        if flavour == "number" and isinstance(original, str):
            value = {"not": "a string"}
        _set(config, path, value)
    else:
        path = data.draw(st.sampled_from(_mapping_paths(config)))
        key = data.draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=3, max_size=12).map(lambda k: "zz_" + k))
        node = config
        for part in path:
            node = node[part]
        node[key] = data.draw(st.one_of(st.integers(), st.text(max_size=5), st.none()))
    report = report_for(config)
    assert not report.ok
    assert report.errors and all(issue.path for issue in report.errors)
