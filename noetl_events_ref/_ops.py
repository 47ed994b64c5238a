"""The operations of runner protocol v1, run in-process on the reference."""

from __future__ import annotations

from typing import Final, NamedTuple

from ._codec import decode_event, decode_request, to_bytes
from ._convert import event_to_request, request_to_event
from ._errors import EnvelopeError
from ._http import post_answer
from ._json import SerdeError, encode_value, parse_value
from ._model import BATCH_REQUEST_SPEC, REQUEST_SPEC, BatchEventRequest, EventRequest
from ._sanitize import sanitize_value
from ._timestamp import Timestamp, TimestampParseError

__all__ = ["OPS", "Outcome", "run_op"]

OPS: Final = (
    "decode_event",
    "decode_request",
    "event_to_request",
    "request_to_event",
    "canonical_value",
    "decode_batch",
    "sanitize_value",
    "post_events",
    "post_batch",
)


class Outcome(NamedTuple):
    """What an implementation answered for one case: an output text, or an error."""

    ok: bool
    output: str | None = None
    kind: str | None = None
    message: str | None = None


def _canonical_value(text: str | bytes) -> str:
    try:
        return encode_value(parse_value(to_bytes(text)))
    except SerdeError as e:
        raise e.to_envelope_error() from None


def _sanitize_value(text: str | bytes) -> str:
    try:
        value = parse_value(to_bytes(text))
    except SerdeError as e:
        raise e.to_envelope_error() from None
    return encode_value(sanitize_value(value))


def _request_to_event(text: str | bytes, now: str | None) -> str:
    request = decode_request(text)
    stamp: Timestamp | None = None
    if request.created_at is None:
        if now is None:
            raise EnvelopeError(
                "other", "request_to_event needs `now`: the request has no created_at"
            )
        try:
            stamp = Timestamp.parse(now)
        except TimestampParseError as e:
            raise EnvelopeError("other", f"`now` is not a timestamp: {e.message}") from None
    return request_to_event(request, now=stamp)._encode()


def run_op(op: str, text: str | bytes, now: str | None = None) -> Outcome:
    """Run one protocol operation on ``text``; unknown ops raise ``KeyError``."""
    try:
        if op == "decode_event":
            out = decode_event(text)._encode()
        elif op == "decode_request":
            out = decode_request(text)._encode()
        elif op == "event_to_request":
            out = event_to_request(decode_event(text))._encode()
        elif op == "request_to_event":
            out = _request_to_event(text, now)
        elif op == "canonical_value":
            out = _canonical_value(text)
        elif op == "decode_batch":
            out = BatchEventRequest.decode(text)._encode()
        elif op == "sanitize_value":
            out = _sanitize_value(text)
        elif op == "post_events":
            out = post_answer(REQUEST_SPEC, EventRequest, text)
        elif op == "post_batch":
            out = post_answer(BATCH_REQUEST_SPEC, BatchEventRequest, text)
        else:
            raise KeyError(op)
    except EnvelopeError as e:
        return Outcome(False, kind=e.kind, message=e.message)
    return Outcome(True, output=out)
