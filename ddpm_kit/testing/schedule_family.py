"""``check_schedule_family``: ``check_schedule`` under hypothesis over a schedule spec class's field constraints,
and ``spec_strategy``, the hypothesis strategy of valid specs of a class. hypothesis is imported when used."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ddpm_kit.registry import ScheduleSpec
from ddpm_kit.testing.schedules import check_schedule


def _bounds(field: Any) -> tuple[float | None, float | None, bool, bool]:
    """(low, high, low_open, high_open) from a pydantic field's annotated_types metadata."""
    low = high = None
    low_open = high_open = False
    for item in field.metadata:
        for attr, is_low, is_open in (
            ("ge", True, False), ("gt", True, True), ("le", False, False), ("lt", False, True)
        ):
            value = getattr(item, attr, None)
            if value is None:
                continue
            if is_low:
                low, low_open = float(value), is_open
            else:
                high, high_open = float(value), is_open
    return low, high, low_open, high_open


def _float_strategy(field: Any) -> Any:
    from hypothesis import strategies as st

    low, high, low_open, high_open = _bounds(field)
    default = field.default if isinstance(field.default, (int, float)) else 0.0
    if default > 0 and (low is None or low >= 0):  # a positive scale: log-uniform over a decade each side
        lo, hi = default / 10.0, default * 10.0
    elif default != 0:
        lo, hi = default - 2 * abs(default), default + 2 * abs(default)
    else:
        lo, hi = -1.0, 1.0
    lo = lo if low is None else max(lo, low)
    hi = hi if high is None else min(hi, high)
    if not lo < hi:
        raise TypeError(f"cannot build a float window for field with bounds {low}..{high}; pass overrides")
    base = (
        st.floats(math.log(lo), math.log(hi)).map(math.exp)
        if lo > 0 and default > 0
        else st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    )
    return base.filter(
        lambda x: (low is None or (x > low if low_open else x >= low))
        and (high is None or (x < high if high_open else x <= high))
    )


def _field_strategy(name: str, field: Any) -> Any:
    import typing

    from hypothesis import strategies as st

    annotation = field.annotation
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return st.booleans()
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    if annotation is int:
        low, high, low_open, high_open = _bounds(field)
        default = field.default if isinstance(field.default, int) else 1
        lo = int(low) + int(low_open) if low is not None else default - 10
        hi = int(high) - int(high_open) if high is not None else max(lo, default * 4)
        return st.integers(lo, hi)
    if annotation is float:
        return _float_strategy(field)
    if origin is list and typing.get_args(annotation) == (float,):
        min_size = max([2] + [getattr(m, "min_length", 0) or 0 for m in field.metadata])
        return st.lists(st.floats(1e-4, 0.1), min_size=min_size, max_size=max(min_size, 64))
    raise TypeError(f"no default strategy for field {name!r} ({annotation}); pass overrides={{{name!r}: ...}}")


def spec_strategy(spec_cls: type[ScheduleSpec], overrides: Mapping[str, Any] | None = None) -> Any:
    """A hypothesis strategy of valid ``spec_cls`` instances built from its fields' types and constraints.

    bool -> booleans; Literal -> its values; int -> its bounds; float -> its bounds intersected with a
    window around the default (log-uniform over [d/10, 10 d] for a positive default, [d - 2|d|, d + 2|d|]
    otherwise, [-1, 1] for 0); list[float] -> beta-like lists in [1e-4, 0.1]. ``overrides`` maps a field
    name to a strategy. Combinations the spec's validators reject are filtered out.
    """
    from hypothesis import strategies as st
    from pydantic import ValidationError

    overrides = dict(overrides or {})
    fields = {
        name: overrides.pop(name) if name in overrides else _field_strategy(name, field)
        for name, field in spec_cls.model_fields.items()
        if name != "name"
    }
    if overrides:
        raise KeyError(f"overrides for unknown fields of {spec_cls.__name__}: {sorted(overrides)}")

    def build(values: dict[str, Any]) -> ScheduleSpec | None:
        try:
            return spec_cls.model_validate(values)
        except ValidationError:
            return None

    return st.fixed_dictionaries(fields).map(build).filter(lambda spec: spec is not None)


def check_schedule_family(
    spec_cls: type[ScheduleSpec],
    *,
    min_timesteps: int = 2,
    max_timesteps: int = 1000,
    max_examples: int = 25,
    overrides: Mapping[str, Any] | None = None,
    derandomize: bool = True,
) -> None:
    """Run ``check_schedule`` under hypothesis over ``spec_strategy(spec_cls)`` x T in [min, max].

    (spec, T) pairs for which ``spec.check(T)`` declares a problem are skipped (validation refuses them);
    if it refuses everything hypothesis reports the family as unsatisfiable. Raises AssertionError with
    the falsifying spec, T and violations.
    """
    from hypothesis import HealthCheck, assume, given, settings
    from hypothesis import strategies as st

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(spec=spec_strategy(spec_cls, overrides), timesteps=st.integers(min_timesteps, max_timesteps))
    def family(spec: ScheduleSpec, timesteps: int) -> None:
        try:
            declared = spec.check(timesteps)
        except Exception as exc:
            raise AssertionError(f"{spec!r}.check({timesteps}) raised {type(exc).__name__}: {exc}") from exc
        assume(not declared)
        violations = check_schedule(spec, timesteps)
        assert not violations, f"{spec!r} at T={timesteps}: " + "; ".join(violations)

    family()
