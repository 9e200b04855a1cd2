"""SIGINT / SIGTERM during training: stop after the current step, so the caller can save and exit 130 / 143."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytorch_lightning as pl

log = logging.getLogger(__name__)

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class StopOnSignal(pl.Callback):
    """While ``installed()``, the first SIGINT/SIGTERM asks the Trainer to stop after its step; a second one
    raises KeyboardInterrupt (the default behaviour) for a user who does not want to wait."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self.exit_code = 1
        self._trainer: Any = None

    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self._trainer = trainer

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signal_name is not None:
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name
        self.exit_code = EXIT_CODES[signal.Signals(signum)]
        log.info("%s received: stopping after this step", self.signal_name)
        if self._trainer is not None:
            self._trainer.should_stop = True

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> int | None:
        return -1 if self.signal_name is not None else None  # -1: Lightning ends the epoch loop here

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self._handle) for s in EXIT_CODES}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
