"""Imports every command module so that each registers its commands on ``app``."""

from ddpm_kit.cli import plugins, train, validate  # noqa: F401
