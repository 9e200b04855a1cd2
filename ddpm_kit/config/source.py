"""Reading YAML configs safely, keeping the line:column of every key.

Only PyYAML's SafeLoader is used (no tags that construct objects). On top of it:
``1e-4`` reads as a float (YAML 1.2 / OmegaConf behaviour, PyYAML would give a string),
duplicate keys are errors (PyYAML keeps the last silently) except the overrides after a merge key
(``<<: *base``, where the mapping's own key wins as YAML specifies), a scalar that does not convert
(``!!float abc``, a 5000-digit integer) is an error at its line, and alias expansion is bounded
so an alias bomb fails fast instead of exhausting memory in validation (long plain lists are fine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ddpm_kit.config.errors import ConfigFileError

MAX_EXPANDED_NODES = 200_000
MAX_FILE_BYTES = 4 * 1024 * 1024

_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


# libyaml's parser where PyYAML was built with it (several times faster); the constructor and resolver,
# which decide what a value means, are PyYAML's SafeLoader ones either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """SafeLoader with YAML-1.2 floats, duplicate-key detection and located conversion errors."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # !!float abc, !!int abc, a bad !!timestamp, 5000 digits
            value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(value)!r} as {node.tag.rsplit(':', 1)[-1]}: {exc}", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # The mapping's own keys must be unique; keys merged in by `<<` come first and are overridden.
        own = [(k, v) for k, v in node.value if k.tag != "tag:yaml.org,2002:merge"]
        self.flatten_mapping(node)
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in own:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping keys must be plain scalars, found {type(key).__name__}", key_node.start_mark
                )
            if key in seen:
                first = seen[key].start_mark
                raise yaml.constructor.ConstructorError(
                    f"key {key!r} first defined at line {first.line + 1}", first,
                    f"duplicate key {key!r}", key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# PyYAML resolvers are class-level lists; copy before adding ours so SafeLoader is untouched.
_Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _short(text: Any, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


@dataclass
class Source:
    """A parsed config: the plain data plus key positions (path tuple -> (line, column), 1-based)."""

    data: Any
    name: str
    positions: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)

    def position(self, path: tuple[Any, ...]) -> tuple[int | None, int | None]:
        """Position of ``path`` or of its nearest ancestor present in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return None, None


def _alias_growth(node: yaml.Node) -> int:
    """Nodes that alias expansion adds: the expanded size minus the distinct nodes written in the text."""
    memo: dict[int, int] = {}
    return _expanded_size(node, memo) - len(memo)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    key = id(node)
    if key not in memo:
        memo[key] = 1  # guards recursive structures
        if isinstance(node, yaml.MappingNode):
            size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(_expanded_size(v, memo) for v in node.value)
        else:
            size = 1
        memo[key] = size
    return memo[key]


def _record_positions(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], tuple[int, int]],
                      depth: int = 0) -> None:
    if depth > 64:
        return
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = path + (key_node.value,)
                out.setdefault(child, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                _record_positions(value_node, child, out, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = path + (index,)
            out.setdefault(child, (item.start_mark.line + 1, item.start_mark.column + 1))
            _record_positions(item, child, out, depth + 1)


def parse_yaml(text: str, name: str = "<string>") -> Source:
    """Parse YAML text; a syntax error, unsafe tag or alias bomb raises ConfigFileError."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Source({}, name)
        if _alias_growth(node) > MAX_EXPANDED_NODES:
            raise ConfigFileError(
                f"{name}: the YAML expands to more than {MAX_EXPANDED_NODES:,} nodes through anchors/aliases "
                f"(an alias bomb?); refusing to read it"
            )
        data = loader.construct_document(node)  # from the composed nodes: the text is parsed once
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigFileError(f"{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise ConfigFileError(f"{name}: the YAML is nested too deeply to read") from None
    finally:
        loader.dispose()
    positions: dict[tuple[Any, ...], tuple[int, int]] = {}
    _record_positions(node, (), positions)
    return Source(data, name, positions)


def read_yaml(path: str | Path) -> Source:
    """Read a YAML file; a missing, unreadable, binary or non-YAML file raises ConfigFileError."""
    from ddpm_kit.files import input_file_problem

    path = Path(path)
    if not path.exists():
        raise ConfigFileError(f"{path}: no such file")
    if path.is_dir():
        raise ConfigFileError(f"{path}: is a directory, expected a YAML file")
    problem = input_file_problem(path, "config")
    if problem:
        raise ConfigFileError(f"{path}: {problem}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigFileError(f"{path}: {len(raw):,} bytes is too large for a config file")
    if b"\x00" in raw:
        raise ConfigFileError(f"{path}: looks like a binary file, not YAML")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigFileError(f"{path}: is not UTF-8 text (byte {exc.start})") from None
    source = parse_yaml(text, str(path))
    if source.data is None:
        source.data = {}
    if not isinstance(source.data, dict):
        raise ConfigFileError(f"{path}: the top level must be a mapping of sections, got {type(source.data).__name__}")
    return source
