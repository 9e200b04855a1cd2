"""Imports every command module so that each registers its commands on ``app``."""

from ddpm_kit.cli import evaluate, export, interop, plugins, sample, train, validate, schedule  # noqa: F401
