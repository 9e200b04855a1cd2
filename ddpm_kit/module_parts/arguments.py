"""From ``DDPM(...)``'s arguments to a validated model config: CompVis keyword arguments, or a config / run."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ddpm_kit.config import ModelConfig, RunConfig, validate_model_kwargs
from ddpm_kit.config.errors import ConfigError, Issue, Issues
from ddpm_kit.config.rules import check_model

log = logging.getLogger(__name__)

_SCALARS = (bool, int, float, str)


def is_default(value: Any, default: Any) -> bool:
    """Whether an argument still holds its default: equal scalars (or None), or equal sequences of them. An
    array, a tensor, a mapping or a spec is never a default: it was given."""
    if isinstance(value, (list, tuple)):
        if not (default is None or isinstance(default, (list, tuple))):
            return False
        expected = list(default or ())
        return len(value) == len(expected) and all(is_default(v, d) for v, d in zip(value, expected))
    if value is None or isinstance(value, _SCALARS):
        return bool(value == default)
    return False


def explicit_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The CompVis arguments that differ from their default (``DDPM``'s signature defaults are
    ``ModelConfig``'s, tests/test_module_signature.py): only those are validated as given, so a
    flat schedule argument left at its default is never reported as unused."""
    defaults = {name: ModelConfig.model_fields[name].get_default(call_default_factory=True) for name in arguments}
    defaults["unet_config"] = None  # required in a config: None means not given
    return {name: value for name, value in arguments.items() if not is_default(value, defaults[name])}


def resolve(explicit: Mapping[str, Any], config: ModelConfig | Mapping[str, Any] | None,
            run: RunConfig | Mapping[str, Any] | None) -> tuple[ModelConfig, RunConfig | None]:
    """Validated model config (and the run config when training from the CLI), or ConfigError."""
    from ddpm_kit.config.source import Source
    from ddpm_kit.config.validate import validate_source

    if (config is not None or run is not None) and explicit:
        raise ConfigError([Issue(next(iter(explicit)), "give either DDPM arguments or config/run, not both")],
                          "DDPM arguments")
    if run is not None:
        run_config = run if isinstance(run, RunConfig) else validate_source(Source(dict(run), "run config"))\
            .raise_for_errors()
        return run_config.model, run_config
    if config is not None:
        model = config if isinstance(config, ModelConfig) else ModelConfig.model_validate(config)
        issues = Issues()
        check_model(model, issues, prefix="")
        if issues.errors:
            raise ConfigError(issues.items, "DDPM config")
        return model, None
    if "unet_config" not in explicit:
        raise ConfigError([Issue("unet_config", "is required: {name: unet, ...}, {name: mlp, ...} or upstream's "
                                 "{target: ldm.modules.diffusionmodules.openaimodel.UNetModel, params: {...}}")],
                          "DDPM arguments")
    model, warnings = validate_model_kwargs(explicit)
    for warning in warnings:
        log.warning("%s", warning.format())
    return model, None
