"""A minimal ddpm-kit plugin (template). Keep this module torch-free: ddpm-kit imports it to validate configs."""

__version__ = "0.1.0"
