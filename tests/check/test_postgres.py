"""``check postgresql://...`` against a real PostgreSQL (``NOETL_EVENTS_TEST_PG``; started by
``scripts/services.sh start``). Each test session works in a database of its own, with the
``noetl.event`` table of ``scripts/noetl-event.sql``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from conformance.audit._pg import member_text, rebuild_line, timestamp_text
from noetl_events_ref import decode_event

from .conftest import ROOT, Result, need_module, service_down, service_url

Check = Callable[..., Result]
psycopg = need_module("psycopg", "postgres")

DDL = (ROOT / "scripts" / "noetl-event.sql").read_text()


def _with_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@pytest.fixture(scope="module")
def pg() -> Iterator[str]:
    """The URL of a fresh database holding an empty ``noetl.event``."""
    url = service_url("NOETL_EVENTS_TEST_PG", "PostgreSQL")
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        service_down(url, "PostgreSQL", e)
    db = f"noetl_check_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    test_url = _with_db(url, db)
    try:
        with psycopg.connect(test_url, autocommit=True) as conn:
            conn.execute(DDL)
        yield test_url
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture
def table(pg: str) -> Iterator[Callable[..., None]]:
    """``insert(execution_id, event_id, **columns)``; the table is emptied after the test."""

    def insert(execution_id: int, event_id: int, **columns: Any) -> None:
        row: dict[str, Any] = {
            "execution_id": execution_id,
            "event_id": event_id,
            "node_id": "fetch",
            "node_name": "fetch",
            "event_type": "command.completed",
            "status": "COMPLETED",
            "result": json.dumps({"status": "COMPLETED", "context": {"items": 42}}),
            "meta": json.dumps({"attempts": 1, "actionable": True, "informative": True}),
            "worker_id": "worker-1",
            "created_at": "2026-05-31 03:14:15.123456",
        }
        row.update(columns)
        names = ", ".join(row)
        marks = ", ".join(f"%({k})s::jsonb" if k in ("result", "meta") else f"%({k})s" for k in row)
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f"INSERT INTO noetl.event ({names}) VALUES ({marks})", row)

    yield insert
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("TRUNCATE noetl.event")


def test_rows_are_rebuilt_and_checked(pg: str, table: Callable[..., None], check: Check) -> None:
    table(1, 1)
    table(1, 2, result=json.dumps({"status": "FAILED"}))  # no context: "context": null
    table(1, 3, node_name=None)  # step null
    table(2, 1, created_at="infinity")
    table(2, 2, result='{"status": "COMPLETED", "context": {"x": 1e400}}')
    table(2, 3, meta="[" * 130 + "]" * 130)
    table(3, 1, created_at="10000-01-01 00:00:00", meta="null", worker_id=None)
    table(3, 2, created_at="0044-03-15 00:00:00 BC", meta=json.dumps("a string"))
    result = check(pg, "--format", "json")
    assert result.status == 1, result.err
    report = result.json()
    assert (report["total"], report["valid"], report["invalid"]) == (8, 4, 4)
    errors = {e["line"]: (e["kind"], e["path"]) for e in report["errors"]}
    assert errors == {
        "row 3 (execution_id=1, event_id=3)": ("invalid_type", "$.step"),
        "row 4 (execution_id=2, event_id=1)": ("invalid_timestamp", "$.created_at"),
        "row 5 (execution_id=2, event_id=2)": ("number_out_of_range", "$.context.x"),
        "row 6 (execution_id=2, event_id=3)": ("recursion_limit", "$.meta" + "[0]" * 126),
    }
    assert report["by_event_type"] == {"command.completed": 4}


def test_hazards_from_the_table(pg: str, table: Callable[..., None], check: Check) -> None:
    table(1, 1, meta=json.dumps({"token": "abc"}))
    report = check(pg, "--format", "json", "--hazards").json()
    kinds = {(h["kind"], h["path"]) for h in report["hazards"]["items"]}
    assert ("secret", "$.meta.token") in kinds


def _without_snapshot(report: dict[str, Any]) -> dict[str, Any]:
    for source in report["sources"]:
        assert source.pop("snapshot")  # (there is one)
    return report


def test_many_rows_in_batches(pg: str, table: Callable[..., None], check: Check) -> None:
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO noetl.event (execution_id, event_id, node_id, node_name, event_type,
                   status, result, meta, worker_id, created_at)
               SELECT 7, n, 's', 's', 'step.exit', 'COMPLETED',
                      jsonb_build_object('status', 'COMPLETED',
                                         'context', jsonb_build_object('n', n)),
                      NULL, NULL, timestamp '2026-01-01' + n * interval '1 second'
               FROM generate_series(1, 12000) AS n"""
        )
    table(8, 1, node_name=None)
    one = check(pg, "--format", "json")
    assert one.json()["total"] == 12001
    assert one.json()["errors"][0]["line"] == "row 12001 (execution_id=8, event_id=1)"
    # the same report, but for the server's snapshot: the transaction ids are the whole
    # server's, and a test on another worker may commit between the two runs
    assert _without_snapshot(check(pg, "--format", "json", "--jobs", "2").json()) == (
        _without_snapshot(one.json())
    )
    shards = [check(pg, "--format", "json", "--shard", f"{i}/2").json() for i in range(2)]
    assert [s["total"] for s in shards] == [6000, 6001]


def test_custom_query(pg: str, table: Callable[..., None], check: Check) -> None:
    table(1, 1)
    table(1, 2, result='{"status": "X", "context": {"password": "x", "n": 1.50}}')  # jsonb: 1.50
    query = (
        "SELECT execution_id, event_type, node_name, status, created_at, result, event_id "
        "FROM noetl.event WHERE event_id = 2"
    )
    report = check(pg, "--query", query, "--format", "json", "--hazards").json()
    assert (report["total"], report["valid"]) == (1, 1)
    assert {(h["kind"], h["path"]) for h in report["hazards"]["items"]} >= {
        ("secret", "$.context.password"),
        ("float_respelled", "$.context.n"),
    }
    # a query that ends in a comment, or in a semicolon, reads the same rows
    for ending in (" -- only the second event", ";\n"):
        again = check(pg, "--query", query + ending, "--format", "json", "--hazards")
        assert again.status == 0, again.err
        assert again.json()["hazards"] == report["hazards"]


def test_a_failed_query_and_a_null_key_read_plainly(
    pg: str, table: Callable[..., None], check: Check
) -> None:
    """The server's error took several lines (with an excerpt of the kit's own wrapper around
    --query), and a NULL id was named as Python's None."""
    table(1, 1)
    result = check(pg, "--query", "SELECT * FROM no_such_table")
    assert result.status == 2
    assert result.err.count("\n") == 1 and "LINE" not in result.err
    assert 'the query failed: relation "no_such_table" does not exist' in result.err
    query = (
        "SELECT NULL::bigint AS execution_id, event_id, event_type, node_name, status, "
        "created_at, result FROM noetl.event"
    )
    report = check(pg, "--query", query, "--format", "json").json()
    assert [e["line"] for e in report["errors"]] == ["row 1 (execution_id=null, event_id=1)"]


def test_query_without_needed_columns(pg: str, table: Callable[..., None], check: Check) -> None:
    result = check(pg, "--query", "SELECT execution_id FROM noetl.event")
    assert result.status == 2
    assert "the query gives no column event_type, status, created_at" in result.err


def test_reading_is_read_only(pg: str, table: Callable[..., None], check: Check) -> None:
    table(1, 1)
    query = (
        "SELECT execution_id, event_type, node_name, status, created_at, result "
        "FROM noetl.event FOR UPDATE"  # takes row locks: refused in a read-only transaction
    )
    result = check(pg, "--query", query)
    assert result.status == 2
    assert "read-only transaction" in result.err
    with psycopg.connect(pg) as conn:
        assert conn.execute("SELECT count(*) FROM noetl.event").fetchone() == (1,)


def test_a_query_that_goes_on_after_its_parenthesis_runs_none_of_it(
    pg: str, table: Callable[..., None], check: Check
) -> None:
    """--query is read as a subquery: one that closes it, commits the read-only transaction
    and deletes must be refused before any statement runs."""
    table(1, 1)
    query = (
        "SELECT * FROM noetl.event) AS x; COMMIT; DELETE FROM noetl.event; "
        "SELECT * FROM (SELECT * FROM noetl.event"
    )
    result = check(pg, "--query", query)
    assert result.status == 2
    assert "the query failed: cannot insert multiple commands" in result.err
    with psycopg.connect(pg) as conn:
        assert conn.execute("SELECT count(*) FROM noetl.event").fetchone() == (1,)


def test_a_query_failing_at_its_first_row_is_a_failed_query_not_a_partial_read(
    pg: str, table: Callable[..., None], check: Check, tmp_path: Path
) -> None:
    table(1, 1)
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("CREATE SEQUENCE IF NOT EXISTS noetl_events_test_seq")
    query = "SELECT e.*, nextval('noetl_events_test_seq') AS n FROM noetl.event AS e"
    output = tmp_path / "r.json"
    result = check(pg, "--query", query, "--format", "json", "--output", str(output))
    assert result.status == 2
    stopped = json.loads(output.read_text())["incomplete"]
    assert stopped["partial"] is False
    assert (
        "the query failed: cannot execute nextval() in a read-only transaction"
        in (stopped["reason"])
    )


def test_unreachable_server(check: Check) -> None:
    result = check("postgresql://noetl@127.0.0.1:1/noetl", "--timeout", "2")
    assert result.status == 2
    assert "cannot connect" in result.err
    assert "Traceback" not in result.err


def test_password_is_not_shown(check: Check) -> None:
    result = check("postgresql://noetl:s3cret@127.0.0.1:1/noetl", "--timeout", "1")
    assert result.status == 2
    assert "s3cret" not in result.err


# ---- rebuilding rows (no server needed) -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-31 03:14:15", "2026-05-31T03:14:15Z"),
        ("2026-05-31 03:14:15.123456", "2026-05-31T03:14:15.123456Z"),
        ("2026-05-31 03:14:15.5+00", "2026-05-31T03:14:15.5Z"),
        ("0044-03-15 00:00:00 BC", "-0043-03-15T00:00:00Z"),
        ("0001-01-01 00:00:00 BC", "0000-01-01T00:00:00Z"),
        ("10000-01-01 00:00:00", "+10000-01-01T00:00:00Z"),
        ("infinity", "infinity"),
    ],
)
def test_timestamp_text(text: str, expected: str) -> None:
    assert timestamp_text(text) == expected


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('{"status": "S", "context": {"a": [1, {"b": "}"}]}}', "context", '{"a": [1, {"b": "}"}]}'),
        ('{"context": 1.50, "x": 2}', "context", "1.50"),
        ('{"status": "S"}', "context", None),
        ('["context"]', "context", None),
        ('{"a\\"context": 1, "context": "x\\"y"}', "context", '"x\\"y"'),
        ('{"context": ' + "[" * 3000 + "]" * 3000 + "}", "context", "[" * 3000 + "]" * 3000),
    ],
)
def test_member_text(text: str, key: str, expected: str | None) -> None:
    assert member_text(text, key) == expected


def test_rebuild_line_is_the_envelope() -> None:
    row = {
        "execution_id": (1, False),
        "event_type": ("t", False),
        "node_name": ("s", False),
        "status": ("S", False),
        "created_at": ("2026-05-31T03:14:15Z", False),
        "result": ('{"status": "S", "context": {"k": 1}}', True),
        "event_id": (2, False),
        "worker_id": (None, False),
        "meta": (None, True),
    }
    line = rebuild_line(row)
    assert line == (
        b'{"execution_id":1,"event_type":"t","step":"s","status":"S",'
        b'"created_at":"2026-05-31T03:14:15Z","context":{"k": 1},"event_id":2,'
        b'"worker_id":null,"meta":null}'
    )
    event = decode_event(line)
    assert event.context == {"k": 1} and event.meta is None


def test_schema_file_is_the_one_services_sh_applies() -> None:
    script = (ROOT / "scripts" / "services.sh").read_text()
    assert "noetl-event.sql" in script
    assert Path(ROOT / "scripts" / "noetl-event.sql").is_file()
