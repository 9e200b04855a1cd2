"""``Component(REGISTRY)``: a pydantic field type that resolves ``{name: ..., **params}`` by name.

The name is looked up in the registry (importing a plugin only when it is named); the
rest of the mapping is validated by that spec, so errors keep their nested paths
(``model.beta_schedule.linear_start``). A bare string is shorthand for ``{name: string}``.
Nothing here imports anything a config names except through the registry's entry points.

When the validation context collects warnings (``context["warnings"]`` is a list, as the config layer
passes), each spec's own warnings are collected as it is validated, apart from the others, and kept in
``context[SPEC_WARNINGS]`` by the spec object, so the caller can give them the spec's path in the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from ddpm_kit.registry.registry import PluginError, Registry, RegistryError

#: Context key of the warnings collected per spec: ``{id(spec): (spec, [(path in the spec, message), ...])}``.
SPEC_WARNINGS = "spec_warnings"


def _collecting(context: Any) -> bool:
    return isinstance(context, dict) and isinstance(context.get("warnings"), list)


def _validate_collecting(spec_cls: Any, data: Mapping[str, Any], context: dict[str, Any]) -> tuple[Any, list]:
    """``spec_cls`` validated from ``data`` with its warnings collected in a list of its own."""
    collected: list[tuple[tuple[Any, ...], str]] = []
    return spec_cls.model_validate(dict(data), context={**context, "warnings": collected}), collected


def spec_warnings(context: Mapping[str, Any], spec: Any) -> list[tuple[tuple[Any, ...], str]]:
    """The warnings ``spec`` raised while it was validated under ``context`` (paths inside the spec)."""
    entry = context.get(SPEC_WARNINGS, {}).get(id(spec))
    return list(entry[1]) if entry is not None and entry[0] is spec else []


class Component:
    """Annotation metadata: ``Annotated[ScheduleSpec, Component(SCHEDULES)]``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def validate(self, value: Any, info: core_schema.ValidationInfo | None = None) -> Any:
        registry = self.registry
        context = info.context if info is not None else None
        if isinstance(value, registry.base):
            if _collecting(context):  # a spec built elsewhere: its warnings, as if it were given as a mapping
                try:
                    _, collected = _validate_collecting(type(value), {"name": value.name,
                                                                      **value.model_dump(exclude_unset=True)}, context)
                except ValidationError:  # cannot happen for a spec that validated; never let reporting fail
                    collected = []
                context.setdefault(SPEC_WARNINGS, {})[id(value)] = (value, collected)
            return value
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, Mapping):
            raise PydanticCustomError(
                "component_type",
                "expected a {kind} name or a mapping with a 'name' key, got {got}",
                {"kind": registry.kind, "got": type(value).__name__},
            )
        name = value.get("name")
        if not isinstance(name, str):
            raise PydanticCustomError(
                "component_name_missing",
                "a {kind} needs 'name' (one of: {known})",
                {"kind": registry.kind, "known": ", ".join(registry.names())},
            )
        try:
            spec = registry.get(name)
        except RegistryError as exc:
            raise PydanticCustomError("unknown_component", str(exc).strip("'\"")) from None
        except PluginError as exc:
            raise PydanticCustomError("plugin_error", str(exc)) from None
        if not _collecting(context):
            return spec.model_validate(dict(value), context=context)
        validated, collected = _validate_collecting(spec, value, context)
        context.setdefault(SPEC_WARNINGS, {})[id(validated)] = (validated, collected)
        return validated

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            self.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda spec: spec.model_dump(mode="json"), when_used="always"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """One alternative per registered spec (plugins included), tagged by ``name``."""
        self.registry.load_all()
        choices = {name: spec.__pydantic_core_schema__ for name, (spec, _) in sorted(self.registry.loaded().items())}
        union = core_schema.tagged_union_schema(choices, discriminator="name")
        result = handler(union)
        names = sorted(choices)
        shorthand = {"type": "string", "enum": names, "description": f"{self.registry.kind} name (shorthand)"}
        return {"anyOf": [shorthand, result], "description": self.registry.description}
