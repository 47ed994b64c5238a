"""noetl-server's conversions between ``ExecutorEvent`` and ``EventRequest`` (spec section 3)."""

from __future__ import annotations

import datetime as _dt

from ._errors import EnvelopeError
from ._model import EventRequest, ExecutorEvent
from ._rustfmt import RustParseIntError, debug_option_str, debug_str, parse_i64
from ._timestamp import Timestamp

__all__ = ["event_to_request", "request_to_event", "status_from_event_name"]


def status_from_event_name(event_type: str) -> str:
    """The status the server derives from an event name (case-sensitive substring tests)."""
    if "done" in event_type or "exit" in event_type or "completed" in event_type:
        return "COMPLETED"
    if "error" in event_type or "failed" in event_type:
        return "FAILED"
    return "RUNNING"


def event_to_request(event: ExecutorEvent) -> EventRequest:
    """``From<ExecutorEvent> for EventRequest``: ids as decimal strings, server defaults."""
    if not isinstance(event, ExecutorEvent):
        raise TypeError(f"expected ExecutorEvent, got {type(event).__name__}")
    return EventRequest._from_values(  # type: ignore[no-any-return]
        (
            str(event.execution_id),
            event.step,
            event.event_type,
            event.context,
            event.meta,
            event.worker_id,
            "data",
            None,
            None,
            True,
            True,
            None if event.event_id is None else str(event.event_id),
            event.status,
            event.created_at,
        )
    )


def _as_timestamp(now: Timestamp | _dt.datetime) -> Timestamp:
    if isinstance(now, Timestamp):
        return now
    if isinstance(now, _dt.datetime):
        return Timestamp.from_datetime(now)
    raise TypeError(f"now: expected Timestamp or datetime, got {type(now).__name__}")


def request_to_event(
    request: EventRequest, *, now: Timestamp | _dt.datetime | None = None
) -> ExecutorEvent:
    """``TryFrom<&EventRequest> for ExecutorEvent``.

    ``now`` stands in for the server's clock when the request has no ``created_at``; it is
    never read from the system, so it is required in that case. Raises
    :class:`EnvelopeError` (kind ``conversion``) with the server's message.
    """
    if not isinstance(request, EventRequest):
        raise TypeError(f"expected EventRequest, got {type(request).__name__}")
    try:
        execution_id = parse_i64(request.execution_id)
    except RustParseIntError as e:
        raise EnvelopeError(
            "conversion",
            f"execution_id {debug_str(request.execution_id)} not parseable as i64: {e.reason}",
            path="$.execution_id",
            expected="a decimal i64",
            got=debug_str(request.execution_id),
        ) from None
    event_id: int | None = None
    if request.event_id is not None:
        try:
            event_id = parse_i64(request.event_id)
        except RustParseIntError as e:
            raise EnvelopeError(
                "conversion",
                f"event_id {debug_option_str(request.event_id)} not parseable as i64: {e.reason}",
                path="$.event_id",
                expected="a decimal i64",
                got=debug_str(request.event_id),
            ) from None
    created_at = request.created_at
    if created_at is None:
        if now is None:
            raise ValueError(
                "request_to_event: the request has no created_at, so pass now=... "
                "(the reference never reads the clock)"
            )
        created_at = _as_timestamp(now)
    return ExecutorEvent._from_values(  # type: ignore[no-any-return]
        (
            execution_id,
            request.event_type,
            request.step,
            request.status
            if request.status is not None
            else status_from_event_name(request.event_type),
            created_at,
            request.payload,
            event_id,
            request.worker_id,
            request.meta,
        )
    )
