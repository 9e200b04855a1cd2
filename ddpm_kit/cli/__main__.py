"""``python -m ddpm_kit.cli`` is ``ddpm-kit``."""

from ddpm_kit.cli import console

console()
