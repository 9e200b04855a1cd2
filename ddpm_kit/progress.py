"""Progress over a known number of steps: a rich bar on a terminal, plain lines otherwise.

``open_progress(total, unit)`` returns a reporter with ``update(done, figures="")`` and ``close()``; on a
terminal (and with ``rich`` importable) it draws one bar (done/total, rate, ETA, a short line of figures),
elsewhere it writes a line such as ``step 300/3000 (10%) 5.2 it/s ETA 8m40s loss 0.0412`` every
``every_percent`` per cent or ``every_seconds`` seconds, whichever comes first, and at the end, so CI logs
stay readable. ``CallbackProgress`` is the ``Callable[[int, int], None]`` (done, total) that sampling
loops take. Output goes to stderr (where logs go), so data written to stdout stays clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Protocol

ProgressCallback = Callable[[int, int], None]


class Reporter(Protocol):
    def update(self, done: int, figures: str = "") -> None: ...

    def close(self) -> None: ...


def format_duration(seconds: float) -> str:
    """``8m40s``, ``1h02m``, ``12s``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class PlainProgress:
    """Line-based progress: one line per ``every_percent`` per cent or ``every_seconds`` seconds, and at the end."""

    def __init__(self, total: int, unit: str = "step", stream: IO[str] | None = None, initial: int = 0,
                 every_percent: float = 10.0, every_seconds: float = 5.0) -> None:
        self.total, self.unit, self.stream = max(int(total), 1), unit, stream or sys.stderr
        self.initial, self.every_percent, self.every_seconds = initial, every_percent, every_seconds
        self.start = self.last_time = time.perf_counter()
        self.last_percent = 100.0 * initial / self.total
        self.done = initial
        self.last_written = initial
        self.figures = ""

    def line(self, done: int, figures: str) -> str:
        elapsed = time.perf_counter() - self.start
        rate = (done - self.initial) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        text = f"{self.unit} {done}/{self.total} ({100.0 * done / self.total:.0f}%) {rate:.1f} it/s"
        text += f" ETA {format_duration(eta)}" if eta == eta else " ETA ?"
        return f"{text} {figures}".rstrip()

    def update(self, done: int, figures: str = "") -> None:
        self.done, self.figures = done, figures or self.figures
        now, percent = time.perf_counter(), 100.0 * done / self.total
        due = percent - self.last_percent >= self.every_percent or now - self.last_time >= self.every_seconds
        if due or done >= self.total:
            self.write(done)

    def write(self, done: int) -> None:
        if done == self.last_written and done != self.initial:
            return
        self.stream.write(self.line(done, self.figures) + "\n")
        self.stream.flush()
        self.last_written, self.last_time, self.last_percent = done, time.perf_counter(), 100.0 * done / self.total

    def close(self) -> None:
        if self.done != self.last_written:
            self.write(self.done)


class RichProgress:
    """One rich bar: description, bar, done/total, rate, elapsed/ETA and a short line of figures."""

    def __init__(self, total: int, unit: str = "step", stream: IO[str] | None = None, initial: int = 0) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[figures]}"),
                            console=Console(file=stream or sys.stderr), transient=False)
        self.initial, self.start = initial, time.perf_counter()
        self.task = self.bar.add_task(unit, total=max(int(total), 1), completed=initial, rate="", figures="")
        self.bar.start()

    def update(self, done: int, figures: str = "") -> None:
        elapsed = time.perf_counter() - self.start
        rate = f"{(done - self.initial) / elapsed:.1f} it/s" if elapsed > 0 else ""
        fields = {"figures": figures} if figures else {}
        self.bar.update(self.task, completed=done, rate=rate, **fields)

    def close(self) -> None:
        self.bar.stop()


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def open_progress(total: int, unit: str = "step", stream: IO[str] | None = None, initial: int = 0) -> Reporter:
    """A rich bar when ``stream`` (default stderr) is a terminal and rich is installed, plain lines otherwise."""
    stream = stream or sys.stderr
    if is_terminal(stream):
        try:
            return RichProgress(total, unit, stream, initial)
        except ImportError:
            pass  # rich is optional: a terminal without it gets the same plain lines as a log file
    return PlainProgress(total, unit, stream, initial)


class CallbackProgress:
    """A ``(done, total)`` callback (what sampling loops take) drawing progress; it opens at the first
    call, when ``total`` is known. ``close()`` when the loop is over (also after an error)."""

    def __init__(self, unit: str, stream: IO[str] | None = None) -> None:
        self.unit, self.stream = unit, stream
        self.reporter: Reporter | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.reporter is None:
            self.reporter = open_progress(total, self.unit, self.stream)
        self.reporter.update(done)

    def close(self) -> None:
        if self.reporter is not None:
            self.reporter.close()
            self.reporter = None
