"""``python -m ddpm_kit`` is ``ddpm-kit``."""

from ddpm_kit.cli import console

console()
