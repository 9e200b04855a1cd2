"""Booleans are never numbers and numbers never booleans, in every config section and component spec.

YAML 1.1 (PyYAML) reads ``yes``/``no``/``on``/``off`` as booleans, and pydantic's lax mode turns a
boolean into 1/0 for a number field (and 1/0 into a boolean). Both hide typos such as ``max_steps: yes``.
``reject_bool_number`` runs before every field's own validation (see ``Spec`` and the config sections):
a boolean given to a field that takes no boolean, or a number given to a field that takes only booleans,
is an error naming the field. ``enabled: yes`` for a boolean field stays ``true`` (YAML's meaning).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a (possibly Optional / Annotated) union annotation, flattened."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [annotation]


def _takes_number(members: list[Any]) -> bool:
    return any(m in (int, float) or (get_origin(m) is Literal and any(type(v) in (int, float) for v in get_args(m)))
               for m in members)


def _takes_bool(members: list[Any]) -> bool:
    return any(m is bool or (get_origin(m) is Literal and any(type(v) is bool for v in get_args(m))) for m in members)


def scalar_problem(annotation: Any, value: Any) -> str:
    """Why ``value`` does not fit ``annotation`` as a boolean/number, or '' when it may be validated as usual."""
    members = _members(annotation)
    if any(m is Any for m in members):
        return ""
    if isinstance(value, bool):
        if _takes_number(members) and not _takes_bool(members):
            return "must be a number, not a boolean (YAML reads yes/no/on/off as booleans)"
        return ""
    if isinstance(value, (int, float)) and _takes_bool(members) and not _takes_number(members):
        return "must be a boolean (true or false), not a number"
    return ""


def reject_bool_number(cls: Any, value: Any, info: Any) -> Any:
    """A ``field_validator("*", mode="before")`` body: ``value`` unchanged, or ValueError with the reason."""
    field = cls.model_fields.get(info.field_name) if info.field_name else None
    problem = scalar_problem(field.annotation, value) if field is not None else ""
    if problem:
        raise ValueError(problem)
    return value
