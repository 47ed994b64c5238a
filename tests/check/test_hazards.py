"""``--hazards``: what valid envelopes carry that changes or breaks on the way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.audit._hazards import KINDS, scan_event, scan_request
from noetl_events_ref import decode_event, decode_request

from .conftest import Result
from .tricky import BASE, REQUEST_BASE, render

Check = Callable[..., Result]


def event(**changes: str) -> bytes:
    members = [(k, changes.pop(k, v)) for k, v in BASE.items()]
    members += list(changes.items())
    line = render(members).encode()
    decode_event(line)  # hazards are about valid lines
    return line


def kinds(found: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    return [(kind, path) for kind, path, _ in found]


SMALL_IDS = {"execution_id": "1", "event_id": "2"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, [("unsafe_integer", "$.execution_id"), ("unsafe_integer", "$.event_id")]),
        ({**SMALL_IDS}, []),
        ({**SMALL_IDS, "execution_id": str(2**53 - 1)}, []),
        ({**SMALL_IDS, "execution_id": str(2**53)}, [("unsafe_integer", "$.execution_id")]),
        ({**SMALL_IDS, "execution_id": str(-(2**53))}, [("unsafe_integer", "$.execution_id")]),
        ({**SMALL_IDS, "context": '{"x":1.50}'}, [("float_respelled", "$.context.x")]),
        ({**SMALL_IDS, "context": '{"x":1.5}'}, []),
        (
            {**SMALL_IDS, "context": "[1e5, -0, 18446744073709551616, 0.00001, 7e-81]"},
            [
                ("float_respelled", "$.context[0]"),
                ("float_respelled", "$.context[1]"),
                ("float_respelled", "$.context[2]"),
                ("float_respelled", "$.context[4]"),
            ],
        ),
        ({**SMALL_IDS, "meta": '{"b":1,"a":2}'}, [("key_order", "$.meta")]),
        (
            {**SMALL_IDS, "context": '{"a":{"z":1,"y":[{"d":0,"c":0}]}}'},
            [("key_order", "$.context.a"), ("key_order", "$.context.a.y[0]")],
        ),
        ({**SMALL_IDS, "context": '{"a":1,"a":2}'}, [("duplicate_key", "$.context.a")]),
        ({**SMALL_IDS, "created_at": '"2026-05-31T03:14:15.123456Z"'}, []),
        (
            {**SMALL_IDS, "created_at": '"2026-05-31T03:14:15.1234567Z"'},
            [("sub_microsecond", "$.created_at")],
        ),
        ({**SMALL_IDS, "created_at": '"2026-12-31T23:59:60Z"'}, [("leap_second", "$.created_at")]),
        ({**SMALL_IDS, "context": '{"password":"hunter2"}'}, [("secret", "$.context.password")]),
        # spelled as every other path: a key that is no identifier as a JSON string
        ({**SMALL_IDS, "context": '{"Api-Key":"k"}'}, [("secret", '$.context["Api-Key"]')]),
        ({**SMALL_IDS, "meta": '{"auth":{"x":1}}'}, [("secret", "$.meta.auth")]),
        ({**SMALL_IDS, "status": '"Bearer abc"'}, [("secret", "$.status")]),
        ({**SMALL_IDS, "worker_id": '"' + "A" * 40 + '"'}, [("secret", "$.worker_id")]),
        ({**SMALL_IDS, "context": '"password"'}, []),  # a non-object payload is not stored
        ({**SMALL_IDS, "context": '{"a":' + "[" * 97 + "]" * 97 + "}"}, []),
        ({**SMALL_IDS, "context": '{"a":' + "[" * 98 + "]" * 98 + "}"}, [("deep_nesting", "$")]),
        ({**SMALL_IDS, "unknown": '{"b":1,"a":1.50,"password":"x"}'}, []),  # dropped by serde
    ],
)
def test_event_hazards(changes: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert sorted(kinds(scan_event(event(**changes)))) == sorted(expected)


def test_payload_alias_is_named_as_written() -> None:
    line = render(
        [
            ("payload" if k == "context" else k, v)
            for k, v in {**BASE, **SMALL_IDS, "context": '{"token":"x","b":1.0e0}'}.items()
        ]
    ).encode()
    found = kinds(scan_event(line))
    assert ("secret", "$.payload.token") in found
    assert ("float_respelled", "$.payload.b") in found


def test_positional_form() -> None:
    line = b'[1,"t","s","S","2026-05-31T03:14:15Z",{"b":1,"a":2},9007199254740993]'
    decode_event(line)
    assert sorted(kinds(scan_event(line))) == [("key_order", "$[5]"), ("unsafe_integer", "$[6]")]


def test_request_hazards() -> None:
    line = render(
        list(
            {
                **REQUEST_BASE,
                "execution_id": "9007199254740993",
                "event_ids": "[1, 9007199254740993]",
                "payload": '{"secret_key":"x"}',
                "created_at": '"2026-05-31T03:14:15.000000001Z"',
            }.items()
        )
    ).encode()
    decode_request(line)
    assert sorted(kinds(scan_request(line))) == [
        ("secret", "$.payload.secret_key"),
        ("sub_microsecond", "$.created_at"),
        ("unsafe_integer", "$.event_id"),
        ("unsafe_integer", "$.event_ids[1]"),
        ("unsafe_integer", "$.execution_id"),
    ]


def test_every_kind_is_documented() -> None:
    import conformance.audit._hazards as module

    assert module.__doc__ is not None
    docs = (Path(__file__).resolve().parents[2] / "docs" / "check.md").read_text("utf-8")
    table = docs.split("## Hazards (`--hazards`)", 1)[1].split("\n## ", 1)[0]
    for kind in KINDS:
        assert kind in module.__doc__
        assert f"| `{kind}` |" in table, kind


def test_deep_unknown_field_does_not_crash() -> None:
    line = event(**SMALL_IDS, unknown="[" * 5000 + "]" * 5000)
    assert kinds(scan_event(line)) == [("deep_nesting", "$")]


@pytest.mark.parametrize(("depth", "deep"), [(400, False), (512, False), (513, True), (975, True)])
def test_how_deep_an_unknown_field_may_nest_is_the_lines_alone(depth: int, deep: bool) -> None:
    """Python's scanner stops at a depth that depends on the caller's stack: a line 975 deep
    was a hazard under --jobs 2 and none under --jobs 1 or the native engine."""
    line = event(
        **SMALL_IDS, unknown='{"s":"[[[[","a":' + "[" * (depth - 2) + "]" * (depth - 2) + "}"
    )

    def nested(levels: int) -> list[tuple[str, str]]:  # called from a deeper stack
        return nested(levels - 1) if levels else kinds(scan_event(line))

    expected = [("deep_nesting", "$")] if deep else []
    assert kinds(scan_event(line)) == expected
    assert nested(400) == expected


def test_every_engine_and_job_count_reports_deep_lines_alike(tmp_path: Path, check: Check) -> None:
    """The same lines behind a line too large for a block (the native engine's other way
    to the scanner), read by one job and by two."""
    path = tmp_path / "deep.jsonl"
    lines = [b"x" * (5 << 20)]
    lines += [event(**SMALL_IDS, unknown="[" * n + "]" * n) for n in (400, 600, 975, 984)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    reports = [
        check(str(path), "--hazards", "--format", "json", "--jobs", jobs, "--max-item-size", "8M")
        for jobs in ("1", "2")
    ]
    assert reports[0].out == reports[1].out
    report = reports[0].json()
    assert report["hazards"]["lines"] == 3
    assert [h["line"] for h in report["hazards"]["items"]] == [3, 4, 5]


def test_invalid_utf8_in_an_unknown_field() -> None:
    line = event(**SMALL_IDS, unknown='"@"').replace(b"@", b"\xff")
    decode_event(line)
    assert scan_event(line) == []


def test_a_lines_hazards_past_the_cap_are_counted_not_held(
    tmp_path: Path, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every hazard of a line was held in full before the report's cap applied: a 4 MiB line
    repeating one key 700,000 times took 420 MB. Past PER_LINE they are counted by kind."""
    from conformance.audit import _hazards

    monkeypatch.setattr(_hazards, "PER_LINE", 5)
    context = "{" + ",".join(['"a":1'] * 12) + ',"z":[' + ",".join(["1.50"] * 7) + "]}"
    line = event(**SMALL_IDS, context=context)
    found = scan_event(line)
    assert len(found) == 5
    assert found.overflow == {"duplicate_key": 6, "float_respelled": 7}
    assert [kind for kind, _, _ in found] == ["duplicate_key"] * 5
    path = tmp_path / "many.jsonl"
    path.write_bytes(line + b"\n")
    report = check(str(path), "--hazards", "--format", "json", "--max-errors", "0").json()
    assert report["hazards"]["by_kind"] == {"duplicate_key": 11, "float_respelled": 7}


def test_measuring_the_nesting_of_a_long_string_holds_no_copy_of_it() -> None:
    """The string pattern kept a backtracking entry per character: a 4 MB line with more than
    512 brackets inside its strings took 450 MB to measure."""
    import tracemalloc

    from conformance.audit._hazards import _nesting

    for blob in (("x" * 1000 + "[") * 4000, "[" * 600 + "\\n" * 1_900_000):  # (escapes too)
        line = event(**SMALL_IDS, context='{"blob":"' + blob + '"}')
        tracemalloc.start()
        try:
            assert _nesting(line) == 2
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 3 * len(line)
