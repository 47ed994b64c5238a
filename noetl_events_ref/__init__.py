"""noetl_events_ref: a byte-exact Python twin of the ``noetl-events`` envelope and the server's
``EventRequest``: decode, encode, errors, conversions, timestamps, number spelling, the server's
redaction of stored values (``sanitize_value``), and the crate's producer API (``EventSink``,
``EventEmitter``, ``NoopSink``).

Everything here behaves as the Rust side does (``serde`` 1.0.228, ``serde_json`` 1.0.150
with default features, ``chrono`` 0.4.45); where this package and the real crate disagree,
the crate is right.
"""

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
