"""Run the conformance properties of one component, or of many, into ``ComponentReport``s."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ddpm_kit.registry import REGISTRIES, MissingDependency, PluginError, RegistryError, Spec, did_you_mean
from ddpm_kit.testing.conformance.base import Context, Property, Skip
from ddpm_kit.testing.conformance.examples import build_examples
from ddpm_kit.testing.conformance.isolation import heavy_imports

#: kind -> (module of ddpm_kit.testing.conformance, attribute holding its properties); imported when used
KIND_PROPERTIES: dict[str, tuple[str, str]] = {
    "schedule": ("numeric", "SCHEDULE"), "loss": ("numeric", "LOSS"), "weighting": ("numeric", "WEIGHTING"),
    "lr_schedule": ("numeric", "LR_SCHEDULE"), "backbone": ("modules", "BACKBONE"), "ema": ("modules", "EMA"),
    "sampler": ("sampling", "SAMPLER"), "data": ("sampling", "DATA"),
    "feature_extractor": ("extractors", "FEATURE_EXTRACTOR"), "augment": ("augmentations", "AUGMENT"),
}

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class PropertyResult:
    """One property of one component: pass, fail (with the problems) or skip (with the reason)."""

    name: str
    status: Status
    details: tuple[str, ...] = ()


@dataclass
class ComponentReport:
    """Every property checked for one registered component."""

    kind: str
    name: str
    origin: str
    results: list[PropertyResult] = field(default_factory=list)
    seconds: float = 0.0

    #: set when an optional dependency of the component is missing (the install hint); its properties skip
    missing_dependency: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.status != "fail" for r in self.results)

    @property
    def violations(self) -> list[str]:
        """``"<property>: <problem>"`` for every failed property (empty when the component conforms)."""
        return [f"{r.name}: {d}" for r in self.results if r.status == "fail" for d in r.details]


# ----------------------------------------------------------------------------------------- common properties
def torch_free(spec_cls: type[Spec], ctx: Context) -> list[str]:
    """Importing the spec's module in a fresh interpreter imports no torch, numpy, Lightning or diffusers."""
    module = spec_cls.__module__
    found = ctx.cache.get(("heavy", module))
    if found is None:
        found = heavy_imports([module])[module]
    if isinstance(found, str):
        return [f"importing {module} failed: {found}"]
    return [f"importing {module} imports {', '.join(found)}"] if found else []


def documented(spec_cls: type[Spec], ctx: Context) -> list[str]:
    """A docstring whose first line describes the component, and a description on every field."""
    problems = [] if spec_cls.summary() else ["no docstring (the first line is the listing's description)"]
    bare = [n for n, f in spec_cls.model_fields.items() if n != "name" and not f.description]
    return problems + ([f"fields without Field(description=...): {bare}"] if bare else [])


def config_round_trip(spec: Spec, ctx: Context) -> list[str]:
    """model_dump(mode='json') validates back to an equal spec, and the JSON schema builds."""
    again = type(spec).model_validate(spec.model_dump(mode="json"))
    problems = [] if again == spec else [f"{spec!r} came back as {again!r}"]
    type(spec).model_json_schema()
    return problems


def implementation_imports(spec: Spec, ctx: Context) -> list[str]:
    """``impl`` names an importable callable (a spec of a kind that needs none may leave it empty)."""
    if not spec.impl and not spec.needs_impl:
        raise Skip(f"no implementation: the {spec.kind} spec computes its formula itself")
    return [] if callable(spec.load_impl()) else [f"{spec.impl} is not callable"]


COMMON = (
    Property("spec is torch-free", torch_free, per_class=True),
    Property("documented", documented, per_class=True),
    Property("config round trip", config_round_trip),
    Property("implementation imports", implementation_imports),
)


def kind_properties(kind: str) -> tuple[Property, ...]:
    module, attribute = KIND_PROPERTIES[kind]
    return getattr(importlib.import_module(f"ddpm_kit.testing.conformance.{module}"), attribute)


# ----------------------------------------------------------------------------------------- running
def run_property(prop: Property, spec_cls: type[Spec], instances: Sequence[Spec], ctx: Context) -> PropertyResult:
    """Run ``prop`` on the class or on every instance; exceptions are failures, ``Skip`` a skip."""
    targets: Sequence[Any] = [spec_cls] if prop.per_class else instances
    problems: list[str] = []
    for index, target in enumerate(targets):
        prefix = f"example {index}: " if len(targets) > 1 else ""
        try:
            problems += [prefix + p for p in prop.check(target, ctx)]
        except Skip as reason:
            return PropertyResult(prop.name, "skip", (str(reason),))
        except MissingDependency:
            raise  # the whole component skips (component_report)
        except Exception as exc:  # a component may fail in any way; that is what is being checked
            problems.append(f"{prefix}raised {type(exc).__name__}: {exc}")
    return PropertyResult(prop.name, "fail" if problems else "pass", tuple(problems))


def component_report(kind: str, name: str, *, max_examples: int = 10,
                     cache: dict[Any, Any] | None = None) -> ComponentReport:
    """Load ``name`` from the ``kind`` registry and run the common and the kind's properties on it."""
    registry = REGISTRIES[kind]
    start = time.perf_counter()
    try:
        spec_cls = registry.get(name)
        origin = str(registry.origin(name))
    except (PluginError, RegistryError) as exc:
        return ComponentReport(kind, name, "?", [PropertyResult("loads", "fail", (str(exc).strip("\"'"),))],
                               time.perf_counter() - start)
    report = ComponentReport(kind, name, origin, [PropertyResult("loads", "pass")])
    with tempfile.TemporaryDirectory(prefix="ddpm-kit-conformance-") as tmp:
        ctx = Context(kind, name, Path(tmp), max_examples, cache if cache is not None else {})
        instances, problems = build_examples(kind, name, spec_cls, Path(tmp))
        report.results.append(PropertyResult("examples validate", "fail" if problems else "pass", tuple(problems)))
        for prop in COMMON + kind_properties(kind):
            if report.missing_dependency is not None or (not instances and not prop.per_class):
                reason = report.missing_dependency or "no example validates"
                report.results.append(PropertyResult(prop.name, "skip", (reason,)))
                continue
            try:
                report.results.append(run_property(prop, spec_cls, instances, ctx))
            except MissingDependency as exc:
                report.missing_dependency = str(exc)
                report.results.append(PropertyResult(prop.name, "skip", (str(exc),)))
    report.seconds = time.perf_counter() - start
    return report


def run_checks(targets: Iterable[tuple[str, str]], *, max_examples: int = 10) -> Iterator[ComponentReport]:
    """Reports for (kind, name) pairs, in order; the torch-free import checks run up front, together."""
    targets = list(targets)
    modules: dict[str, str] = {}
    for kind, name in targets:
        try:
            modules[f"{kind}:{name}"] = REGISTRIES[kind].get(name).__module__
        except (PluginError, RegistryError):
            pass
    cache: dict[Any, Any] = {("heavy", m): found for m, found in heavy_imports(modules.values()).items()}
    for kind, name in targets:
        yield component_report(kind, name, max_examples=max_examples, cache=cache)


# ----------------------------------------------------------------------------------------- selecting
def _distributions(kind: str) -> dict[str, list[str]]:
    """Distribution name -> the names it provides to ``kind``'s group (metadata only, nothing imported)."""
    out: dict[str, list[str]] = {}
    for entry in md.entry_points(group=REGISTRIES[kind].group):
        if entry.dist is not None:
            out.setdefault(entry.dist.metadata["Name"], []).append(entry.name)
    return out


def select(tokens: Sequence[str], kinds: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(kind, name) pairs for ``KIND:NAME``, ``NAME`` (every kind that has it) or a distribution name;
    everything when ``tokens`` is empty. ``kinds`` restricts the kinds. Unknown tokens raise RegistryError."""
    unknown_kinds = [k for k in kinds if k not in REGISTRIES]
    if unknown_kinds:
        raise RegistryError(f"unknown component kind {unknown_kinds[0]!r}{did_you_mean(unknown_kinds[0], REGISTRIES)}"
                            f"; kinds: {', '.join(REGISTRIES)}")
    registries = {k: r for k, r in REGISTRIES.items() if not kinds or k in kinds}
    if not tokens:
        return [(kind, name) for kind, registry in registries.items() for name in registry.names()]
    selected: list[tuple[str, str]] = []
    for token in tokens:
        kind, _, name = token.rpartition(":") if ":" in token else ("", "", token)
        if kind and kind not in registries:
            raise RegistryError(f"unknown component kind {kind!r}{did_you_mean(kind, registries)} in {token!r}")
        found = [(k, name) for k, r in registries.items() if (not kind or k == kind) and name in r]
        if not found and not kind:
            found = [(k, n) for k in registries for n in sorted(_distributions(k).get(token, []))]
        if not found:
            everything = {n for r in registries.values() for n in r.names()}
            raise RegistryError(f"no component or plugin distribution named {token!r}{did_you_mean(name, everything)}")
        selected += [pair for pair in found if pair not in selected]
    return selected
