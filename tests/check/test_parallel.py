"""``--jobs`` gives the report ``--jobs 1`` gives; ``--shard`` splits the lines exactly."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance.audit._run import AuditOptions, Shard, _read_ahead, run
from conformance.audit._sources import (
    Block,
    FileSource,
    SourceIncomplete,
    count_lines,
    read_blocks,
    split_file,
)

from .conftest import Result, write_lines
from .tricky import BASE, render, tricky_lines

Check = Callable[..., Result]


def mixed_lines(n: int, seed: int = 7) -> list[bytes]:
    """Mostly valid envelopes, with tricky lines sprinkled in."""
    rng = random.Random(seed)
    tricky = [line for line in tricky_lines() if b"\n" not in line]
    valid = render(list(BASE.items())).encode()
    return [rng.choice(tricky) if rng.random() < 0.2 else valid for _ in range(n)]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # big enough to be cut into several byte ranges (pieces of 8 MiB, at least 2 per job)
    path = tmp_path_factory.mktemp("parallel") / "mixed.jsonl"
    lines = mixed_lines(30_000)
    path.write_bytes(b"\n".join(lines))  # and no final newline
    return path


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("extra", [[], ["--hazards"], ["--max-errors", "0"], ["--as", "request"]])
def test_jobs_give_the_same_report(
    big_file: Path, check: Check, jobs: int, extra: list[str]
) -> None:
    one = check(str(big_file), "--format", "json", *extra)
    many = check(str(big_file), "--format", "json", "--jobs", str(jobs), *extra)
    assert one.status == many.status == 1
    assert one.out == many.out


def test_jobs_on_streams_and_several_sources(tmp_path: Path, big_file: Path, check: Check) -> None:
    gz = tmp_path / "mixed.jsonl.gz"
    gz.write_bytes(gzip.compress(big_file.read_bytes()))
    small = write_lines(tmp_path / "small.jsonl", mixed_lines(50, seed=3))
    args = [str(small), str(gz), str(big_file), "--format", "json", "--max-errors", "0"]
    assert check(*args).out == check(*args, "--jobs", "2").out


@pytest.mark.parametrize("jobs", [2, 3])
def test_jobs_on_a_truncated_gzip_report_every_line_read(
    tmp_path: Path, big_file: Path, check: Check, jobs: int
) -> None:
    """A stream that fails midway (a gzip file cut short): every line read before the failure
    is in the report, as with --jobs 1 (the blocks still with the workers included)."""
    data = gzip.compress(big_file.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    args = [str(cut), "--format", "json", "--engine", "python", "--max-errors", "0"]
    one = check(*args)
    many = check(*args, "--jobs", str(jobs))
    assert one.status == many.status == 3
    assert many.out == one.out
    assert one.json()["total"] > 10_000


@pytest.mark.parametrize("jobs", [1, 2])
def test_shards_partition_the_lines(big_file: Path, check: Check, jobs: int) -> None:
    full = check(str(big_file), "--format", "json", "--max-errors", "0").json()
    count = 4
    parts = [
        check(
            str(big_file),
            "--format",
            "json",
            "--max-errors",
            "0",
            "--shard",
            f"{i}/{count}",
            "--jobs",
            str(jobs),
        ).json()
        for i in range(count)
    ]
    assert sum(p["total"] for p in parts) == full["total"]
    assert sum(p["valid"] for p in parts) == full["valid"]
    errors = sorted((e for p in parts for e in p["errors"]), key=lambda e: e["line"])
    assert errors == full["errors"]
    for i, part in enumerate(parts):
        assert all(e["line"] % count == i for e in part["errors"])


@pytest.mark.parametrize("jobs", [1, 2])
def test_shards_of_several_sources_name_each_line_s_own_source(
    tmp_path: Path, check: Check, jobs: int
) -> None:
    """The shard's index was taken for the source's: every finding named the I-th file."""
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_bytes(b"\n".join(mixed_lines(400, seed=1)) + b"\n")
    second.write_bytes(b"\n".join(mixed_lines(400, seed=2)) + b"\n")
    options = ("--format", "json", "--max-errors", "0", "--hazards", "--jobs", str(jobs))
    full = check(str(first), str(second), *options).json()
    assert {e["line"].split(":")[0] for e in full["errors"]} == {str(first), str(second)}
    parts = [check(str(first), str(second), *options, "--shard", f"{i}/3").json() for i in range(3)]
    for found, whole in (
        ([e for p in parts for e in p["errors"]], full["errors"]),
        ([h for p in parts for h in p["hazards"]["items"]], full["hazards"]["items"]),
    ):
        assert whole and sorted(map(json.dumps, found)) == sorted(map(json.dumps, whole))


def test_shard_of_stdin(check: Check) -> None:
    lines = mixed_lines(300)
    data = b"\n".join(lines) + b"\n"
    full = check("-", "--format", "json", "--max-errors", "0", stdin=data).json()
    lines_seen = []
    for i in range(3):
        part = check(
            "-", "--format", "json", "--max-errors", "0", "--shard", f"{i}/3", stdin=data
        ).json()
        lines_seen += [e["line"] for e in part["errors"]]
    assert sorted(lines_seen) == [e["line"] for e in full["errors"]]


def test_run_api_matches_the_cli(big_file: Path) -> None:
    source = FileSource.open(str(big_file), "x")
    a = run(AuditOptions(max_items=0), [source], jobs=1)
    b = run(AuditOptions(max_items=0), [source], jobs=2, shard=Shard(0, 1))
    assert (a.total, a.valid, a.findings) == (b.total, b.valid, b.findings)
    assert a.lines == b.lines == 30_000


# ---- the pieces a file is cut into -----------------------------------------------------------


@pytest.mark.parametrize("block_bytes", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize(
    "data",
    [b"", b"\n", b"\n\n", b"a", b"a\n", b"a\nb", b"a\nb\n", b"ab\n\ncd\r\n", b"x" * 100 + b"\ny"],
)
def test_read_blocks_splits_like_lines(data: bytes, block_bytes: int) -> None:
    import io

    blocks = list(read_blocks(io.BytesIO(data).read, block_bytes=block_bytes))
    lines = [line for block in blocks for line in block.lines]
    expected = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        expected.pop()
    assert lines == expected
    numbers = [block.first + i for block in blocks for i in range(len(block.lines))]
    assert numbers == list(range(1, len(lines) + 1))


@pytest.mark.parametrize("pieces", [1, 2, 3, 5, 50])
def test_split_file_cuts_at_line_starts(tmp_path: Path, pieces: int) -> None:
    data = b"\n".join(b"x" * n for n in range(0, 120, 7)) + b"\nlast"
    path = tmp_path / "f"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    ranges = split_file(fd, len(data), pieces)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert all(data[start - 1 : start] == b"\n" for start, _ in ranges[1:])
    assert sum(count_lines(fd, a, b) for a, b in ranges) == data.count(b"\n") + 1
    os.close(fd)
    text = json.dumps(ranges)
    assert text  # (ranges are plain data: they go to the workers)


# ---- items over the maximum size ---------------------------------------------------------


@pytest.mark.parametrize("block_bytes", [1, 3, 8, 64])
@pytest.mark.parametrize("max_item", [0, 1, 4, 10, 100])
@pytest.mark.parametrize(
    "data",
    [b"", b"abcdefghijkl", b"a\nbcdefghijklmnop\ncd\n", b"\n" * 5, b"x" * 70 + b"\ny\n" + b"z" * 9],
)
def test_read_blocks_drops_lines_over_the_maximum(
    data: bytes, block_bytes: int, max_item: int
) -> None:
    """Every line is still counted, in order; one longer than ``max_item`` stands as ``b""``
    with its size, the others are whole."""
    import io

    blocks = list(read_blocks(io.BytesIO(data).read, block_bytes=block_bytes, max_item=max_item))
    seen: list[bytes | int] = []
    for block in blocks:
        over = dict(block.oversized)
        for k, line in enumerate(block.lines):
            if k in over:
                assert line == b""
                seen.append(over[k])
            else:
                seen.append(line)
    expected: list[bytes | int] = []
    lines = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        lines.pop()
    expected = [len(line) if len(line) > max_item else line for line in lines]
    assert seen == expected


def test_read_blocks_never_holds_an_oversized_line() -> None:
    """A line of 50 MiB read 1 MiB at a time with a 4 MiB maximum: what is held stays small."""
    held: list[int] = []
    chunks = iter([b"x" * (1 << 20)] * 50 + [b"\nok\n"])

    def read(n: int) -> bytes:
        return next(chunks, b"")

    for block in read_blocks(read, max_item=4 << 20):
        held.append(sum(map(len, block.lines)))
        assert dict(block.oversized).get(0, 0) in (0, 50 << 20)
    assert max(held) <= 4 << 20


def test_read_ahead_keeps_order_and_raises_where_the_source_failed() -> None:
    """The native engine's reader thread: blocks in order, then the source's error, raised
    after the blocks read before it."""

    def blocks() -> Iterator[Block]:
        for k in range(5):
            yield Block([str(k).encode()], first=k + 1)
        raise SourceIncomplete("f: shrank")

    got: list[int] = []

    def consume() -> None:
        for block in _read_ahead(blocks()):
            got.append(block.first)

    with pytest.raises(SourceIncomplete, match="shrank"):
        consume()
    assert got == [1, 2, 3, 4, 5]


def test_read_ahead_stops_its_reader_when_the_run_stops() -> None:
    read = 0

    def endless() -> Iterator[Block]:
        nonlocal read
        while True:
            read += 1
            yield Block([b"{}"], first=read)

    stream = _read_ahead(endless())
    assert next(stream).first == 1
    stream.close()  # what a run that stops (an interrupt, an error) does to it
    assert not any(t.name == "noetl-events-check-reader" for t in threading.enumerate())
    assert read < 10  # it read only a few blocks ahead


_INTERRUPT_DURING_MERGE = """
import _thread, json, os, sys
from conformance.audit import _check
from conformance.audit._run import AuditOptions, Interrupted, run
from conformance.audit._sources import FileSource

path, when = sys.argv[1], sys.argv[2]
original, parent, fired = _check.Tally.merge, os.getpid(), []

def merge(self, other, line_offset=0):  # a Ctrl-C as the parent merges its first piece
    if os.getpid() == parent and not fired:
        fired.append(1)
        if when == "start":
            _thread.interrupt_main()
            return original(self, other, line_offset)
        original(self, other, line_offset)
        _thread.interrupt_main()
        return None
    return original(self, other, line_offset)

_check.Tally.merge = merge
source = FileSource.open(path, "stream")
try:
    run(AuditOptions(max_items=0), [source], jobs=2)
    print(json.dumps(None))
except Interrupted as e:
    t = e.tally
    print(json.dumps([t.total, t.invalid, [f.line for f in t.findings]]))
"""


@pytest.mark.parametrize("when", ["start", "after"])
def test_an_interrupt_while_a_piece_is_merged_neither_drops_nor_renumbers(
    tmp_path: Path, when: str
) -> None:
    """A Ctrl-C landing while the Python engine's --jobs merged a piece dropped that piece, or
    numbered the next piece's lines from where it began (duplicate error lines). A merge is
    now whole: the interrupt is delivered once it is done."""
    import subprocess
    import sys

    path = tmp_path / "events.jsonl"
    missing = render([(k, v) for k, v in BASE.items() if k != "context"]).encode()
    valid = render(list(BASE.items())).encode()
    path.write_bytes(b"".join((missing if k % 10 == 0 else valid) + b"\n" for k in range(20_000)))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_DURING_MERGE, str(path), when],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    total, invalid, lines = json.loads(done.stdout)
    assert total > 0  # (the first piece, merged whole)
    assert invalid == len(lines) == (total + 9) // 10
    assert lines == list(range(1, total + 1, 10))  # the file's own, once each
