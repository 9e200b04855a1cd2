"""From a YAML file (or a mapping) to a validated ``RunConfig`` with every problem reported at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ddpm_kit.config import compvis
from ddpm_kit.config.errors import ConfigError, Issue, Issues, join_path
from ddpm_kit.config.model import ModelConfig
from ddpm_kit.config.normalize import normalize_model_section, remap_path
from ddpm_kit.config.overrides import apply_overrides, split_override
from ddpm_kit.config.rules import check_model, check_run
from ddpm_kit.config.run import RunConfig
from ddpm_kit.config.source import Source, read_yaml
from ddpm_kit.registry import REGISTRIES, Component, did_you_mean


class _Discard(list):
    """A warnings sink for the first validation pass (component warnings are collected with paths later)."""

    def append(self, item: Any) -> None:
        pass


_QUIET: dict[str, Any] = {"warnings": _Discard()}
M = TypeVar("M", bound=BaseModel)


@dataclass
class Report:
    """The outcome of validation: the config when valid, and every issue (errors and warnings)."""

    source: str
    config: RunConfig | None
    issues: list[Issue] = field(default_factory=list)
    compvis_layout: bool = False

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.errors

    def raise_for_errors(self) -> RunConfig:
        if not self.ok:
            raise ConfigError(self.issues, self.source)
        assert self.config is not None
        return self.config


def validate_file(path: str | Path, overrides: Sequence[str] = (), *, strict: bool = False) -> Report:
    """Validate a config file; ConfigFileError (exit 2) if it cannot be read as YAML at all."""
    return validate_source(read_yaml(path), overrides, strict=strict)


def validate_source(source: Source, overrides: Sequence[str] = (), *, strict: bool = False) -> Report:
    # Three kinds of issues, by the wording of their paths: the file's own (CompVis translation), the
    # ddpm-kit layout (normalisation of the model section), and validated fields (pydantic and rules).
    file_issues, layout_issues, field_issues = Issues(), Issues(), Issues()
    data: Any = source.data
    remap_top: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    layout = compvis.is_compvis_layout(data)
    if layout:
        data, remap_top = compvis.translate(data, file_issues)
        if file_issues.errors:
            return _finish(source, None, (file_issues, layout_issues, field_issues), remap_top, {}, strict, layout)
    data = apply_overrides(data, overrides)
    overridden = [split_override(text)[0] for text in overrides]
    _check_requirements(data, field_issues)  # before components: a missing plugin explains unknown names
    remap_model: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    if isinstance(data.get("model"), dict):
        data["model"], remap_model = normalize_model_section(data["model"], layout_issues)
    config = _validated(RunConfig, data, field_issues, check_run)
    return _finish(source, config, (file_issues, layout_issues, field_issues), remap_top, remap_model, strict, layout,
                   overridden)


def _validated(model: type[M], data: Any, issues: Issues, check: Callable[[M, Issues], None]) -> M | None:
    """``model`` validated from ``data``, then its components' own warnings and the cross-field ``check``; None
    (with the per-field problems in ``issues``) when a field is invalid."""
    try:
        config = model.model_validate(data, context=_QUIET)
    except ValidationError as exc:
        issues.extend(pydantic_issues(exc, data, model))
        return None
    issues.extend(component_warnings(config))
    check(config, issues)
    return config


def _check_requirements(data: Any, issues: Issues) -> None:
    from ddpm_kit.config.rules import requirement_problem

    requirements = data.get("require_plugins") if isinstance(data, dict) else None
    if not isinstance(requirements, list):
        return
    for index, requirement in enumerate(requirements):
        if isinstance(requirement, str):
            problem = requirement_problem(requirement)
            if problem:
                issues.error(f"require_plugins[{index}]", problem, value=requirement)


def _finish(source: Source, config: RunConfig | None, issues: tuple[Issues, Issues, Issues], remap_top: dict,
            remap_model: dict, strict: bool, layout: bool, overridden: Sequence[tuple[Any, ...]] = ()) -> Report:
    located = []
    file_issues, layout_issues, field_issues = issues
    for kind, collection in enumerate(issues):
        for issue in collection.items:
            path = _split(issue.path)
            if kind == 2 and path[:1] == ("model",):
                path = ("model",) + remap_path(path[1:], remap_model)
            override = None
            if kind >= 1:
                override = _override_of(path, overridden)
                path = remap_path(path, remap_top)
                if override is None and path not in source.positions:  # a key that only --set wrote
                    override = next((o for o in overridden if o[: len(path)] == path), None)
            severity = "error" if strict else issue.severity
            moved = Issue(join_path(path), issue.message, severity, issue.value, issue.has_value, issue.hint)
            if override is not None:  # the value came from the command line, not from the file
                located.append(moved.located(f"--set {join_path(override)}", None, None))
            else:
                located.append(moved.located(source.name, *source.position(path)))
    if config is not None and any(i.severity == "error" for i in located):
        config = None
    located = _unique(located)
    located.sort(key=lambda i: (i.severity != "error", i.line or 0, i.column or 0))
    return Report(source.name, config, located, layout)


def _override_of(path: tuple[Any, ...], overridden: Sequence[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    """The ``--set`` path that gave the value at ``path`` (the longest that ``path`` starts with), if any."""
    matches = [o for o in overridden if path[: len(o)] == o]
    return max(matches, key=len) if matches else None


def _unique(issues: list[Issue]) -> list[Issue]:
    """Drop repeats that remapping made identical (a flat argument checked by its schedule too)."""
    unique = Issues()
    unique.extend(issues)
    return unique.items


def _split(path: str) -> tuple[Any, ...]:
    from ddpm_kit.config.overrides import OverrideError, parse_path

    try:
        return parse_path(path) if path else ()
    except OverrideError:
        return tuple(path.split("."))


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


def validate_model_kwargs(kwargs: Mapping[str, Any], *, strict: bool = False) -> tuple[ModelConfig, list[Issue]]:
    """Validate ``DDPM(**kwargs)``: the same per-field and cross-field rules as a YAML model section."""
    given, issues = Issues(), Issues()
    upstream = compvis.translate_ddpm_params(dict(kwargs), given)  # {target, params} blocks, as in a CompVis file
    if given.errors:
        raise ConfigError(given.items, "DDPM arguments")
    section, remap = normalize_model_section(upstream, given, prefix="")
    config = _validated(ModelConfig, section, issues, lambda model, found: check_model(model, found, prefix=""))
    located = [Issue(i.path.lstrip("."), i.message, "error" if strict else i.severity, i.value, i.has_value, i.hint)
               for i in given.items]
    for issue in issues.items:
        path = remap_path(_split(issue.path.lstrip(".")), remap)
        located.append(Issue(join_path(path), issue.message, "error" if strict else issue.severity, issue.value,
                             issue.has_value, issue.hint))
    located = _unique(located)
    if config is None or any(i.severity == "error" for i in located):
        raise ConfigError(located, "DDPM arguments")
    return config, located


def registries_summary() -> dict[str, list[str]]:
    return {kind: registry.names() for kind, registry in REGISTRIES.items()}


def component_slots(config: BaseModel, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every component spec inside ``config`` with its path (``(('model', 'unet_config'), UNetSpec(...))``)."""
    from ddpm_kit.registry import Spec

    found = []
    for name in type(config).model_fields:
        value = getattr(config, name)
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            where = path + (name,) + (() if index is None else (index,))
            if isinstance(item, Spec):
                found.append((where, item))
            elif isinstance(item, BaseModel):
                found.extend(component_slots(item, where))
    return found


def component_warnings(config: BaseModel, prefix: tuple[Any, ...] = ()) -> list[Issue]:
    """Warnings that component specs raise about their own values (e.g. unreachable attention factors)."""
    out = []
    for path, spec in component_slots(config, prefix):
        collected: list[tuple[tuple[Any, ...], str]] = []
        given = {"name": spec.name, **spec.model_dump(exclude_unset=True)}
        try:
            type(spec).model_validate(given, context={"warnings": collected})
        except ValidationError:  # cannot happen for a spec that validated; never let reporting fail
            continue
        out.extend(Issue(join_path(path + tuple(sub)), message, "warning") for sub, message in collected)
    return out
