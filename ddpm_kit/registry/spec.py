"""The base of every component spec: a frozen, torch-free pydantic model.

A spec is what a config names: ``{name: cosine, cosine_s: 0.008}``. It carries the
typed parameters with their constraints, a docstring with the formula and its source,
and the dotted location of the implementation, which is imported only by ``load_impl``
(never from a config: ``impl`` is a class constant written by the component's author).
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from ddpm_kit.registry.scalars import reject_bool_number


class Spec(BaseModel):
    """Base of all component specs. Subclasses narrow ``name`` to a ``Literal``."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False,
                              defer_build=True)

    name: str

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Booleans are never numbers and numbers never booleans (``max_steps: yes`` is an error)."""
        return reject_bool_number(cls, value, info)

    #: ``"package.module:attribute"`` of the torch implementation, imported lazily.
    impl: ClassVar[str] = ""
    #: False for the kinds whose spec can be its own implementation (schedules, weightings).
    needs_impl: ClassVar[bool] = True
    #: Registry kind, set on the family base class (``"schedule"``, ``"loss"``, ...).
    kind: ClassVar[str] = ""

    @classmethod
    def spec_name(cls) -> str:
        """The registered name: the single value of the ``name`` Literal."""
        annotation = cls.model_fields["name"].annotation
        values = get_args(annotation)
        if len(values) != 1 or not isinstance(values[0], str):
            raise TypeError(f"{cls.__qualname__}.name must be annotated as Literal['<one name>']")
        return values[0]

    @classmethod
    def summary(cls) -> str:
        """First line of the docstring: the one-line description shown in listings."""
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def load_impl(self) -> Any:
        """Import and return the implementation object named by ``impl``."""
        if not self.impl or ":" not in self.impl:
            raise TypeError(f"{type(self).__qualname__} declares no implementation ('impl' = {self.impl!r})")
        module_name, attribute = self.impl.split(":", 1)
        return getattr(importlib.import_module(module_name), attribute)

    def explicit_params(self) -> dict[str, Any]:
        """Parameters the user set explicitly (everything but the name)."""
        return {k: getattr(self, k) for k in self.model_fields_set if k != "name"}


class SpecWarning(UserWarning):
    """A spec value that is accepted but probably not what the user meant (e.g. a parameter that is ignored)."""


def report_warning(info: Any, path: tuple[str | int, ...], message: str) -> None:
    """From a validator: append ``(path, message)`` to ``info.context["warnings"]`` when the caller collects
    warnings (the config layer does, to report them with the full path), else ``warnings.warn``."""
    import warnings

    context = getattr(info, "context", None)
    if isinstance(context, dict) and isinstance(context.get("warnings"), list):
        context["warnings"].append((path, message))
    else:
        warnings.warn(f"{'.'.join(map(str, path))}: {message}", SpecWarning, stacklevel=4)
