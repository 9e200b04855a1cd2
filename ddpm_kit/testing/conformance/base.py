"""What a conformance property is: a named check of one spec instance (or of the spec class)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Skip(Exception):
    """Raised by a property that cannot run for this component (the message says why); not a failure."""


@dataclass
class Context:
    """What a property may use: a scratch folder, the hypothesis budget, the component's kind and name."""

    kind: str
    name: str
    tmp: Path
    max_examples: int = 10
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Property:
    """``check(target, ctx) -> problems``; ``target`` is a spec instance, or the spec class when ``per_class``."""

    name: str
    check: Callable[[Any, Context], list[str]]
    per_class: bool = False


def close(a: float, b: float, rel: float, abs_: float = 0.0) -> bool:
    """|a - b| <= max(rel * max(|a|, |b|), abs_), with equal infinities close."""
    if a == b:
        return True
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)
