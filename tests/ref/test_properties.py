"""Properties of the codec.

serde_json (default features) does not parse floats correctly rounded, so a float's shortest
spelling can read back one ULP off, and ``encode(decode(x))`` can keep drifting (the real
crate does the same; see the chains in data/spec_vectors.json). The identities below
therefore hold for *serde-stable* floats, those that read back as themselves; every
encoded text is accepted back whatever it holds.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from noetl_events_ref import (
    EventRequest,
    ExecutorEvent,
    Timestamp,
    decode_event,
    decode_request,
    encode_event,
    encode_request,
)
from noetl_events_ref._json import format_f64, serde_float
from noetl_events_ref._model import json_equal

SETTINGS = settings(max_examples=250, deadline=None)


def stable(x: float) -> bool:
    return serde_float(format_f64(x)) == x


def floats(*, only_stable: bool) -> st.SearchStrategy[float]:
    base = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
        [0.0, -0.0, 5e-324, 1e-5, 9.99e-5, 1e-9, 1e15, 1e16, 2.5e-7, 1.7976931348623157e308]
    )
    return base.filter(stable) if only_stable else base


def json_values(*, only_stable: bool = True) -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(1 << 63), (1 << 64) - 1)
        | floats(only_stable=only_stable)
        | st.text()
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        ),
        max_leaves=12,
    )


timestamps = st.builds(
    Timestamp.from_parts,
    st.integers(-262143, 262142),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from([0, 500_000_000, 123_000, 1, 999_999_999]),
)
i64 = st.integers(-(1 << 63), (1 << 63) - 1)


def events(*, only_stable: bool = True) -> st.SearchStrategy[ExecutorEvent]:
    values = json_values(only_stable=only_stable)
    return st.builds(
        ExecutorEvent,
        execution_id=i64,
        event_type=st.text(),
        step=st.text(),
        status=st.text(),
        created_at=timestamps,
        context=values,
        event_id=st.none() | i64,
        worker_id=st.none() | st.text(),
        meta=values,
    )


requests = st.builds(
    EventRequest,
    execution_id=st.text() | i64.map(str),
    step=st.text(),
    event_type=st.text(),
    payload=json_values(),
    meta=json_values(),
    worker_id=st.none() | st.text(),
    result_kind=st.text(),
    result_uri=st.none() | st.text(),
    event_ids=st.none() | st.lists(i64, max_size=3).map(tuple),
    actionable=st.booleans(),
    informative=st.booleans(),
    event_id=st.none() | st.text(),
    status=st.none() | st.text(),
    created_at=st.none() | timestamps,
)


@SETTINGS
@given(events())
def test_decode_of_encode_is_identity(event: ExecutorEvent) -> None:
    assert decode_event(encode_event(event)) == event


@SETTINGS
@given(events())
def test_encoding_is_idempotent(event: ExecutorEvent) -> None:
    text = encode_event(event)
    assert encode_event(decode_event(text)) == text


@SETTINGS
@given(events(only_stable=False))
def test_every_encoded_event_is_accepted_back(event: ExecutorEvent) -> None:
    again = decode_event(encode_event(event))
    assert again.execution_id == event.execution_id and again.created_at == event.created_at


@SETTINGS
@given(requests)
def test_requests_round_trip(request: EventRequest) -> None:
    text = encode_request(request)
    assert decode_request(text) == request
    assert encode_request(decode_request(text)) == text


@SETTINGS
@given(floats(only_stable=False))
def test_float_spelling_is_the_shortest_round_trip(x: float) -> None:
    text = format_f64(x)
    assert float(text) == x and math.copysign(1, float(text)) == math.copysign(1, x)


@SETTINGS
@given(json_values())
def test_values_keep_their_types_through_the_codec(value: Any) -> None:
    event = ExecutorEvent(1, "e", "s", "x", Timestamp.from_unix_nanos(0), value)
    assert json_equal(decode_event(encode_event(event)).context, value)
