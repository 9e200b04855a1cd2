"""The config layer (torch-free): YAML in, a validated ``RunConfig`` out, every problem reported at once.

Public API::

    from ddpm_kit.config import validate_file, load_config, ConfigError
    report = validate_file("examples/digits.yaml", ["trainer.max_steps=200"])
    run = report.raise_for_errors()          # RunConfig, or ConfigError listing every issue
"""

from ddpm_kit.config.errors import ConfigError, ConfigFileError, Issue
from ddpm_kit.config.model import ModelConfig
from ddpm_kit.config.run import OptimizerConfig, OutputConfig, RunConfig, TrainerConfig
from ddpm_kit.config.validate import Report, validate_file, validate_model_kwargs, validate_source


def load_config(path, overrides=(), *, strict: bool = False) -> RunConfig:
    """Validate ``path`` with ``overrides`` and return the config, or raise ConfigError / ConfigFileError."""
    return validate_file(path, overrides, strict=strict).raise_for_errors()


__all__ = [
    "ConfigError", "ConfigFileError", "Issue", "ModelConfig", "OptimizerConfig", "OutputConfig", "Report", "RunConfig",
    "TrainerConfig", "load_config", "validate_file", "validate_model_kwargs", "validate_source",
]
