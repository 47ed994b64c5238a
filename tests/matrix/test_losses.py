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


@pytest.mark.parametrize(
    ("produced", "kept", "kind"),
    [
        # serde_json without float_roundtrip reads this one ULP off, and writes the shortest form
        ("1.938869200975526e-08", "1.9388692009755262e-8", "precision-lost"),
        ("0.1", "0.10000000000000002", "precision-lost"),  # one ULP, 17 digits
        ("-0.1", "-0.10000000000000003", "precision-lost"),  # two ULPs, negative
        ("0.1", "0.1000000000000000055511151231257827021181583404541015625", "precision-lost"),
        ("478775660589088776", "4.787756605890888e17", "precision-lost"),  # the same double
        ("0.1", "0.10000000000000014", "value"),  # ten ULPs: a change, not a rounding
        ("-0.1", "0.1", "value"),
        ("478775660589088776", "478775660589088777", "value"),  # 18 digits: no double's spelling
        ("9007199254740993", "9007199254740994", "value"),  # two integers on two doubles
        ("1e400", "1.7976931348623157e308", "value"),  # past the doubles
        ("1.5e-8", "1.50e-8", "float-respelled"),
    ],
)
def test_a_rounded_number_is_precision_lost(produced: str, kept: str, kind: str) -> None:
    before = _with(context='{"b":' + produced + ',"a":[1.5,2]}')
    after = _with(context='{"b":' + kept + ',"a":[1.5,2]}')
    assert compare(before, after) == [Loss("context", "changed", kind, "$.context.b")]
