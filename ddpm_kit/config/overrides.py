"""``--set key.path=value`` overrides: the value is YAML (``--set 'model.beta_schedule={name: cosine}'``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ddpm_kit.config.errors import ConfigFileError
from ddpm_kit.config.source import parse_yaml

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)$")


class OverrideError(ConfigFileError):
    """A malformed ``--set`` (usage error, exit code 2)."""


def parse_path(path: str) -> tuple[Any, ...]:
    """'model.ignore_keys[1]' -> ('model', 'ignore_keys', 1)."""
    parts: list[Any] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise OverrideError(f"--set {path!r}: {segment!r} is not a valid key (use dotted keys, list items as [i])")
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(parts)


def split_override(text: str) -> tuple[tuple[Any, ...], Any]:
    """'a.b=1e-4' -> (('a', 'b'), 0.0001)."""
    if "=" not in text:
        raise OverrideError(f"--set {text!r}: expected KEY=VALUE, e.g. --set trainer.max_steps=200")
    key, raw = text.split("=", 1)
    path = parse_path(key.strip())
    try:
        value = parse_yaml(raw, f"--set {key}").data if raw.strip() else None
    except ConfigFileError as exc:
        raise OverrideError(f"--set {text!r}: the value is not valid YAML ({exc})") from None
    return path, value


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with every override applied in order."""
    import copy

    result = copy.deepcopy(data)
    for text in overrides:
        path, value = split_override(text)
        node: Any = result
        for depth, part in enumerate(path[:-1]):
            nxt = path[depth + 1]
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    raise OverrideError(f"--set {text!r}: {'.'.join(map(str, path[:depth]))} has no item [{part}]")
                node = node[part]
                continue
            if not isinstance(node, dict):
                raise OverrideError(f"--set {text!r}: cannot set a key below a {type(node).__name__}")
            if node.get(part) is None or isinstance(node[part], str) and not isinstance(nxt, int):
                # A component given by name only (`beta_schedule: cosine`) grows into a mapping.
                node[part] = {"name": node[part]} if isinstance(node.get(part), str) else {}
            node = node[part]
        last = path[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise OverrideError(f"--set {text!r}: there is no list item [{last}] to set")
            node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise OverrideError(f"--set {text!r}: cannot set a key below a {type(node).__name__}")
    return result
