"""``check postgresql://...`` under faults, against PostgreSQL clusters of the tests' own (never
the shared service): a table locked, a backend frozen, the server killed mid-read, rows of
20 MB, inserts between shard runs, a query without ORDER BY, interruption, a password in the
URL.

Each scenario asserts the counts, the exit status, the completeness verdict, that the table is
unchanged (a checksum of every row) and the process's peak memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.audit._pg import APPLICATION_NAME

from ._servers import PEAK_RSS_LIMIT, ROOT, PgServer, Run, pg_server, run_check, wait_until
from .conftest import need_module

psycopg = need_module("psycopg", "postgres")

DDL = (ROOT / "scripts" / "noetl-event.sql").read_text()
ROWS = 100_000


def _fill(url: str, rows: int, first: int = 1, *, every_invalid: int = 10) -> None:
    """``rows`` rows; every ``every_invalid``-th one has an invalid timestamp (infinity)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO noetl.event (execution_id, event_id, node_id, node_name, event_type,
                                     status, result, meta, worker_id, created_at)
            SELECT 7, n, 'fetch', 'fetch', 'command.completed', 'COMPLETED',
                   '{"status": "COMPLETED", "context": {"items": 42}}'::jsonb,
                   '{"attempts": 1}'::jsonb, 'worker-1',
                   CASE WHEN n %% %(every)s = 0 THEN 'infinity'::timestamp
                        ELSE '2026-05-31 03:14:15.123456'::timestamp END
            FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
            """,
            {"first": first, "last": first + rows - 1, "every": every_invalid},
        )


def checksum(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' "
            "ORDER BY execution_id, event_id)), '') FROM noetl.event t"
        ).fetchone()
    assert row is not None
    return str(row[0])


def _database(server: PgServer, name: str) -> str:
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = server.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(DDL)
    return url


@pytest.fixture(scope="module")
def server() -> Iterator[PgServer]:
    with pg_server() as s:
        yield s


@pytest.fixture
def db(server: PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database with an empty ``noetl.event``."""
    name = f"faults_{abs(hash(request.node.name)) % 10**9}"
    url = _database(server, name)
    yield url
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _report(run: Run) -> Any:
    assert "Traceback" not in run.err, run.err
    return json.loads(run.out)


def _backend(url: str) -> int | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME]
        ).fetchone()
    return int(row[0]) if row else None


def test_a_locked_table_gives_up_at_the_timeout(db: str, tmp_path: Path) -> None:
    _fill(db, 1000)
    before = checksum(db)
    holder = psycopg.connect(db)
    holder.execute("LOCK TABLE noetl.event IN ACCESS EXCLUSIVE MODE")
    try:
        run = run_check([db, "--format", "json", "--timeout", "2"], tmp_path, timeout=60)
    finally:
        holder.rollback()
        holder.close()
    assert run.status == 2, run.err
    assert "lock" in run.err
    assert "Traceback" not in run.err
    assert run.seconds < 2 + 2 + 8  # the timeout, the watchdog, start-up
    assert checksum(db) == before


def test_a_frozen_backend_gives_up_at_the_timeout(db: str, tmp_path: Path) -> None:
    _fill(db, ROWS)
    before = checksum(db)
    frozen: list[int] = []

    def freeze(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: _backend(db) is not None or proc.poll() is not None, step=0.005)
        pid = _backend(db)
        if pid is not None:
            os.kill(pid, signal.SIGSTOP)
            frozen.append(pid)

    try:
        run = run_check(
            [db, "--format", "json", "--timeout", "2"], tmp_path, during=freeze, timeout=60
        )
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    assert frozen, "the reading session was never seen"
    assert run.status in (2, 3), run.err
    assert "Traceback" not in run.err
    assert "did not answer" in run.err
    assert run.seconds < 2 + 2 + 8
    if run.status == 3:
        assert _report(run)["complete"] is False
    assert checksum(db) == before


def test_a_server_killed_mid_read(tmp_path: Path) -> None:
    with pg_server() as server:
        url = _database(server, "killed")
        _fill(url, ROWS)

        def kill(proc: subprocess.Popen[bytes]) -> None:
            wait_until(lambda: _backend(url) is not None or proc.poll() is not None, step=0.005)
            server.stop("immediate")

        run = run_check([url, "--format", "json", "--timeout", "5"], tmp_path, during=kill)
    assert run.status in (2, 3), run.err
    assert "Traceback" not in run.err
    if run.status == 3:
        report = _report(run)
        assert report["complete"] is False and report["total"] < ROWS


def _big_rows(url: str, rows: int, size: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO noetl.event (execution_id, event_id, node_name, event_type, status,
                                     result, created_at)
            SELECT 9, n, 'fetch', 'command.completed', 'COMPLETED',
                   jsonb_build_object('status', 'COMPLETED',
                                      'context', jsonb_build_object('blob', repeat('x', %s))),
                   '2026-05-31 03:14:15'
            FROM generate_series(1, %s) AS n
            """,
            [size, rows],
        )


def test_rows_of_20_mb_are_too_large_in_bounded_memory(db: str, tmp_path: Path) -> None:
    _big_rows(db, 6, 20_000_000)
    before = checksum(db)
    run = run_check([db, "--format", "json"], tmp_path)
    report = _report(run)
    assert run.status == 1
    assert report["complete"] is True
    assert (report["total"], report["by_kind"]) == (6, {"too_large": 6})
    assert report["errors"][0]["line"] == "row 1 (execution_id=9, event_id=1)"
    assert report["errors"][0]["message"].startswith("20,000,0")
    assert run.peak_rss < PEAK_RSS_LIMIT
    assert checksum(db) == before


def test_an_oversized_row_keeps_its_key_and_its_shard(db: str, tmp_path: Path) -> None:
    _big_rows(db, 6, 5000)
    small = ["--format", "json", "--max-item-size", "4000"]
    report = _report(run_check([db, *small], tmp_path))
    assert report["by_kind"] == {"too_large": 6}
    assert report["errors"][0]["line"] == "row 1 (execution_id=9, event_id=1)"
    shards = [
        [
            e["line"]
            for e in _report(run_check([db, *small, "--shard", f"{i}/2"], tmp_path))["errors"]
        ]
        for i in range(2)
    ]
    assert shards == [
        [f"row {k} (execution_id=9, event_id={k})" for k in (2, 4, 6)],
        [f"row {k} (execution_id=9, event_id={k})" for k in (1, 3, 5)],
    ]


def test_rows_of_3_mb_are_read_in_batches_bounded_by_bytes(db: str, tmp_path: Path) -> None:
    _big_rows(db, 40, 3_000_000)
    run = run_check([db, "--format", "json"], tmp_path)
    report = _report(run)
    assert run.status == 0, run.err
    assert (report["total"], report["valid"]) == (40, 40)
    assert run.peak_rss < PEAK_RSS_LIMIT


def test_inserts_between_shard_runs_keep_shards_a_partition(db: str, tmp_path: Path) -> None:
    _fill(db, 100, every_invalid=5)
    first = _report(run_check([db, "--format", "json", "--shard", "0/2"], tmp_path))
    _fill(db, 1, first=0)  # a row before all others: the positions of the rest move
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("DELETE FROM noetl.event WHERE event_id = 5")
    second = _report(run_check([db, "--format", "json", "--shard", "1/2"], tmp_path))
    checked = [e["line"] for e in first["errors"]] + [e["line"] for e in second["errors"]]
    ids = [int(line.split("event_id=")[1].rstrip(")")) for line in checked]
    assert len(ids) == len(set(ids))  # no row checked twice
    assert sorted(ids) == [0, *range(10, 101, 5)] or sorted(ids) == list(range(10, 101, 5))
    assert first["complete"] and second["complete"]


def test_shards_of_a_query_without_order_by_partition_it(db: str, tmp_path: Path) -> None:
    _fill(db, 3000, every_invalid=3)
    query = (
        "SELECT execution_id, event_type, node_name AS step, status, created_at, "
        "result -> 'context' AS context, event_id, worker_id, meta FROM noetl.event"
    )
    seen: list[str] = []
    totals = 0
    for i in range(3):
        report = _report(
            run_check(
                [
                    db,
                    "--format",
                    "json",
                    "--max-errors",
                    "0",
                    "--query",
                    query,
                    "--shard",
                    f"{i}/3",
                ],
                tmp_path,
            )
        )
        totals += report["total"]
        seen += [e["line"].split("(", 1)[1] for e in report["errors"]]
    assert totals == 3000
    assert len(seen) == len(set(seen)) == 1000


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_ends_its_session(db: str, tmp_path: Path, sig: signal.Signals) -> None:
    _fill(db, ROWS)
    signalled: list[float] = []

    def interrupt(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: _backend(db) is not None or proc.poll() is not None, step=0.005)
        time.sleep(0.3)
        signalled.append(time.monotonic())
        proc.send_signal(sig)

    began = time.monotonic()
    run = run_check([db, "--exact"], tmp_path, during=interrupt)
    assert run.status == 130, run.err
    assert "Traceback" not in run.err
    assert began + run.seconds - signalled[0] < 15  # (the figure: benchmarks/check.py)
    wait_until(lambda: _backend(db) is None, seconds=10, step=0.1)


def test_a_password_in_the_url_is_never_shown(db: str, tmp_path: Path) -> None:
    secret = "s3cr3t-Pa55"
    for url in (
        f"{db}?password={secret}&application_name=x",
        db.replace("noetl@", f"noetl:{secret}@"),
        db.rsplit("/", 1)[0] + f"/no_such_db?password={secret}",
    ):
        run = run_check([url, "--format", "json"], tmp_path)
        assert secret not in run.out + run.err
        assert "Traceback" not in run.err
        assert run.status in (0, 2)


def test_watchdog_needs_no_server_cooperation() -> None:
    """The watchdog ends a call that never returns, whatever blocks it."""
    from conformance.audit._pg import _deadline, _Watchdog

    reader, writer = os.pipe()
    began = time.monotonic()
    with pytest.raises(_Watchdog), _deadline(0.3):
        os.read(reader, 1)  # nothing ever comes
    assert time.monotonic() - began < 5
    os.close(reader)
    os.close(writer)
    assert threading.current_thread() is threading.main_thread()
