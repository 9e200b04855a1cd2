"""Problems found in a config: each with its dotted path, position in the file, the value and the rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
#: A location in the config data: the keys and list indices from the root (``("model", "params", "timesteps")``).
FieldPath = tuple[Any, ...]


@dataclass(frozen=True)
class Issue:
    """One problem: ``path`` is dotted (``model.linear_start``); ``line``/``column`` are 1-based."""

    path: str
    message: str
    severity: Severity = "error"
    value: Any = None
    has_value: bool = False
    hint: str = ""
    line: int | None = None
    column: int | None = None
    file: str | None = None

    def located(self, file: str | None, line: int | None, column: int | None) -> Issue:
        return Issue(self.path, self.message, self.severity, self.value, self.has_value, self.hint, line, column, file)

    def format(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        text = f"{where}: {self.severity}: {self.path or '(config)'}: {self.message}"
        if self.has_value:
            text += f" (got {_short_repr(self.value)})"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = _jsonable(self.value) if self.has_value else None
        data.pop("has_value")
        return data


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value[:20]]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in list(value.items())[:20]}
    return _short_repr(value)


@dataclass
class Issues:
    """An ordered, de-duplicated collection of issues."""

    items: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        key = (issue.path, issue.message, issue.severity)
        if all((i.path, i.message, i.severity) != key for i in self.items):
            self.items.append(issue)

    def error(self, path: str, message: str, *, hint: str = "", **value: Any) -> None:
        self.add(Issue(path, message, "error", value.get("value"), "value" in value, hint))

    def warning(self, path: str, message: str, *, hint: str = "", **value: Any) -> None:
        self.add(Issue(path, message, "warning", value.get("value"), "value" in value, hint))

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.items if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.items if i.severity == "warning"]


class ConfigError(ValueError):
    """A config that cannot be used; ``issues`` holds every problem found."""

    def __init__(self, issues: Sequence[Issue], source: str | None = None) -> None:
        self.issues = tuple(issues)
        self.source = source
        errors = [i for i in self.issues if i.severity == "error"]
        head = f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in {source or 'the config'}"
        super().__init__(head + ":\n" + "\n".join("  " + i.format() for i in errors))


class ConfigFileError(ValueError):
    """The config file cannot be read at all (missing, unreadable, not YAML): exit code 2."""


def join_path(parts: Iterable[Any]) -> str:
    """('model', 'ignore_keys', 0) -> 'model.ignore_keys[0]'."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text
