"""EventSink / EventEmitter / NoopSink: the crate's producer API in Python form."""

from __future__ import annotations

import asyncio

import pytest

from noetl_events_ref import EventEmitter, EventSink, ExecutorEvent, NoopSink, encode_event


class ListSink:
    def __init__(self) -> None:
        self.events: list[ExecutorEvent] = []

    async def emit(self, event: ExecutorEvent) -> None:
        self.events.append(event)


def test_emitter_stamps_created_at_from_the_injected_nanosecond_clock() -> None:
    sink = ListSink()
    emitter = EventEmitter(478775660589088776, sink, clock=lambda: 1_780_197_255_123_456_789)
    asyncio.run(emitter.emit("step.enter", "fetch", "RUNNING", {"a": 1}))
    (event,) = sink.events
    assert encode_event(event) == (
        '{"execution_id":478775660589088776,"event_type":"step.enter","step":"fetch",'
        '"status":"RUNNING","created_at":"2026-05-31T03:14:15.123456789Z","context":{"a":1}}'
    )
    assert (event.event_id, event.worker_id, event.meta) == (None, None, None)


def test_sink_errors_propagate() -> None:
    class Failing:
        async def emit(self, event: ExecutorEvent) -> None:
            raise RuntimeError("sink down")

    with pytest.raises(RuntimeError, match="sink down"):
        asyncio.run(EventEmitter(1, Failing()).emit("e", "s", "x", None))


def test_sinks_are_checked_structurally() -> None:
    assert isinstance(NoopSink(), EventSink)
    assert isinstance(ListSink(), EventSink)
    with pytest.raises(TypeError, match="emit"):
        EventEmitter(1, object())  # type: ignore[arg-type]


def test_default_clock_is_the_wall_clock() -> None:
    sink = ListSink()
    asyncio.run(EventEmitter(1, sink).emit("e", "s", "x", None))
    assert sink.events[0].created_at.year >= 2026
