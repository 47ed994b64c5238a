"""Where ``check`` reads envelopes from: files, stdin, PostgreSQL, NATS JetStream.

Every source is read as a stream of :class:`Block` s (a bounded number of lines, or rows, or
messages at a time), never whole:

- ``PATH`` (``.jsonl``; ``.gz`` for gzip): one envelope per line, read in binary, 1 MiB at a
  time. A line is what lies between newlines; the newline is not part of it (a ``\\r`` before
  it is), and a last line without a newline is still a line. Blank lines are lines.
- ``-``: the same from standard input.
- ``postgresql://...``: the ``noetl.event`` table (or ``--query``), through a server-side cursor
  in a read-only transaction; each row is rebuilt into the envelope it stores (:mod:`._pg`).
- ``nats://host:port[/STREAM]``: a JetStream stream (default ``noetl_events``), one envelope
  per message, through an ephemeral consumer that acknowledges nothing (:mod:`._nats`).

``psycopg`` and ``nats-py`` are optional: they are imported only for such a source, and a
missing one is a usage error naming the extra that installs it.
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import os
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Final, Protocol

__all__ = [
    "BLOCK_BYTES",
    "Block",
    "FileSource",
    "MissingExtra",
    "Source",
    "SourceError",
    "SourceOptions",
    "StdinSource",
    "count_lines",
    "open_source",
    "read_blocks",
    "split_file",
]

BLOCK_BYTES: Final = 1 << 20


class SourceError(Exception):
    """A source that cannot be read (missing file, corrupt gzip, unreachable server...)."""


class MissingExtra(SourceError):
    """An optional dependency a source needs is not installed."""


@dataclasses.dataclass(frozen=True, slots=True)
class Block:
    """Consecutive lines of a source. ``first`` is the number of ``lines[0]`` (from 1) for
    line sources; ``keys`` name each line for row and message sources. ``done`` is the
    progress after this block, in the source's ``unit``."""

    lines: list[bytes]
    first: int = 1
    keys: Sequence[str] | None = None
    done: int = 0


class Source(Protocol):
    name: str
    unit: str  # "bytes", "rows" or "messages"

    @property
    def total(self) -> int | None:
        """The progress at the end (None: unknown)."""
        ...

    def blocks(self) -> Iterator[Block]: ...


@dataclasses.dataclass(frozen=True, slots=True)
class SourceOptions:
    query: str | None = None
    max_messages: int | None = None
    timeout: float = 10.0
    batch: int = 5000


def read_blocks(
    read: Callable[[int], bytes],
    *,
    first: int = 1,
    limit: int | None = None,
    position: Callable[[], int] | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[Block]:
    """Split what ``read(n)`` returns into lines, a block of whole lines per read. A line
    longer than a read is joined from its pieces (it has to be whole to be judged)."""
    pending: list[bytes] = []
    number = first
    remaining = limit
    done = 0
    while remaining is None or remaining > 0:
        data = read(block_bytes if remaining is None else min(block_bytes, remaining))
        if not data:
            break
        if remaining is not None:
            remaining -= len(data)
        done = position() if position is not None else done + len(data)
        lines = data.split(b"\n")
        if len(lines) == 1:
            pending.append(data)
            continue
        if pending:
            pending.append(lines[0])
            lines[0] = b"".join(pending)
            pending = []
        tail = lines.pop()
        if tail:
            pending.append(tail)
        yield Block(lines, number, None, done)
        number += len(lines)
    if pending:
        yield Block([b"".join(pending)], number, None, done)


def count_lines(path: str, start: int, end: int) -> int:
    """How many lines begin in ``[start, end)`` of a plain file (``start`` at a line start)."""
    count = 0
    last = b"\n"
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start
        while remaining > 0:
            data = f.read(min(BLOCK_BYTES, remaining))
            if not data:
                break
            remaining -= len(data)
            count += data.count(b"\n")
            last = data[-1:]
    return count + (last != b"\n")


def split_file(path: str, pieces: int) -> list[tuple[int, int]]:
    """Byte ranges of a plain file, each starting at a line start, about ``pieces`` of them."""
    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as f:
        for k in range(1, max(1, pieces)):
            target = size * k // pieces
            if target <= bounds[-1]:
                continue
            f.seek(target - 1)
            f.readline()  # to the start of the next line
            pos = f.tell()
            if pos >= size:
                break
            if pos > bounds[-1]:
                bounds.append(pos)
    bounds.append(size)
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


@dataclasses.dataclass(slots=True)
class FileSource:
    """A JSONL file; gzip when its name ends with ``.gz``."""

    path: str
    name: str
    unit: str = "bytes"

    @property
    def gzip(self) -> bool:
        return self.path.endswith(".gz")

    @property
    def total(self) -> int:
        return os.path.getsize(self.path)

    @property
    def splittable(self) -> bool:
        return not self.gzip

    def _open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")
        except OSError as e:
            raise SourceError(f"{self.name}: {e.strerror or e}") from None

    def blocks(self) -> Iterator[Block]:
        with self._open() as raw:
            if not self.gzip:
                yield from read_blocks(raw.read)
                return
            gz = gzip.GzipFile(fileobj=raw, mode="rb")
            number = 1
            try:
                for block in read_blocks(gz.read, position=raw.tell):
                    number = block.first + len(block.lines)
                    yield block
            except (OSError, EOFError, zlib.error) as e:
                raise SourceError(
                    f"{self.name}: unreadable gzip data after line {number - 1}: {e}"
                ) from None

    def range_blocks(self, start: int, end: int, first: int = 1) -> Iterator[Block]:
        """The lines of byte range ``[start, end)`` (from :func:`split_file`); ``done`` counts
        bytes from ``start``."""
        with self._open() as raw:
            raw.seek(start)
            yield from read_blocks(raw.read, first=first, limit=end - start)


@dataclasses.dataclass(slots=True)
class StdinSource:
    """Standard input, read as it comes."""

    name: str = "<stdin>"
    unit: str = "bytes"
    stream: BinaryIO | None = None

    @property
    def total(self) -> None:
        return None

    def blocks(self) -> Iterator[Block]:
        stream = self.stream if self.stream is not None else sys.stdin.buffer
        read = getattr(stream, "read1", stream.read)
        yield from read_blocks(read)


def _display(spec: str) -> str:
    """A source's name for reports: a URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(spec)
    if parts.password is None:
        return spec
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def open_source(spec: str, options: SourceOptions) -> Source:
    """The source a command-line ``SOURCE`` names (raises :class:`SourceError`)."""
    if spec == "-":
        return StdinSource()
    if spec.startswith(("postgresql://", "postgres://")):
        from ._pg import PostgresSource

        return PostgresSource(spec, _display(spec), options.query, options.batch, options.timeout)
    if spec.startswith("nats://"):
        from ._nats import NatsSource

        return NatsSource.from_url(spec, _display(spec), options.max_messages, options.timeout)
    path = Path(spec)
    if not path.exists():
        raise SourceError(f"{spec}: no such file")
    if path.is_dir():
        raise SourceError(f"{spec}: is a directory")
    return FileSource(str(path), spec)
