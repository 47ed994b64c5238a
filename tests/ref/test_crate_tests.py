"""The crate's own six tests (noetl-events 0.1.0 src/lib.rs) and noetl-server's four EE-4
conversion tests, reproduced against the Python twin."""

from __future__ import annotations

import asyncio
import json

import pytest

from noetl_events_ref import (
    EnvelopeError,
    EventEmitter,
    EventRequest,
    ExecutorEvent,
    NoopSink,
    Timestamp,
    decode_event,
    encode_event,
    event_to_request,
    request_to_event,
)

NOW = Timestamp.parse("2026-05-31T00:00:00Z")


def dummy_event(**changes: object) -> ExecutorEvent:
    fields: dict[str, object] = {
        "execution_id": 1,
        "event_type": "step.enter",
        "step": "fetch",
        "status": "STARTED",
        "created_at": NOW,
        "context": {},
    }
    fields.update(changes)
    return ExecutorEvent(**fields)  # type: ignore[arg-type]


def test_noop_sink_accepts_any_event() -> None:
    emitter = EventEmitter(12345, NoopSink())
    asyncio.run(emitter.emit("batch.completed", "start", "COMPLETED", {"processing_ms": 12.3}))


def test_new_optional_fields_omit_from_serialized_json_when_none() -> None:
    obj = json.loads(encode_event(dummy_event()))
    assert "event_id" not in obj and "worker_id" not in obj and "meta" not in obj


def test_new_optional_fields_serialize_when_present() -> None:
    text = encode_event(
        dummy_event(event_id=478775660589088777, worker_id="worker-1", meta={"attempts": 2})
    )
    assert '"event_id":478775660589088777' in text  # a JSON number, not a string
    obj = json.loads(text)
    assert (obj["worker_id"], obj["meta"]["attempts"]) == ("worker-1", 2)


def test_deserializes_payload_alias_into_context() -> None:
    event = decode_event(
        '{"execution_id":5,"event_type":"step.enter","step":"s","status":"STARTED",'
        '"created_at":"2026-05-31T00:00:00Z","payload":{"foo":"bar"}}'
    )
    assert event.context == {"foo": "bar"}


def test_deserializes_missing_optional_fields_with_none() -> None:
    event = decode_event(
        '{"execution_id":5,"event_type":"step.enter","step":"s","status":"STARTED",'
        '"created_at":"2026-05-31T00:00:00Z","context":{}}'
    )
    assert (event.event_id, event.worker_id, event.meta) == (None, None, None)


def test_round_trips_with_all_optional_fields_set() -> None:
    original = ExecutorEvent(
        execution_id=478775660589088776,
        event_type="command.completed",
        step="fetch_calendar",
        status="COMPLETED",
        created_at=Timestamp.parse("2026-05-31T03:14:15Z"),
        context={"result": {"items": 42}},
        event_id=478775660589088777,
        worker_id="worker-prod-7",
        meta={"attempts": 3, "parent_event_id": "478775660589088770"},
    )
    parsed = decode_event(encode_event(original))
    assert parsed == original
    assert (parsed.execution_id, parsed.event_id, parsed.worker_id, parsed.meta) == (
        original.execution_id,
        original.event_id,
        original.worker_id,
        original.meta,
    )


# ---- noetl-server EE-4 conversion tests ------------------------------------------------------


def test_ee4_from_executor_event_carries_ids_as_strings() -> None:
    event = dummy_event(execution_id=478775660589088776, event_id=478775660589088777, worker_id="w")
    request = event_to_request(event)
    assert (request.execution_id, request.event_id) == ("478775660589088776", "478775660589088777")
    assert (request.result_kind, request.actionable, request.informative) == ("data", True, True)
    assert (request.status, request.created_at, request.payload) == ("STARTED", NOW, {})
    assert request_to_event(request) == event


def test_ee4_try_from_parses_string_ids() -> None:
    request = EventRequest(
        execution_id="478775660589088776", step="s", event_type="call.done", event_id="42"
    )
    event = request_to_event(request, now=NOW)
    assert (event.execution_id, event.event_id) == (478775660589088776, 42)


def test_ee4_try_from_rejects_a_non_numeric_execution_id() -> None:
    request = EventRequest(execution_id="not-a-number", step="s", event_type="e")
    with pytest.raises(EnvelopeError) as e:
        request_to_event(request, now=NOW)
    assert e.value.kind == "conversion"
    assert e.value.message == (
        'execution_id "not-a-number" not parseable as i64: invalid digit found in string'
    )


def test_ee4_status_is_derived_when_absent() -> None:
    event = request_to_event(
        EventRequest(execution_id="1", step="s", event_type="step.exit"), now=NOW
    )
    assert event.status == "COMPLETED"
    kept = request_to_event(
        EventRequest(execution_id="1", step="s", event_type="step.exit", status="CUSTOM"), now=NOW
    )
    assert kept.status == "CUSTOM"
