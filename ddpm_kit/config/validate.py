"""From a YAML file (or a mapping) to a validated ``RunConfig`` with every problem reported at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ddpm_kit.config import compvis
from ddpm_kit.config.errors import ConfigError, FieldPath, Issue, Issues, join_path
from ddpm_kit.config.model import ModelConfig
from ddpm_kit.config.normalize import normalize_model_section, remap_path
from ddpm_kit.config.overrides import apply_overrides, split_override
from ddpm_kit.config.pydantic_errors import pydantic_issues  # re-exported: generation and the CLI use it
from ddpm_kit.config.rules import check_model, check_run
from ddpm_kit.config.run import RunConfig
from ddpm_kit.config.source import Source, read_yaml
from ddpm_kit.registry import REGISTRIES
from ddpm_kit.registry.field import spec_warnings


M = TypeVar("M", bound=BaseModel)


@dataclass
class Stages:
    """The issues of one validation, by the stage that found them; each stage words its paths its own way."""

    #: reading a CompVis-layout file: paths of the user's file as written
    file: Issues = field(default_factory=Issues)
    #: normalising the model section (flat schedule arguments): paths of the ddpm-kit layout
    layout: Issues = field(default_factory=Issues)
    #: pydantic and the cross-field rules: paths of the normalised config
    fields: Issues = field(default_factory=Issues)


@dataclass
class Report:
    """The outcome of validation: the config when valid, and every issue (errors and warnings)."""

    source: str
    config: RunConfig | None
    issues: list[Issue] = field(default_factory=list)
    compvis_layout: bool = False

    @property
    def errors(self) -> list[Issue]:
        return Issues(self.issues).errors

    @property
    def warnings(self) -> list[Issue]:
        return Issues(self.issues).warnings

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
    """Translate (CompVis layout), apply ``--set``, normalise the model section, validate (fields, warnings,
    rules), then locate every issue in the file or on the command line: one pass per concern."""
    stages = Stages()
    data: Any = source.data
    remap_top: dict[FieldPath, FieldPath] = {}
    layout = compvis.is_compvis_layout(data)
    if layout:
        data, remap_top = compvis.translate(data, stages.file)
        if stages.file.errors:
            return _finish(source, None, stages, Remaps(remap_top, {}), strict, layout)
    data = apply_overrides(data, overrides)
    overridden = [split_override(text)[0] for text in overrides]
    _check_requirements(data, stages.fields)  # before components: a missing plugin explains unknown names
    remap_model: dict[FieldPath, FieldPath] = {}
    if isinstance(data.get("model"), dict):
        data["model"], remap_model = normalize_model_section(data["model"], stages.layout)
    config = _validated(RunConfig, data, stages.fields, check_run)
    return _finish(source, config, stages, Remaps(remap_top, remap_model, overridden), strict, layout)


def _validated(model: type[M], data: Any, issues: Issues, check: Callable[[M, Issues], None]) -> M | None:
    """``model`` validated from ``data`` (its components' own warnings collected on the way), then the
    cross-field ``check``; None (with the per-field problems in ``issues``) when a field is invalid."""
    context: dict[str, Any] = {"warnings": []}
    try:
        config = model.model_validate(data, context=context)
    except ValidationError as exc:
        issues.extend(pydantic_issues(exc, data, model))
        return None
    issues.extend(component_warnings(config, context))
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


@dataclass(frozen=True)
class Remaps:
    """How a path of a later stage maps back to the user's input: the CompVis translation (to the file's
    paths), the model-section normalisation (to the user's model keys), and the ``--set`` paths."""

    top: dict[FieldPath, FieldPath]
    model: dict[FieldPath, FieldPath]
    overridden: Sequence[FieldPath] = ()


def _finish(source: Source, config: RunConfig | None, stages: Stages, remaps: Remaps, strict: bool,
            layout: bool) -> Report:
    located = [_in_file(issue, _split(issue.path), source, strict) for issue in stages.file.items]
    located += [_in_input(issue, _split(issue.path), source, remaps, strict) for issue in stages.layout.items]
    for issue in stages.fields.items:
        path = _split(issue.path)
        if path[:1] == ("model",):
            path = ("model",) + remap_path(path[1:], remaps.model)
        located.append(_in_input(issue, path, source, remaps, strict))
    if config is not None and any(i.severity == "error" for i in located):
        config = None
    located = _unique(located)
    located.sort(key=lambda i: (i.severity != "error", i.line or 0, i.column or 0))
    return Report(source.name, config, located, layout)


def _in_file(issue: Issue, path: FieldPath, source: Source, strict: bool) -> Issue:
    """``issue`` at ``path`` of the file as written, with its line and column."""
    severity = "error" if strict else issue.severity
    moved = Issue(join_path(path), issue.message, severity, issue.value, issue.has_value, issue.hint)
    return moved.located(source.name, *source.position(path))


def _in_input(issue: Issue, path: FieldPath, source: Source, remaps: Remaps, strict: bool) -> Issue:
    """``issue`` at ``path`` of the ddpm-kit layout: on the ``--set`` that gave the value, else in the file."""
    override = _override_of(path, remaps.overridden)
    path = remap_path(path, remaps.top)
    if override is None and path not in source.positions:  # a key that only --set wrote
        override = next((o for o in remaps.overridden if o[: len(path)] == path), None)
    if override is None:
        return _in_file(issue, path, source, strict)
    severity = "error" if strict else issue.severity
    moved = Issue(join_path(path), issue.message, severity, issue.value, issue.has_value, issue.hint)
    return moved.located(f"--set {join_path(override)}", None, None)  # from the command line, not the file


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


def component_warnings(config: BaseModel, context: Mapping[str, Any], prefix: FieldPath = ()) -> list[Issue]:
    """The warnings component specs raised about their own values (e.g. unreachable attention factors) while
    ``config`` was validated under ``context``, at each spec's path in the config."""
    return [Issue(join_path(path + tuple(sub)), message, "warning")
            for path, spec in component_slots(config, prefix) for sub, message in spec_warnings(context, spec)]
