"""Fuzzing the reference: only EnvelopeError escapes, and the fast path never disagrees with
the exact parser (same record, or the same error)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noetl_events_ref import EnvelopeError, decode_event, decode_request
from noetl_events_ref._codec import to_bytes
from noetl_events_ref._json import Parser, SerdeError, StructSpec
from noetl_events_ref._model import EVENT_SPEC, REQUEST_SPEC, EventRequest, ExecutorEvent
from noetl_events_ref._ops import OPS, run_op

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BASE_EVENT = (
    '{"execution_id":478775660589088776,"event_type":"command.completed","step":"fetch",'
    '"status":"COMPLETED","created_at":"2026-05-31T03:14:15.123456789Z",'
    '"context":{"result":{"items":[1,2.5,-0.0,1e-7,"\\u00e9"]},"status":"ok"},'
    '"event_id":478775660589088777,"worker_id":"w-7","meta":{"attempts":3}}'
)
BASE_REQUEST = (
    '{"execution_id":"478775660589088776","step":"s","name":"step.exit","context":{"a":[1,{"k":null}]},'
    '"event_ids":[1,-2],"actionable":false,"event_id":12,"created_at":"2026-05-31 03:14:15.5+02:00"}'
)
PIECES = [
    *'{}[],:"\\ \n\t-+.0123456789eE',
    "\\u",
    "\\ud800",
    "\\udc00",
    "\\ud83d\\ude00",
    "é",
    "\x01",
    "\x7f",
    "\u2028",
    "payload",
    "context",
    '"step"',
    '"name"',
    "1e400",
    "-0",
    "null",
    "true",
    "NaN",
    "18446744073709551616",
    "9223372036854775808",
    "T",
    "Z",
    ":60",
    "+24:00",
    " utc",
    "\ufeff",
    "\x00",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = list(draw(st.sampled_from([BASE_EVENT, BASE_REQUEST])))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            text.insert(pos, draw(st.sampled_from(PIECES)))
        elif text:
            i = min(pos, len(text) - 1)
            if action == "delete":
                del text[i]
            else:
                text[i] = draw(st.sampled_from(PIECES))
    return "".join(text)


def exact(spec: StructSpec, cls: Any, text: str | bytes) -> Any:
    """The exact parser alone (no fast path)."""
    p = Parser(to_bytes(text))
    try:
        values = p.read_struct(spec)
        p.end()
    except SerdeError as e:
        return ("error", e.kind, e.message)
    return ("ok", cls._from_values(values)._encode())


def both(decode: Any, text: str | bytes) -> Any:
    try:
        return ("ok", decode(text)._encode())
    except EnvelopeError as e:
        return ("error", e.kind, e.message)


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_envelope_error(data: bytes) -> None:
    for op in OPS:
        run_op(op, data, "2026-01-01T00:00:00Z")  # run_op turns EnvelopeError into an Outcome


@SETTINGS
@given(mutated())
def test_mutated_envelopes_only_raise_envelope_error_and_paths_agree(text: str) -> None:
    for op in OPS:
        run_op(op, text, "2026-01-01T00:00:00Z")
    assert both(decode_event, text) == exact(EVENT_SPEC, ExecutorEvent, text)
    assert both(decode_request, text) == exact(REQUEST_SPEC, EventRequest, text)


floats = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [5e-324, 1e-5, 9.99e-5, 1e-9, 1e16, 1e15, -0.0, 1.7976931348623157e308]
)
literals = st.one_of(
    st.integers(-(1 << 70), 1 << 70).map(str),
    floats.map(repr),
    st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["-0", "true", "false", "null"]),
    st.text(max_size=8).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.text(max_size=8).map(json.dumps),
)


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(literals)
    items = draw(st.lists(documents(depth + 1), max_size=4))
    if draw(st.booleans()):
        return "[" + ",".join(items) + "]"
    keys = draw(
        st.lists(
            st.sampled_from(["a", "b", "status", "step", "é", "\U0001f600"]),
            min_size=len(items),
            max_size=len(items),
        )
    )
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in zip(keys, items, strict=True)) + "}"


@SETTINGS
@given(documents(), documents(), st.sampled_from(["context", "payload"]))
def test_fast_path_agrees_with_the_exact_parser_on_valid_envelopes(
    context: str, extra: str, alias: str
) -> None:
    text = (
        '{"execution_id":7,"event_type":"e","step":"s","status":"x",'
        f'"created_at":"2026-05-31T00:00:00Z","{alias}":{context},"meta":{extra},"zz":{extra}}}'
    )
    assert both(decode_event, text) == exact(EVENT_SPEC, ExecutorEvent, text)
    request = text.replace('"execution_id":7', '"execution_id":"7"')
    assert both(decode_request, request) == exact(REQUEST_SPEC, EventRequest, request)
