"""A plain file the native engine reads itself, in fixed blocks on its own threads
(``Engine.check_file``, ``native/src/file.rs``): every line is checked once, by the block its
first byte is in, wherever the borders fall; the report is the Python engine's, whatever the
block size and the number of threads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.audit import _native
from conformance.audit._report import report_json
from conformance.audit._run import AuditOptions, run
from conformance.audit._sources import FileSource
from noetl_events_ref._sensitive import SENSITIVE_KEY_PARTS

from ._servers import PEAK_RSS_LIMIT, has_open, run_check, wait_until
from .conftest import ROOT
from .tricky import BASE, render, tricky_lines

sys.path.insert(0, str(ROOT / "benchmarks"))
from _envelopes import heavy_lines, realistic_lines

if not _native.available():
    message = "the native engine is not built: pip install ./native (scripts/test builds it)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message, allow_module_level=True)

VALID = render(list(BASE.items())).encode()
POOL: list[bytes] = [
    *(line.encode() for line in realistic_lines(40, seed=3)),
    *tricky_lines(BASE)[:40],
    *(line.encode("utf-8", "surrogatepass") for line in heavy_lines(40, seed=3)),
    b"",
    b"x",
    b"{",
    VALID[:-2],
    VALID.replace(b'"context"', b'"context":{"password":"hunter2"},"c"', 1),
]


def _engine(threads: int, hazards: bool = False) -> Any:
    module = _native._module()
    assert module is not None
    return module.Engine("event", hazards, None, list(SENSITIVE_KEY_PARTS), threads, None)


def _expected_stop(data: bytes, block: int) -> tuple[str, int]:
    """Where a run over ``data`` in blocks of ``block`` bytes ends, and at which offset: at the
    first line longer than it may read ("long"), at a last line without a newline ("tail"),
    else at the end ("end")."""
    start = 0
    while start < len(data):
        newline = data.find(b"\n", start)
        if newline < 0:
            return ("long" if len(data) - start > block else "tail"), start
        crosses = start // block != newline // block  # (only such a line is read on)
        if crosses and newline - start >= block:
            return "long", start
        start = newline + 1
    return "end", len(data)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(POOL), st.binary(max_size=40).map(lambda b: b.replace(b"\n", b""))
        ),
        max_size=60,
    ),
    st.booleans(),
    st.sampled_from([1, 2, 3, 5, 17, 64, 300, 1000, 1 << 20]),
    st.integers(1, 3),
)
def test_blocks_hold_each_line_once_in_order(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    newline_at_end: bool,
    block: int,
    threads: int,
) -> None:
    """The blocks' lines are the file's, in order, each once, up to where the run stops; the
    answers are those of the lines checked at once; ``done`` never goes back."""
    data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    path = tmp_path_factory.mktemp("blocks") / "events.jsonl"
    path.write_bytes(data)
    engine = _engine(threads)
    fd = os.open(path, os.O_RDONLY)
    try:
        file_run = engine.check_file(fd, len(data), None, block)
        os.close(fd)  # (the run reads its own descriptor)
        fd = -1
        got: list[Any] = []  # per block: its header, and its parts
        while (item := file_run.next()) is not None:
            parts = [file_run.part() for _ in range(item[0])]
            assert file_run.part() is None
            got.append((item, parts))
        file_run.close()
    finally:
        if fd >= 0:
            os.close(fd)
    stop, at = _expected_stop(data, block)
    ends = [item[4] for item, _ in got]
    assert all(end == "next" for end in ends[:-1]), ends
    if stop == "end":
        assert not ends or ends[-1] == "next"
    else:
        assert (ends[-1], got[-1][0][5]) == (stop, at)
    expected = data[:at].split(b"\n")[:-1] if at else []
    assert sum(item[2] for item, _ in got) == len(expected)
    dones = [item[3] for item, _ in got]
    assert dones == sorted(dones)
    whole = engine.check(expected, None) if expected else None
    offset, valid, invalid = 0, 0, []
    for (_, text, count, *_), parts in got:
        within = 0
        for part_count, answer, start, end in parts:
            if text is not None:  # the part's text holds its lines
                assert text[start:end].split(b"\n") == expected[offset + within :][:part_count]
            valid += answer[0]
            invalid += [(offset + within + k, kind) for k, kind in answer[2]]
            within += part_count
        assert within == count
        if any(answer[2] for _, answer, _, _ in parts):
            assert text is not None  # the caller reads the invalid lines
        offset += count
    if whole is not None:
        assert (valid, invalid) == (whole[0], list(whole[2]))


def _report(path: Path, engine: str, *, hazards: bool, max_items: int, threads: int = 1) -> str:
    options = AuditOptions(max_items=max_items, hazards=hazards, engine=engine, threads=threads)
    source = FileSource.open(str(path), "stream")
    try:
        tally = run(options, [source])
    finally:
        source.close()
    return json.dumps(report_json(tally, ["stream"], hazards=hazards), ensure_ascii=False)


def _files(tmp_path: Path) -> dict[str, bytes]:
    lines = [line.encode() for line in realistic_lines(600, seed=7)]
    for k in range(0, len(lines), 37):
        lines[k] = lines[k][:-2]  # invalid, in most blocks
    heavy = [line.encode("utf-8", "surrogatepass") for line in heavy_lines(200, seed=7)]
    envelope = json.loads(lines[1])
    envelope["context"] = {"blob": "x" * 5000, "password": "hunter2"}
    long = json.dumps(envelope).encode()
    body = b"\n".join(lines[:300] + heavy + lines[300:])
    return {
        "realistic, hostile, invalid": body + b"\n",
        "no newline at the end": body,
        "long lines": b"\n".join([*lines[:50], long, *lines[50:100], long, long]) + b"\n",
        "a long last line without a newline": b"\n".join([*lines[:50], long]),
        "empty lines": b"\n" * 3000 + body + b"\n\n\n",
        "empty": b"",
        "one newline": b"\n",
    }


@pytest.mark.parametrize("block", [1, 97, 4096, 1 << 20])
def test_any_block_size_gives_the_python_engines_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Lines across borders, lines longer than a block (the rest read as Python reads it), a
    last line without a newline, empty lines and files: the Python engine's report, on one
    thread and on three, hazards on and off, lists cut or not."""
    monkeypatch.setattr(_native, "BLOCK_BYTES", block)
    for name, data in _files(tmp_path).items():
        path = tmp_path / "events.jsonl"
        path.write_bytes(data)
        for hazards in (False, True):
            for max_items in (0, 4):
                python = _report(path, "python", hazards=hazards, max_items=max_items)
                for threads in (1, 3):
                    native = _report(
                        path, "native", hazards=hazards, max_items=max_items, threads=threads
                    )
                    assert native == python, (name, hazards, max_items, threads)


def test_a_block_of_more_lines_than_a_part_gives_the_same_report(tmp_path: Path) -> None:
    """A block of a million short lines comes back in parts (bounded answers): the line
    numbers and lists across the parts' borders are those of one pass."""
    path = tmp_path / "short.jsonl"
    lines: Sequence[bytes] = [b"x", VALID[:3], b""] * 100_000 + [VALID] * 5
    path.write_bytes(b"\n".join(lines) + b"\n")
    for max_items in (0, 3):
        python = _report(path, "python", hazards=False, max_items=max_items)
        assert _report(path, "native", hazards=False, max_items=max_items, threads=2) == python
    assert json.loads(python)["valid"] == 5


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_interrupt_stops_the_threads_reading_the_file(tmp_path: Path, jobs: str) -> None:
    """Ctrl-C while the module's threads read and check a file (its own descriptor open):
    the run ends at once, status 130, and the report counts what was checked before."""
    path = tmp_path / "events.jsonl"
    block = b"".join((VALID[:-2] if i % 10 == 0 else VALID) + b"\n" for i in range(1000))
    path.write_bytes(block * 1000)
    output = tmp_path / "report.json"

    def interrupt(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: has_open(proc.pid, path, times=2) or proc.poll() is not None)
        time.sleep(0.2)  # (a few blocks checked: the whole file takes seconds)
        proc.send_signal(signal.SIGINT)

    args = [str(path), "--engine", "native", "--hazards", "--jobs", jobs, "--format", "json"]
    run = run_check([*args, "--output", str(output)], tmp_path, during=interrupt)
    assert run.status == 130, run.err
    assert "Traceback" not in run.err
    report = json.loads(output.read_text())
    assert report["incomplete"] == {"source": str(path), "reason": "interrupted", "partial": True}
    assert 0 < report["total"] < 1_000_000
    assert report["invalid"] == (report["total"] + 9) // 10  # (the first lines, every 10th)


def test_a_file_of_short_invalid_lines_stays_within_the_memory_limit(tmp_path: Path) -> None:
    """A block of a million empty lines came back as a million Python tuples at once, and
    the blocks read ahead held their lists too: 480 MB for a 10 MB file. Parts are now taken
    one at a time, a block's lists weigh against the blocks read ahead, and an invalid line
    is 8 bytes in the module."""
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n" * 4_000_000)
    for jobs in ("1", "2"):
        args = [str(path), "--engine", "native", "--jobs", jobs, "--format", "json"]
        run = run_check(args, tmp_path)
        report = json.loads(run.out)
        assert run.status == 1, run.err
        assert (report["total"], report["invalid"]) == (4_000_000, 4_000_000)
        assert run.peak_rss < PEAK_RSS_LIMIT, run.peak_rss >> 20


def _source_report(source: FileSource, engine: str, threads: int = 1) -> str:
    options = AuditOptions(max_items=5, engine=engine, threads=threads)
    try:
        tally = run(options, [source])
    finally:
        source.close()
    return json.dumps(report_json(tally, ["stream"], hazards=False), ensure_ascii=False)


def test_a_file_shorter_than_its_size_checks_the_lines_read_whole(tmp_path: Path) -> None:
    """A file cut after it was opened: the lines read whole before the cut are checked, as
    the Python engine checks them (the module dropped the whole block the cut fell in, and the
    line of the block before that ran into it), and the run is incomplete: it shrank."""
    lines = [VALID if k % 9 else VALID[:-2] for k in range(12_000)]
    data = b"\n".join(lines) + b"\n"
    newlines = [k for k, byte in enumerate(data) if byte == 10]
    block = 1 << 20
    cuts = [0, 1, block - 1, block, block + 1, newlines[100], newlines[100] + 1]
    cuts += [newlines[100] + 5, len(data) - 1, len(data) - 2, 2 * block + 7]
    path = tmp_path / "events.jsonl"
    for cut in cuts:
        reports = {}
        for engine, threads in (("python", 1), ("native", 1), ("native", 2)):
            path.write_bytes(data)
            source = FileSource.open(str(path), "stream")
            os.truncate(path, cut)
            reports[engine, threads] = _source_report(source, engine, threads)
        assert len(set(reports.values())) == 1, cut
        report = json.loads(reports["python", 1])
        assert "shrank" in report["incomplete"]["reason"], cut
        assert report["total"] == sum(1 for k in newlines if k < cut), cut


def test_a_read_error_is_said_as_the_python_engine_says_it(tmp_path: Path) -> None:
    """The module's message for a failed read ended in "(os error 9)"."""
    path = tmp_path / "events.jsonl"
    path.write_bytes((VALID + b"\n") * 10)
    reports = []
    for engine in ("python", "native"):
        fd = os.open(path, os.O_WRONLY)  # (every read of it fails: EBADF)
        st = os.fstat(fd)
        source = FileSource(str(path), "stream", fd=fd, size=st.st_size, identity=(0, 0))
        reports.append(_source_report(source, engine))
    assert reports[0] == reports[1]
    assert json.loads(reports[0])["incomplete"]["reason"] == "stream: Bad file descriptor"


def test_blocks_begun_after_the_report_is_full_write_no_texts(tmp_path: Path) -> None:
    """The room for hazards was fixed when the run began: with --max-errors 0, every block
    wrote the path and detail of up to 100,000 hazards that the report had no room for. The
    caller now lowers it as blocks fill the report; later blocks write texts for that many."""
    line = render(
        [
            (k, "[" + ",".join(["1.50"] * 100) + "]" if k == "context" else v)
            for k, v in BASE.items()
        ]
    ).encode()
    path = tmp_path / "floats.jsonl"
    path.write_bytes((line + b"\n") * 3000)  # (100 hazards a line, about 2,000 lines a block)
    engine = _engine(1, hazards=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        file_run = engine.check_file(fd, path.stat().st_size, 500, 1 << 16)
    finally:
        os.close(fd)
    listed, counted = [], 0
    while (block := file_run.next()) is not None:
        for _ in range(block[0]):
            _, answer, _, _ = file_run.part()
            listed.append(len(answer[5]))
            counted += sum(answer[4].values())
        file_run.set_room(0)  # (the report is full after the first block)
    file_run.close()
    assert counted == 3000 * 102  # (the ids are beyond 2^53 too)
    assert listed[0] == 500
    # blocks begun before the first one was taken may still write them; none after
    assert listed[-1] == 0 and listed.count(500) <= 3


def test_the_scans_literal_objects_are_kept_for_one_line_only(tmp_path: Path) -> None:
    """One object per number literal, but only within a line: lines of distinct 4 MB literals
    grew the cache by 8 MB each (151 MB for 15 such lines)."""
    from conformance.audit import _hazards

    literal = "1." + "0" * 1_000_000
    for k in range(3):
        context = '{"x":' + literal + str(k) + "}"
        line = render([(key, context if key == "context" else v) for key, v in BASE.items()])
        _hazards.scan_event(line.encode())
        assert _hazards._float_literal.cache_info().currsize == 0
        assert _hazards._int_literal.cache_info().currsize == 0
