"""The crate's producer API in Python form: ``EventSink``, ``EventEmitter``, ``NoopSink``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ._json import JsonLike
from ._model import ExecutorEvent
from ._timestamp import Timestamp

__all__ = ["EventEmitter", "EventSink", "NoopSink"]


@runtime_checkable
class EventSink(Protocol):
    """Where events go (``noetl_events::EventSink``): one async ``emit``."""

    async def emit(self, event: ExecutorEvent) -> None:
        """Deliver ``event``; raise to report failure (the Rust side returns ``Err``)."""
        ...


class NoopSink:
    """Accepts every event and drops it (``noetl_events::NoopSink``)."""

    async def emit(self, event: ExecutorEvent) -> None:
        return None


class EventEmitter:
    """A sink bound to one execution (``noetl_events::EventEmitter``).

    ``emit`` stamps ``created_at`` from ``clock`` (nanoseconds since the Unix epoch, by
    default ``time.time_ns``: inject a fixed clock in tests) and leaves ``event_id``,
    ``worker_id`` and ``meta`` unset, as the crate does.
    """

    __slots__ = ("_clock", "execution_id", "sink")

    def __init__(
        self,
        execution_id: int,
        sink: EventSink,
        *,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        if not isinstance(sink, EventSink):
            raise TypeError(f"sink: {type(sink).__name__} has no async emit(event)")
        self.execution_id = execution_id
        self.sink = sink
        self._clock = clock

    async def emit(self, event_type: str, step: str, status: str, context: JsonLike) -> None:
        event = ExecutorEvent(
            execution_id=self.execution_id,
            event_type=event_type,
            step=step,
            status=status,
            created_at=Timestamp.from_unix_nanos(self._clock()),
            context=context,
        )
        await self.sink.emit(event)
