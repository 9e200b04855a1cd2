"""JSON Schema of the run config, with every installed component (plugins included)."""

from __future__ import annotations

from typing import Any

from ddpm_kit.config.run import RunConfig
from ddpm_kit.registry import REGISTRIES

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> tuple[dict[str, Any], list[str]]:
    """(schema, problems): plugins that fail to load are skipped and reported as problems."""
    problems = [str(p) for registry in REGISTRIES.values() for p in registry.load_all()]
    schema = RunConfig.model_json_schema()
    schema["$schema"] = SCHEMA_URI
    schema["title"] = "ddpm-kit run config"
    return schema, problems
