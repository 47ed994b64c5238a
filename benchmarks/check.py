#!/usr/bin/env python3
"""Figures for ``noetl-events-conformance check``.

Writes a JSONL file of realistic envelopes (``_envelopes.realistic_lines``, fixed seed) in a
temporary folder, then times, each in a fresh process, best of ``--repeat`` runs:

- a bare loop ``for line in file: orjson.loads(line)`` over that file (the yardstick);
- ``check FILE --format json`` (one process): events/s, its ratio to the bare loop, and its
  peak memory (RSS high-water mark, from ``wait4``);
- ``check FILE --jobs 2``: the speed-up over ``--jobs 1`` (and that both reports are equal);
- the start-up of both commands (an empty input), to show the figures without it as well.

Targets: ratio >= 0.5, peak memory < 150 MB, speed-up >= 1.7 (on two idle cores).

With ``--faults``, figures for hostile inputs instead, each the peak memory of one run at the
default settings against the 150 MB limit (and against the start-up baseline: ``check`` on an
empty file), and the time from SIGINT to exit against the 2 s target:

- a file holding one 200 MB line (kind ``too_large``, never held whole);
- 60 PostgreSQL rows of 20 MB (``too_large``, never sent) and 60 rows of 3 MB (read in
  batches bounded by bytes), in a scratch database on ``NOETL_EVENTS_TEST_PG`` (with
  ``--timeout 60``: the server's sizing of such rows is slow, and only memory is measured);
- 2,000,000 invalid lines with ``--max-errors 0`` (100,000 listed, the rest counted);
- with the native engine installed, 1,000,000 realistic lines with ``--hazards --jobs 2``
  (threads, blocks read ahead);
- SIGINT 1 s into a long run: a file with ``--jobs 1`` and ``--jobs 2``, PostgreSQL and NATS
  (``NOETL_EVENTS_TEST_NATS``) when configured.

    PYTHONPATH=. python benchmarks/check.py [--lines 1000000] [--repeat 3]
    PYTHONPATH=. python benchmarks/check.py --faults
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _envelopes import realistic_lines
from _timing import BARE, CHECK, best, env, measured, require

ROOT = Path(__file__).resolve().parent.parent

LIMIT_MB = 150.0
INTERRUPT_TARGET = 2.0


def interrupted(argv: list[str], after: float = 1.0) -> tuple[float, int]:
    """Seconds from SIGINT (``after`` seconds into the run) to the exit, and the status."""
    proc = subprocess.Popen(argv, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(after)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, status, _ = os.wait4(proc.pid, 0)
    return time.perf_counter() - sent, os.waitstatus_to_exitcode(status)


def _pg_scratch(url: str) -> tuple[str, Callable[[], None]]:
    """A scratch database on the server of ``url`` with noetl.event: (its URL, a dropper)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"noetl_check_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    scratch = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    with psycopg.connect(scratch, autocommit=True) as conn:
        conn.execute((ROOT / "scripts" / "noetl-event.sql").read_text())

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return scratch, drop


def _pg_rows(url: str, rows: int, size: int, *, first: int = 1) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO noetl.event (execution_id, event_id, node_name, event_type, status,
                                        result, created_at)
               SELECT 9, n, 'fetch', 'command.completed', 'COMPLETED',
                      jsonb_build_object('status', 'COMPLETED', 'context',
                                         jsonb_build_object('blob', repeat(md5(n::text), %s))),
                      '2026-05-31 03:14:15'
               FROM generate_series(%s::bigint, %s::bigint) AS n""",
            [max(1, size // 32), first, first + rows - 1],
        )


def _nats_stream(url: str, count: int) -> str:
    import nats

    server, _, _ = url.rpartition("/")
    name = f"check_bench_{os.getpid()}"
    line = b"x" * 300

    async def go() -> None:
        nc = await nats.connect(servers=[server], connect_timeout=5)
        js = nc.jetstream(timeout=60)
        await js.add_stream(name=name, subjects=[f"{name}.>"])
        for _ in range(count):
            await nc.publish(f"{name}.e", line)
        await nc.flush(timeout=60)
        await asyncio.sleep(1)
        await nc.close()

    asyncio.run(go())
    return f"{server}/{name}"


def _nats_drop(url: str) -> None:
    import nats

    server, _, name = url.rpartition("/")

    async def go() -> None:
        nc = await nats.connect(servers=[server], connect_timeout=5)
        await nc.jetstream().delete_stream(name)
        await nc.close()

    asyncio.run(go())


def faults() -> int:
    """The figures for hostile inputs (see the module's docstring)."""
    py = sys.executable
    tmp = Path(tempfile.mkdtemp(prefix="noetl-check-faults-"))
    check = [py, "-c", CHECK, "check"]
    rows: list[tuple[str, float, int, str]] = []
    try:
        empty = tmp / "empty.jsonl"
        empty.write_bytes(b"")
        base = measured([*check, str(empty)]).peak_mb

        line = tmp / "line.jsonl"
        with line.open("wb") as f:
            chunk = b"x" * (1 << 20)
            for _ in range(200):
                f.write(chunk)
            f.write(b"\n")
        run = measured([*check, str(line), "--format", "json"])
        rows.append(("one 200 MB line", run.peak_mb, run.status, "too_large"))
        line.unlink()

        blank = tmp / "errors.jsonl"
        blank.write_bytes(b"\n" * 2_000_000)
        run = measured([*check, str(blank), "--format", "json", "--max-errors", "0"])
        rows.append(("2,000,000 errors, --max-errors 0", run.peak_mb, run.status, ""))

        pg = os.environ.get("NOETL_EVENTS_TEST_PG")
        if pg:
            scratch, drop = _pg_scratch(pg)
            try:
                _pg_rows(scratch, 60, 20_000_000)
                # (--timeout 60: sizing the first 32 rows of 20 MB can take the server more
                # than the default 10 s on a busy machine; memory is what is measured here)
                run = measured([*check, scratch, "--format", "json", "--timeout", "60"])
                rows.append(("60 PostgreSQL rows of 20 MB", run.peak_mb, run.status, "too_large"))
                _pg_rows(scratch, 60, 3_000_000, first=1000)
                run = measured(
                    [*check, scratch, "--format", "json", "--timeout", "60", "--query", _BIG_QUERY]
                )
                rows.append(("60 PostgreSQL rows of 3 MB", run.peak_mb, run.status, "read"))
            finally:
                drop()
        else:
            print("NOETL_EVENTS_TEST_PG not set: no PostgreSQL figures", file=sys.stderr)

        print(f"\n{'input (default settings)':<34} {'peak MB':>8} {'vs limit':>9} {'status':>6}")
        print(f"{'baseline: an empty file':<34} {base:8.1f} {base / LIMIT_MB:8.2f}x")
        for name, peak, status, note in rows:
            print(f"{name:<34} {peak:8.1f} {peak / LIMIT_MB:8.2f}x {status:>6}  {note}")
        print(f"(limit {LIMIT_MB:.0f} MB: every ratio must stay under 1.00)")

        big = tmp / "events.jsonl"
        with big.open("w", encoding="utf-8") as f:
            for text in realistic_lines(1_000_000, 20261128):
                f.write(text)
                f.write("\n")
        if _native_available():
            run = measured(
                [
                    *check,
                    str(big),
                    "--engine",
                    "native",
                    "--hazards",
                    "--jobs",
                    "2",
                    "--format",
                    "json",
                ]
            )
            print(
                f"\n1,000,000 realistic lines, native engine, --hazards --jobs 2: peak "
                f"{run.peak_mb:.1f} MB ({run.peak_mb / LIMIT_MB:.2f}x the limit), "
                f"status {run.status}"
            )
        stops = [
            ("file, --jobs 1", [*check, str(big), "--exact"]),
            ("file, --jobs 2", [*check, str(big), "--exact", "--jobs", "2"]),
        ]
        stream = None
        if pg:
            scratch, drop = _pg_scratch(pg)
            _pg_rows(scratch, 200_000, 100)
            stops.append(("PostgreSQL", [*check, scratch, "--exact"]))
        nats_url = os.environ.get("NOETL_EVENTS_TEST_NATS")
        if nats_url:
            stream = _nats_stream(nats_url, 300_000)
            stops.append(("NATS", [*check, stream, "--exact"]))
        print(f"\n{'SIGINT 1 s into':<20} {'to exit s':>9} {'vs 2 s':>7} {'status':>6}")
        try:
            for name, argv in stops:
                seconds, status = interrupted(argv)
                print(f"{name:<20} {seconds:9.2f} {seconds / INTERRUPT_TARGET:6.2f}x {status:>6}")
        finally:
            if pg:
                drop()
            if stream:
                _nats_drop(stream)
        print(f"(target {INTERRUPT_TARGET:.0f} s: every ratio must stay under 1.00; status 130)")
    finally:
        shutil.rmtree(tmp)
    return 0


def _native_available() -> bool:
    from conformance.audit import _native

    return _native.available()


_BIG_QUERY = (
    "SELECT execution_id, event_type, node_name AS step, status, created_at, "
    "result -> 'context' AS context, event_id, worker_id, meta FROM noetl.event "
    "WHERE event_id >= 1000 ORDER BY event_id"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--faults", action="store_true", help="figures for hostile inputs and interruption"
    )
    args = parser.parse_args()
    if args.faults:
        return faults()
    require(("orjson", "pip install 'noetl-events-conformance[check]' (the bare loop's parser)"))

    tmp = Path(tempfile.mkdtemp(prefix="noetl-check-bench-"))
    data = tmp / "events.jsonl"
    t0 = time.perf_counter()
    with data.open("w", encoding="utf-8") as f:
        for line in realistic_lines(args.lines, args.seed):
            f.write(line)
            f.write("\n")
    size_mb = data.stat().st_size / 1e6
    print(
        f"{args.lines:,} lines, {size_mb:,.0f} MB, written in {time.perf_counter() - t0:.1f}s"
        f" ({data})",
        file=sys.stderr,
    )

    py = sys.executable
    out1, out2 = tmp / "jobs1.json", tmp / "jobs2.json"
    check = [py, "-c", CHECK, "check", str(data), "--format", "json"]
    bare = best([py, "-c", BARE, str(data)], args.repeat)
    one = best([*check, "--output", str(out1)], args.repeat)  # also the --jobs 1 run
    two = best([*check, "--jobs", "2", "--output", str(out2)], args.repeat)
    same = out1.read_text() == out2.read_text()
    empty = tmp / "empty.jsonl"
    empty.write_bytes(b"")
    startup_check = best([*check[:4], str(empty)], args.repeat).wall
    startup_bare = best([py, "-c", "import orjson"], args.repeat).wall

    ratio = bare.wall / one.wall
    ratio_cpu = bare.cpu / one.cpu
    speedup = one.wall / two.wall
    rows = [
        ("bare orjson.loads loop", bare, ""),
        ("check (1 process)", one, f"ratio {ratio:.2f}x (cpu {ratio_cpu:.2f}x)"),
        ("check --jobs 2", two, f"speed-up {speedup:.2f}x"),
    ]
    print(f"\n{'run':<24} {'wall s':>8} {'cpu s':>8} {'events/s':>12} {'peak MB':>8}  note")
    for name, run, note in rows:
        rate = args.lines / run.wall
        print(f"{name:<24} {run.wall:8.2f} {run.cpu:8.2f} {rate:12,.0f} {run.peak_mb:8.1f}  {note}")
    print()
    print(f"check vs bare loop:  {ratio:.2f}x   (target >= 0.5)")
    print(f"peak memory:         {one.peak_mb:.1f} MB (target < 150)")
    print(f"--jobs 2 speed-up:   {speedup:.2f}x   (target >= 1.7; {os.cpu_count()} CPUs)")
    print(f"--jobs 2 report == --jobs 1 report: {same}")
    work = (bare.wall - startup_bare) / (one.wall - startup_check)
    work_speedup = (one.wall - startup_check) / (two.wall - startup_check)
    print(
        f"start-up (empty input): check {startup_check:.2f}s, bare loop {startup_bare:.2f}s; "
        f"without it: ratio {work:.2f}x, --jobs 2 speed-up {work_speedup:.2f}x"
    )
    if not args.keep:
        shutil.rmtree(tmp)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
