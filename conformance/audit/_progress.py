"""A progress bar for long checks: on a terminal only (stderr), and only if rich is installed."""

from __future__ import annotations

import sys
import time
from typing import Any, Final, TextIO

from ._run import Progress
from ._sources import Source

__all__ = ["progress_for"]

_REFRESH_SECONDS: Final = 0.1


class _RichProgress(Progress):
    """rich's bar, refreshed by hand (no refresh thread: worker processes are forked)."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[amount]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            auto_refresh=False,
            transient=True,
        )
        self._bar.start()
        self._task: Any = None
        self._unit = "bytes"
        self._last = 0.0

    def start(self, source: Source) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._unit = source.unit
        self._task = self._bar.add_task(source.name, total=source.total, amount="")
        self._bar.refresh()

    def advance(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last < _REFRESH_SECONDS:
            return
        self._last = now
        if self._unit == "bytes":
            amount = f"{done / 1e6:,.1f} MB"
        else:
            amount = f"{done:,} {self._unit}"
        self._bar.update(self._task, completed=done, amount=amount)
        self._bar.refresh()

    def close(self) -> None:
        self._bar.stop()


def progress_for(stream: TextIO | None = None, *, enabled: bool | None = None) -> Progress:
    """A bar on ``stream`` (default stderr) when it is a terminal, else a silent one."""
    stream = stream if stream is not None else sys.stderr
    if enabled is None:
        enabled = stream.isatty()
    if not enabled:
        return Progress()
    try:
        return _RichProgress(stream)
    except ImportError:
        return Progress()
