"""pydantic's validation errors as ``Issue``s: the user's path (without pydantic's union tags), short messages,
and "did you mean" for unknown keys."""

from __future__ import annotations

from types import UnionType
from typing import Any

from pydantic import BaseModel, ValidationError

from ddpm_kit.config.errors import Issue, join_path
from ddpm_kit.registry import Component, did_you_mean


def clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop what pydantic adds to a location that is not in the user's data (union member names such as
    'int' or 'tuple[constrained-int, ...]'); keep a final missing/unknown key."""
    out: list[Any] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(part, str) and _looks_like_type(part) and not (isinstance(node, dict) and part in node):
            continue  # a union member tag such as 'int' or 'function-plain[validate()]'
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, (list, tuple)) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif index == len(loc) - 1 and isinstance(node, dict) and isinstance(part, str):
            out.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and not _looks_like_type(part):
            out.append(part)  # a key that is absent: a default failed, or a nested missing key
            node = None
        # otherwise a union member tag: not part of the user's path
    return tuple(out)


def _looks_like_type(part: str) -> bool:
    return any(c in part for c in "[]()'") or part in ("int", "float", "str", "bool", "list", "dict", "none", "tuple")


def pydantic_issues(exc: ValidationError, data: Any, model: type[BaseModel]) -> list[Issue]:
    """pydantic errors as Issues, with 'did you mean' for unknown keys."""
    out = []
    errors = exc.errors(include_url=False)
    cleaned = [clean_loc(tuple(error["loc"]), data) for error in errors]
    for error, loc in zip(errors, cleaned):
        if error["type"] == "component_type" and len(loc) < len(error["loc"]) and sum(
                other[:len(loc)] == loc for other in cleaned) > 1:
            continue  # the other branch of a one-or-many union; the real error is reported beside it
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        hint = ""
        if error["type"] == "extra_forbidden" and loc:
            allowed = _allowed_keys(model, loc[:-1], data)
            hint = did_you_mean(str(loc[-1]), allowed).removeprefix("; ")
            if not hint and allowed:
                hint = f"known keys: {', '.join(sorted(allowed))}"
            message = "unknown key"
        elif error["type"] == "missing":
            message = "is required"
        has_value = error["type"] not in ("missing",)
        out.append(Issue(join_path(loc), message, "error", error.get("input"), has_value, hint))
    return out


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...], data: Any) -> list[str]:
    """Field names of the model found at ``loc`` (following components by the name in ``data``)."""
    current: Any = model
    node = data
    free_key = False  # the next part is a key of a dict[str, Model] field (ucg_training: {<key>: {p, val}})
    for part in loc:
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        if isinstance(part, int) or free_key:
            free_key = False
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        info = current.model_fields[part]
        component = next((m for m in info.metadata if isinstance(m, Component)), None)
        if component is None:
            component = _component_in(info.annotation)
        if component is not None:
            name = node.get("name") if isinstance(node, dict) else node
            try:
                current = component.registry.get(name)
            except Exception:
                return []
        else:
            current = _model_in(info.annotation)
            free_key = _is_mapping(info.annotation)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _is_mapping(annotation: Any) -> bool:
    """``dict[...]`` or ``dict[...] | None``."""
    import typing

    members = (typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, UnionType)
               else (annotation,))
    return any(typing.get_origin(m) is dict for m in members)


def _has(node: Any, part: Any) -> bool:
    return ((isinstance(node, dict) and part in node)
            or (isinstance(node, list) and isinstance(part, int) and part < len(node)))


def _component_in(annotation: Any) -> Component | None:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = next((m for m in getattr(arg, "__metadata__", ()) if isinstance(m, Component)), None)
        if found is not None:
            return found
        nested = _component_in(arg)
        if nested is not None:
            return nested
    return None


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None
