"""What the ``trainer`` section asks of this machine, checked before anything is written (validation is torch-free
and cannot know which accelerators a machine has)."""

from __future__ import annotations

from typing import Any

from ddpm_kit.config.run import TrainerConfig


class DeviceError(ValueError):
    """The machine lacks what ``trainer`` asks for; the message names the field."""


def check_devices(trainer: TrainerConfig) -> None:
    """DeviceError for ``accelerator: gpu|cuda`` without a usable CUDA device, ``mps`` without MPS, or more
    ``devices`` than the machine has."""
    import torch

    accelerator = trainer.accelerator
    if accelerator in ("gpu", "cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise DeviceError(f"trainer.accelerator: {accelerator!r}, but this machine has no usable CUDA GPU "
                              f"(torch {torch.__version__}, torch.cuda.is_available() is False); use cpu or auto")
        wanted = len(trainer.devices) if isinstance(trainer.devices, list) else trainer.devices
        if isinstance(wanted, int) and wanted > count:
            raise DeviceError(f"trainer.devices: {trainer.devices!r} asks for {wanted} GPUs; this machine has {count}")
    if accelerator == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("trainer.accelerator: 'mps', but Apple's MPS backend is not available here; use cpu or auto")


def check_trainer_settings(kwargs: dict[str, Any]) -> None:
    """DeviceError when Lightning refuses the trainer arguments (what validation cannot know without Lightning):
    a Trainer is built with them, without logger or checkpoints, before anything is written."""
    import pytorch_lightning as pl
    from pytorch_lightning.utilities.exceptions import MisconfigurationException

    probe = {k: v for k, v in kwargs.items() if k != "enable_progress_bar"}
    try:
        pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                   **probe)
    except (MisconfigurationException, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DeviceError(f"the trainer section was refused by Lightning: {first}") from None
