"""``Component(REGISTRY)``: a pydantic field type that resolves ``{name: ..., **params}`` by name.

The name is looked up in the registry (importing a plugin only when it is named); the
rest of the mapping is validated by that spec, so errors keep their nested paths
(``model.beta_schedule.linear_start``). A bare string is shorthand for ``{name: string}``.
Nothing here imports anything a config names except through the registry's entry points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from ddpm_kit.registry.registry import PluginError, Registry, RegistryError


class Component:
    """Annotation metadata: ``Annotated[ScheduleSpec, Component(SCHEDULES)]``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def validate(self, value: Any, info: core_schema.ValidationInfo | None = None) -> Any:
        registry = self.registry
        if isinstance(value, registry.base):
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
        return spec.model_validate(dict(value), context=info.context if info is not None else None)

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
