"""One registry per component kind: built-ins and entry-point plugins by name.

Built-ins register with the ``@REGISTRY.register`` decorator. Plugins declare an entry
point in the registry's group (``ddpm_kit.schedules`` ...), whose name equals the spec's
name and whose value points at a Spec subclass in a torch-free module. Discovery reads
package metadata only; a plugin module is imported when a config names it, or when a
listing asks for details. Two providers of one name is an error naming both.
"""

from __future__ import annotations

import difflib
import importlib.metadata as md
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ddpm_kit.registry.spec import Spec

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]*$")
BUILTIN = "builtin"
#: The distribution whose entry points are the built-ins (they register exactly as plugins do).
BUILTIN_DISTRIBUTION = "ddpm-kit"

S = TypeVar("S", bound=Spec)


class RegistryError(LookupError):
    """An unknown or ambiguous component name."""


class PluginError(RuntimeError):
    """A plugin that could not be loaded, or that breaks the registry's rules."""


class MissingDependency(PluginError):
    """A component whose optional dependency is not installed; the message says how to install it.

    ``ddpm-kit plugins check`` reports such a component as SKIP (a failure with ``--strict``)."""


@dataclass(frozen=True)
class Origin:
    """Where a component comes from: ``builtin`` or a distribution and its version."""

    distribution: str
    version: str = ""
    entry_point: str = ""

    def __str__(self) -> str:
        return self.distribution if not self.version else f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class _Provider:
    name: str
    origin: Origin
    entry: md.EntryPoint | None = None


def _close_matches(name: str, choices: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, sorted(choices), n=3, cutoff=0.6)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'cosine'?"`` or the empty string."""
    matches = _close_matches(name, choices)
    if not matches:
        return ""
    return "; did you mean " + " or ".join(repr(m) for m in matches) + "?"


_ENTRY_POINTS: md.EntryPoints | None = None


def _entry_points(group: str) -> md.EntryPoints:
    """Entry points of ``group``; the metadata of all distributions is scanned once per process."""
    global _ENTRY_POINTS
    if _ENTRY_POINTS is None:
        _ENTRY_POINTS = md.entry_points()
    return _ENTRY_POINTS.select(group=group)


_DISTRIBUTIONS: dict[int, tuple[str, str]] = {}


def _distribution(entry: md.EntryPoint) -> tuple[str, str]:
    """(name, version) of the distribution declaring ``entry``; its METADATA is parsed once."""
    if entry.dist is None:
        return "<unknown distribution>", ""
    key = id(entry.dist)
    if key not in _DISTRIBUTIONS:
        metadata = entry.dist.metadata
        _DISTRIBUTIONS[key] = (metadata["Name"], metadata["Version"])
    return _DISTRIBUTIONS[key]


def forget_entry_points() -> None:
    """Scan the installed distributions again on the next lookup (after installing or removing a plugin)."""
    global _ENTRY_POINTS
    _ENTRY_POINTS = None
    _DISTRIBUTIONS.clear()


def _plugin_policy() -> tuple[str, set[str], set[str]]:
    """(mode, allowlist, blocklist) from DDPM_KIT_PLUGINS and DDPM_KIT_BLOCK."""
    raw = os.environ.get("DDPM_KIT_PLUGINS", "all").strip()
    blocked = {b.strip() for b in os.environ.get("DDPM_KIT_BLOCK", "").split(",") if b.strip()}
    if raw in ("", "all"):
        return "all", set(), blocked
    if raw == "off":
        return "off", set(), blocked
    return "allow", {a.strip() for a in raw.split(",") if a.strip()}, blocked


class Registry(Generic[S]):
    """Name → spec class for one component kind."""

    def __init__(self, kind: str, base: type[S], group: str, description: str) -> None:
        self.kind = kind
        self.base = base
        self.group = group
        self.description = description
        self._builtins: dict[str, type[S]] = {}
        self._loaded: dict[str, tuple[type[S], Origin]] = {}
        self._discovered: dict[str, list[_Provider]] | None = None
        self._failures: dict[str, PluginError] = {}

    # ------------------------------------------------------------------ registration
    def register(self, spec: type[S]) -> type[S]:
        """Register a spec from code (tests, notebooks). Packages use entry points, built-ins included."""
        name = self._check_spec(spec, expected_name=None, where=f"{spec.__module__}.{spec.__qualname__}")
        if name in self._builtins or name in self._providers():
            raise RegistryError(f"{self.kind} {name!r} is already registered")
        origin = Origin("registered", "", f"{spec.__module__}:{spec.__qualname__}")
        self._builtins[name] = spec
        self._loaded[name] = (spec, origin)
        self._providers()[name] = [_Provider(name, origin)]
        return spec

    def unregister(self, name: str) -> None:
        """Remove a spec registered from code."""
        self._builtins.pop(name)
        self._loaded.pop(name, None)
        if self._discovered is not None:
            self._discovered.pop(name, None)

    def _check_spec(self, spec: object, expected_name: str | None, where: str) -> str:
        if not (isinstance(spec, type) and issubclass(spec, self.base)):
            raise PluginError(
                f"{where} is not a {self.kind} spec (expected a subclass of "
                f"{self.base.__module__}.{self.base.__qualname__}, got {spec!r})"
            )
        name = spec.spec_name()
        if not NAME_PATTERN.match(name):
            raise PluginError(f"{where}: name {name!r} must match {NAME_PATTERN.pattern}")
        if expected_name is not None and name != expected_name:
            raise PluginError(
                f"{where}: entry point is named {expected_name!r} but the spec's name is {name!r}; they must be equal"
            )
        return name

    # ------------------------------------------------------------------ discovery
    def _providers(self) -> dict[str, list[_Provider]]:
        """Builtins plus entry points of this group, read from metadata only (cached)."""
        if self._discovered is None:
            providers: dict[str, list[_Provider]] = {n: [_Provider(n, self._loaded[n][1])] for n in self._builtins}
            mode, allow, blocked = _plugin_policy()
            for entry in _entry_points(self.group):
                dist, version = _distribution(entry)
                if dist == BUILTIN_DISTRIBUTION:
                    origin = Origin(BUILTIN, version, entry.value)
                    providers.setdefault(entry.name, []).insert(0, _Provider(entry.name, origin, entry))
                    continue
                if mode != "off":
                    if dist in blocked or entry.name in blocked:
                        import logging  # here: validation never logs, and importing logging costs 2 ms

                        logging.getLogger(__name__).info("plugin %s from %s blocked by DDPM_KIT_BLOCK", entry.name,
                                                         dist)
                        continue
                    if mode == "allow" and dist not in allow and entry.name not in allow:
                        continue
                    origin = Origin(dist, version, entry.value)
                    providers.setdefault(entry.name, []).append(_Provider(entry.name, origin, entry))
            self._discovered = providers
        return self._discovered

    def refresh(self) -> None:
        """Forget discovered plugins (after installing one, or changing the env knobs)."""
        forget_entry_points()
        self._discovered = None
        self._failures.clear()
        self._loaded = {n: self._loaded[n] for n in self._builtins}

    def names(self) -> list[str]:
        """Every known name, plugins included, without importing any plugin."""
        return sorted(self._providers())

    # ------------------------------------------------------------------ lookup
    def get(self, name: str) -> type[S]:
        """The spec class registered as ``name``; imports that plugin only."""
        if name in self._loaded and len(self._providers().get(name, ())) <= 1:
            return self._loaded[name][0]
        providers = self._providers().get(name)
        if not providers:
            raise RegistryError(f"unknown {self.kind} {name!r}{did_you_mean(name, self.names())}"
                                f" (known: {', '.join(self.names())})")
        if len(providers) > 1:
            described = [f"{p.origin}" + (f" (entry point {p.origin.entry_point})" if p.entry else "")
                         for p in providers]
            raise PluginError(f"{self.kind} {name!r} is provided more than once: " + "; ".join(described)
                              + ". Uninstall one, or block it with DDPM_KIT_BLOCK=<distribution>.")
        return self._load(providers[0])

    def _load(self, provider: _Provider) -> type[S]:
        assert provider.entry is not None
        if provider.name in self._failures:
            raise self._failures[provider.name]
        where = f"plugin {provider.name!r} from distribution {provider.origin}"
        try:
            spec = provider.entry.load()
        except Exception as exc:  # a plugin's import can fail in any way
            error = PluginError(f"{where} failed to load: {type(exc).__name__}: {exc}. "
                                f"Fix or uninstall it, or block it with DDPM_KIT_BLOCK={provider.origin.distribution}")
            error.__cause__ = exc
            self._failures[provider.name] = error
            raise error from exc
        try:
            self._check_spec(spec, provider.name, where)
        except PluginError as error:
            self._failures[provider.name] = error
            raise
        self._loaded[provider.name] = (spec, provider.origin)
        return spec

    def origin(self, name: str) -> Origin:
        self.get(name)
        return self._loaded[name][1]

    def load_all(self) -> list[PluginError]:
        """Load every provider; return the failures instead of raising (for listings)."""
        problems: list[PluginError] = []
        for name in self.names():
            try:
                self.get(name)
            except (PluginError, RegistryError) as exc:
                problems.append(exc if isinstance(exc, PluginError) else PluginError(str(exc)))
        return problems

    def loaded(self) -> dict[str, tuple[type[S], Origin]]:
        """Name → (spec, origin) for what is loaded now."""
        return dict(self._loaded)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._providers()

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, group={self.group!r}, names={self.names()})"
