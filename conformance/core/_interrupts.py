"""Stopping a run that writes files (Ctrl-C, or a SIGTERM as ``timeout`` sends) only where it
can undo what it did.

Python raises :class:`KeyboardInterrupt` wherever the main thread happens to be, and SIGTERM's
default action ends the process on the spot: between creating a file and recording that it was
created, that leaves a file the run can no longer remove. Inside :meth:`Interrupts.held`
either signal is noted and delivered as the block ends, so every step that makes something
also records it, and the run's clean-up knows of everything it made.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import Any

__all__ = ["Interrupts"]


class _Terminated(BaseException):
    """A SIGTERM, raised where the run can stop, so that it cleans up; delivered again with
    its default action (the process ends) once the handlers are restored."""


class Interrupts:
    """``with Interrupts() as stop:`` a run; ``with stop.held():`` each step that must not be
    cut in two (make a file and record it). A SIGINT or SIGTERM that comes during a held step
    is delivered when it ends (as :class:`KeyboardInterrupt`, or as an exception that
    ends the process with SIGTERM's default action once the run has cleaned up and left the
    ``with`` block); outside a held step it is delivered at once, as usual.

    Only signals whose handler is Python's default (``default_int_handler`` for SIGINT,
    ``SIG_DFL`` for SIGTERM) are taken over, and only in the main thread (the only one that
    a signal interrupts); the handlers are restored when the block ends.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._pending: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum, default in (
                (signal.SIGINT, signal.default_int_handler),
                (signal.SIGTERM, signal.SIG_DFL),
            ):
                if signal.getsignal(signum) == default:
                    self._old[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        typ: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, old in self._old.items():
            signal.signal(signum, old)
        self._old.clear()
        pending, self._pending = self._pending, None
        if isinstance(exc, _Terminated) or pending == signal.SIGTERM:
            signal.raise_signal(signal.SIGTERM)  # its default action: the process ends here
            raise SystemExit(128 + signal.SIGTERM)  # (only if something else now handles it)
        if pending == signal.SIGINT and exc is None:
            raise KeyboardInterrupt

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._depth:
            if self._pending != signal.SIGTERM:  # (a SIGTERM outranks a Ctrl-C)
                self._pending = signum
            return
        self._deliver(signum)

    @staticmethod
    def _deliver(signum: int) -> None:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Terminated

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A step a signal does not cut: one that comes meanwhile is delivered as it ends
        (or, if the step fails, when the run's ``with`` block ends)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if not self._depth and self._pending is not None:
            signum, self._pending = self._pending, None
            self._deliver(signum)
