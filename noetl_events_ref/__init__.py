"""noetl_events_ref: a byte-exact Python twin of the ``noetl-events`` envelope and the server's
``EventRequest``: decode, encode, errors, conversions, timestamps, number spelling, the server's
redaction of stored values (``sanitize_value``), and the crate's producer API (``EventSink``,
``EventEmitter``, ``NoopSink``).

Everything here behaves as the Rust side does (``serde`` 1.0.228, ``serde_json`` 1.0.150
with default features, ``chrono`` 0.4.45); where this package and the real crate disagree,
the crate is right.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._codec import decode_event, decode_request, encode_event, encode_request
    from ._convert import event_to_request, request_to_event, status_from_event_name
    from ._emitter import EventEmitter, EventSink, NoopSink
    from ._errors import EnvelopeError
    from ._model import BatchEventItem, BatchEventRequest, EventRequest, ExecutorEvent
    from ._ops import Outcome, run_op
    from ._sanitize import sanitize_value
    from ._timestamp import Timestamp

__all__ = [
    "BatchEventItem",
    "BatchEventRequest",
    "EnvelopeError",
    "EventEmitter",
    "EventRequest",
    "EventSink",
    "ExecutorEvent",
    "NoopSink",
    "Outcome",
    "Timestamp",
    "decode_event",
    "decode_request",
    "encode_event",
    "encode_request",
    "event_to_request",
    "request_to_event",
    "run_op",
    "sanitize_value",
    "status_from_event_name",
]

# Each name is imported on first use: a tool that needs one corner of the reference (the
# native engine of `check` needs only its constants) does not pay for the parser's start-up.
_HOMES: dict[str, str] = {
    "decode_event": "_codec",
    "decode_request": "_codec",
    "encode_event": "_codec",
    "encode_request": "_codec",
    "event_to_request": "_convert",
    "request_to_event": "_convert",
    "status_from_event_name": "_convert",
    "EventEmitter": "_emitter",
    "EventSink": "_emitter",
    "NoopSink": "_emitter",
    "EnvelopeError": "_errors",
    "BatchEventItem": "_model",
    "BatchEventRequest": "_model",
    "EventRequest": "_model",
    "ExecutorEvent": "_model",
    "Outcome": "_ops",
    "run_op": "_ops",
    "sanitize_value": "_sanitize",
    "Timestamp": "_timestamp",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
