"""The loss classifier on hand-made hops: each expectation written out here, not computed."""

from __future__ import annotations

import pytest

from conformance.matrix._losses import Loss, compare

MEMBERS = {
    "execution_id": "478775660589088776",
    "event_type": '"command.completed"',
    "step": '"s"',
    "status": '"COMPLETED"',
    "created_at": '"2026-05-31T03:14:15.123456789Z"',
    "context": '{"b":1,"a":[1.5,2]}',
    "worker_id": '"w"',
}
BASE = "{" + ",".join(f'"{k}":{v}' for k, v in MEMBERS.items()) + "}"


def _with(**members: str) -> str:
    """BASE with members replaced (value is raw JSON) or removed (value "")."""
    raw = dict(MEMBERS)
    for key, value in members.items():
        if value == "":
            raw.pop(key, None)
        else:
            raw[key] = value
    return "{" + ",".join(f'"{k}":{v}' for k, v in raw.items()) + "}"


def test_identical_text_is_lossless() -> None:
    assert compare(BASE, BASE) == []


def test_whitespace_and_top_level_order_are_not_losses() -> None:
    kept = _with(worker_id="", step="").replace("{", '{"worker_id": "w", "step" : "s",', 1)
    assert compare(BASE, kept) == []


@pytest.mark.parametrize(
    ("kept", "expected"),
    [
        (_with(status=""), [Loss("status", "dropped")]),
        (
            _with(execution_id='"478775660589088776"'),
            [Loss("execution_id", "changed", "number-to-string", "$.execution_id")],
        ),
        (
            _with(execution_id="478775660589088800"),
            [Loss("execution_id", "changed", "precision-lost", "$.execution_id")],
        ),
        (
            _with(context='{"b":1,"a":[1.50,2]}'),
            [Loss("context", "changed", "float-respelled", "$.context.a[0]")],
        ),
        (
            _with(context='{"a":[1.5,2],"b":1}'),
            [Loss("context", "changed", "key-order", "$.context")],
        ),
        (
            _with(created_at='"2026-05-31T03:14:15.123456Z"'),
            [Loss("created_at", "changed", "timestamp-truncated", "$.created_at")],
        ),
        (
            _with(created_at='"2026-05-31T03:14:15.123456789+00:00"'),
            [Loss("created_at", "changed", "timestamp-respelled", "$.created_at")],
        ),
        (  # the same instant under another offset is a respelling, not a new value
            _with(created_at='"2026-05-31T05:14:15.123456789+02:00"'),
            [Loss("created_at", "changed", "timestamp-respelled", "$.created_at")],
        ),
        (  # ... and the instant cut to microseconds under another offset a truncation
            _with(created_at='"2026-05-30T22:14:15.123456-05:00"'),
            [Loss("created_at", "changed", "timestamp-truncated", "$.created_at")],
        ),
        (
            _with(created_at='"2026-06-01T00:00:00Z"'),
            [Loss("created_at", "changed", "value", "$.created_at")],
        ),
        (  # an hour off is another instant, whatever the spelling
            _with(created_at='"2026-05-31T03:14:15.123456789+01:00"'),
            [Loss("created_at", "changed", "value", "$.created_at")],
        ),
        (_with(step="7"), [Loss("step", "changed", "type", "$.step")]),
        (_with(meta='{"x":1}'), [Loss("meta", "derived", "defaulted")]),
        (
            _with(worker_id="", worker='"w"'),
            [Loss("worker_id", "renamed", "worker")],
        ),
    ],
)
def test_each_kind_of_loss(kept: str, expected: list[Loss]) -> None:
    assert compare(BASE, kept) == expected


def test_a_declared_re_derivation() -> None:
    kept = _with(status='"DONE"')
    assert compare(BASE, kept) == [Loss("status", "changed", "value", "$.status")]
    assert compare(BASE, kept, derives=["status"]) == [
        Loss("status", "derived", "re-derived", "$.status")
    ]


def test_payload_is_read_as_context_and_null_optionals_as_absent() -> None:
    produced = _with(context="", payload='{"b":1,"a":[1.5,2]}', meta="null")
    assert compare(produced, BASE) == []


def test_defaults_are_not_lost_data() -> None:
    assert not Loss("meta", "derived", "defaulted").loses_data
    assert Loss("status", "derived", "re-derived").loses_data
    assert Loss("status", "dropped").loses_data
