"""Where ``check`` reads envelopes from: files, stdin, PostgreSQL, NATS JetStream.

Every source is read as a stream of :class:`Block` s (a bounded number of lines, or rows, or
messages at a time), never whole:

- ``PATH``: one envelope per line, read in binary, 1 MiB at a time; gzip data (told by its
  first two bytes, whatever the file is named) is read decompressed. A line is what lies
  between newlines; the newline is not part of it (a ``\\r`` before it is), and a last line
  without a newline is still a line. Blank lines are lines. The file is opened once; the size
  it has then is what is read.
- ``-``: the same from standard input.
- ``postgresql://...``: the ``noetl.event`` table (or ``--query``), through a server-side cursor
  in one read-only, repeatable-read transaction; each row is rebuilt into the envelope it
  stores (:mod:`._pg`).
- ``nats://host:port[/STREAM]``: a JetStream stream (default ``noetl_events``), one envelope
  per message, through an ephemeral consumer that acknowledges nothing (:mod:`._nats`).

``psycopg`` and ``nats-py`` are optional: they are imported only for such a source, and a
missing one is a usage error naming the extra that installs it.

No line, row or message longer than ``max_item`` bytes is ever held whole: it is counted,
dropped as it comes, and judged invalid (kind ``too_large``).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gzip
import io
import itertools
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, BinaryIO, Final, NamedTuple, Protocol

from conformance.core._compressed import GZIP_ERRORS, GZIP_MAGIC

__all__ = [
    "BLOCK_BYTES",
    "DEFAULT_MAX_ITEM",
    "Block",
    "FileSource",
    "MissingExtra",
    "Source",
    "SourceError",
    "SourceIncomplete",
    "SourceOptions",
    "StdinSource",
    "close_sources",
    "count_lines",
    "display_url",
    "open_source",
    "read_blocks",
    "split_file",
]

BLOCK_BYTES: Final = 1 << 20


class SourceError(Exception):
    """A source that cannot be read (missing file, corrupt gzip, unreachable server...)."""


class MissingExtra(SourceError):
    """An optional dependency a source needs is not installed."""


class SourceIncomplete(SourceError):
    """A source that stopped being readable after reading began (a server that stopped
    answering or went away, a file that grew or shrank while read): what was read before is
    checked, and the report says the run is incomplete."""


DEFAULT_MAX_ITEM: Final = 4 << 20
"""The default maximum size of one line, row or message (``--max-item-size``): above the NATS
default payload limit (1 MiB) and the server's request body limit (2 MiB)."""


class Block:
    """Consecutive lines of a source. ``first`` is the number of ``lines[0]`` (from 1) for
    line sources; ``keys`` name each line for row and message sources. ``done`` is the
    progress after this block, in the source's ``unit``. ``oversized`` lists the lines that
    were over the maximum item size, as ``(index in lines, size in bytes)``: their text is not
    kept (``b""`` stands in). ``shard_keys`` are stable integers that ``--shard`` selects by
    (row keys, stream sequences); None: by line number.

    ``checked`` is set on a block an engine read and checked itself (``lines`` is then empty,
    ``checked_count`` says how many it holds): ``checked(tally, where)`` adds what it found."""

    __slots__ = (
        "checked",
        "checked_count",
        "done",
        "first",
        "keys",
        "lines",
        "oversized",
        "shard_keys",
    )

    def __init__(
        self,
        lines: list[bytes],
        first: int = 1,
        keys: Sequence[str] | None = None,
        done: int = 0,
        oversized: tuple[tuple[int, int], ...] = (),
        shard_keys: Sequence[int] | None = None,
        *,
        checked: Callable[[Any, Any], None] | None = None,
        checked_count: int = 0,
    ) -> None:
        self.lines = lines
        self.first = first
        self.keys = keys
        self.done = done
        self.oversized = oversized
        self.shard_keys = shard_keys
        self.checked = checked
        self.checked_count = checked_count

    @property
    def count(self) -> int:
        """How many lines the block holds."""
        return self.checked_count if self.checked is not None else len(self.lines)


class Source(Protocol):
    name: str
    unit: str  # "bytes", "rows" or "messages"

    @property
    def total(self) -> int | None:
        """The progress at the end (None: unknown)."""
        ...

    def blocks(self) -> Iterator[Block]: ...

    def info(self) -> dict[str, object]:
        """What the report says about how much of the source was seen."""
        ...


class SourceOptions(NamedTuple):
    query: str | None = None
    max_messages: int | None = None
    timeout: float = 10.0
    batch: int = 5000
    max_item: int = DEFAULT_MAX_ITEM


def read_blocks(
    read: Callable[[int], bytes],
    *,
    first: int = 1,
    limit: int | None = None,
    position: Callable[[], int] | None = None,
    block_bytes: int = BLOCK_BYTES,
    max_item: int = DEFAULT_MAX_ITEM,
    at_end: Callable[[int], None] | None = None,
    start: int = 0,
) -> Iterator[Block]:
    """Split what ``read(n)`` returns into lines, a block of whole lines per read. A line
    longer than a read is joined from its pieces (it has to be whole to be judged), unless it
    is longer than ``max_item``: then its bytes are counted and dropped as they come (the block
    marks it oversized), so memory stays bounded. ``at_end(remaining)`` is called when the
    reads end, before a last line without a newline is yielded (it may raise: a file that grew
    has a torn last line); ``remaining`` is what ``limit`` still expected. ``start``: the
    progress (``done``) before the first read."""
    pending: list[bytes] = []
    pending_size = 0
    skipped = -1  # the size so far of an oversized line being dropped; -1: none
    number = first
    remaining = limit
    done = start
    while remaining is None or remaining > 0:
        data = read(block_bytes if remaining is None else min(block_bytes, remaining))
        if not data:
            break
        if remaining is not None:
            remaining -= len(data)
        done = position() if position is not None else done + len(data)
        lines = data.split(b"\n")
        tail = lines.pop()
        if not lines:  # no newline: the current line goes on
            if skipped >= 0:
                skipped += len(tail)
            else:
                pending.append(tail)
                pending_size += len(tail)
                if pending_size > max_item:
                    skipped, pending, pending_size = pending_size, [], 0
            continue
        oversized: list[tuple[int, int]] = []
        if skipped >= 0:
            oversized.append((0, skipped + len(lines[0])))
            lines[0] = b""
            skipped = -1
        elif pending:
            pending.append(lines[0])
            if pending_size + len(lines[0]) > max_item:
                oversized.append((0, pending_size + len(lines[0])))
                lines[0] = b""
            else:
                lines[0] = b"".join(pending)
            pending, pending_size = [], 0
        elif len(lines[0]) > max_item:
            oversized.append((0, len(lines[0])))
            lines[0] = b""
        if len(data) > max_item:  # only then can a line inside be too long
            for k in range(1, len(lines)):
                if len(lines[k]) > max_item:
                    oversized.append((k, len(lines[k])))
                    lines[k] = b""
        if tail:
            if len(tail) > max_item:
                skipped = len(tail)
            else:
                pending, pending_size = [tail], len(tail)
        yield Block(lines, number, None, done, tuple(oversized))
        number += len(lines)
    if at_end is not None:
        at_end(remaining or 0)
    if skipped >= 0:
        yield Block([b""], number, None, done, ((0, skipped),))
    elif pending:
        yield Block([b"".join(pending)], number, None, done)


def count_lines(fd: int, start: int, end: int) -> int:
    """How many lines begin in ``[start, end)`` of a plain file (``start`` at a line start)."""
    count = 0
    last = b"\n"
    offset = start
    while offset < end:
        data = os.pread(fd, min(BLOCK_BYTES, end - offset), offset)
        if not data:
            break
        offset += len(data)
        count += data.count(b"\n")
        last = data[-1:]
    return count + (last != b"\n")


def split_file(fd: int, size: int, pieces: int) -> list[tuple[int, int]]:
    """Byte ranges of the first ``size`` bytes of a plain file, each starting at a line start,
    about ``pieces`` of them."""
    bounds = [0]
    for k in range(1, max(1, pieces)):
        target = size * k // pieces
        if target <= bounds[-1]:
            continue
        pos = target - 1  # to the start of the next line
        while pos < size:
            data = os.pread(fd, min(1 << 16, size - pos), pos)
            if not data:
                pos = size
                break
            cut = data.find(b"\n")
            if cut >= 0:
                pos += cut + 1
                break
            pos += len(data)
        if pos >= size:
            break
        if pos > bounds[-1]:
            bounds.append(pos)
    bounds.append(size)
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _os_error(name: str, e: OSError) -> SourceError:
    if e.errno == errno.ENOENT:
        return SourceError(f"{name}: no such file")
    return SourceError(f"{name}: {e.strerror or e}")


class FileSource:
    """A JSONL file; gzip when it starts with gzip's magic bytes (a regular file is looked at
    when opened, a pipe when first read).

    The file is opened once, when the source is made, and only that open file is read (by
    every ``--jobs`` worker too): a file renamed or replaced meanwhile (log rotation) does not
    mix two files. Its size then is what is read; a file that grows or shrinks while read is
    noticed, and the run is incomplete."""

    __slots__ = ("fd", "identity", "max_item", "name", "packed", "path", "size", "unit")

    def __init__(
        self,
        path: str,
        name: str,
        max_item: int = DEFAULT_MAX_ITEM,
        fd: int = -1,
        size: int = 0,
        identity: tuple[int, int] = (0, 0),
        packed: bool = False,
    ) -> None:
        self.path = path
        self.name = name
        self.unit = "bytes"
        self.max_item = max_item
        self.fd = fd
        self.size = size
        self.identity = identity
        self.packed = packed

    @classmethod
    def open(cls, path: str, name: str, max_item: int = DEFAULT_MAX_ITEM) -> FileSource:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise _os_error(name, e) from None
        try:
            st = os.fstat(fd)
        except OSError as e:  # pragma: no cover - fstat on an open file
            os.close(fd)
            raise _os_error(name, e) from None
        if stat.S_ISDIR(st.st_mode):
            os.close(fd)
            raise SourceError(f"{name}: is a directory")
        size = st.st_size if stat.S_ISREG(st.st_mode) else -1
        packed = False
        if size >= 0:
            try:
                packed = os.pread(fd, 2, 0) == GZIP_MAGIC
            except OSError as e:
                os.close(fd)
                raise _os_error(name, e) from None
        return cls(path, name, max_item, fd, size, (st.st_dev, st.st_ino), packed)

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

    @property
    def gzip(self) -> bool:
        """Whether a regular file holds gzip data (a pipe is told when read)."""
        return self.packed

    @property
    def regular(self) -> bool:
        return self.size >= 0

    @property
    def total(self) -> int | None:
        return self.size if self.regular else None

    @property
    def splittable(self) -> bool:
        return not self.gzip and self.regular

    def info(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "kind": "file"}
        if self.regular:
            out["size"] = self.size
            out["device"], out["inode"] = self.identity
        return out

    def check_end(self, remaining: int) -> None:
        """After reading: the file must still be the size it had when opened."""
        if not self.regular:
            return
        try:
            now = os.fstat(self.fd).st_size
        except OSError as e:  # pragma: no cover
            raise SourceIncomplete(f"{self.name}: {e.strerror or e}") from None
        if remaining > 0 or now < self.size:
            raise SourceIncomplete(
                f"{self.name}: shrank from {self.size:,} to {now:,} bytes while read "
                "(truncated): the rest was not checked"
            )
        if now > self.size:
            raise SourceIncomplete(
                f"{self.name}: grew from {self.size:,} to {now:,} bytes while read: its first "
                f"{self.size:,} bytes were checked (a last line without a newline there was "
                "not: it may be torn), the rest was not"
            )

    def read_error(self, e: OSError) -> SourceError:
        """The error a failed read of the file is."""
        return _os_error(self.name, e)

    def _reader(self, start: int) -> Callable[[int], bytes]:
        offset = start
        fd = self.fd

        def read(n: int) -> bytes:
            nonlocal offset
            try:
                data = os.pread(fd, n, offset)
            except OSError as e:
                raise _os_error(self.name, e) from None
            offset += len(data)
            return data

        return read

    def _stream_reader(self) -> Callable[[int], bytes]:
        fd = self.fd

        def read(n: int) -> bytes:
            try:
                return os.read(fd, n)
            except OSError as e:
                raise _os_error(self.name, e) from None

        return read

    @property
    def whole_lines(self) -> bool:
        """Whether the file can be read in blocks of whole lines (as the native engine reads a
        file): a plain file, whose maximum item size is not below a block (so no line of at
        most a block is over it)."""
        return not self.gzip and self.regular and self.max_item >= BLOCK_BYTES

    def blocks_from(self, offset: int, first: int) -> Iterator[Block]:
        """The blocks of :meth:`blocks` from ``offset`` on (a line start; ``first``: the number
        of its line), for a plain file read from there in blocks of whole lines."""
        yield from read_blocks(
            self._reader(offset),
            first=first,
            limit=self.size - offset,
            block_bytes=BLOCK_BYTES,
            max_item=self.max_item,
            at_end=self.check_end,
            start=offset,
        )

    def blocks(self) -> Iterator[Block]:
        if not self.regular:  # a FIFO, a character device: read as it comes
            yield from _stream_blocks(self._stream_reader(), self.name, self.max_item)
            return
        if not self.gzip:
            yield from read_blocks(
                self._reader(0), limit=self.size, max_item=self.max_item, at_end=self.check_end
            )
            return
        # The compressed bytes are read up to the size the file had when opened, as a plain
        # file's are: a file that grew (a gzip member appended) or shrank is then noticed.
        consumed = 0
        read = self._reader(0)

        def compressed(n: int) -> bytes:
            nonlocal consumed
            data = read(min(n, self.size - consumed))
            consumed += len(data)
            return data

        gz = gzip.GzipFile(fileobj=io.BufferedReader(_Reads(compressed)), mode="rb")
        number = 1
        try:
            for block in read_blocks(
                gz.read1,
                position=lambda: consumed,
                max_item=self.max_item,
                at_end=lambda _: self.check_end(self.size - consumed),
            ):
                number = block.first + len(block.lines)
                yield block
        except GZIP_ERRORS as e:
            # a file that grew or shrank mid-member reads as cut short: say which it was
            with contextlib.suppress(OSError):
                if os.fstat(self.fd).st_size != self.size:
                    self.check_end(0)
            raise SourceError(
                f"{self.name}: unreadable gzip data after line {number - 1} "
                f"(compressed byte {consumed:,}): {e}"
            ) from None

    def range_blocks(self, start: int, end: int, first: int = 1) -> Iterator[Block]:
        """The lines of byte range ``[start, end)`` (from :func:`split_file`); ``done`` counts
        bytes from ``start``. Should the file end before ``end`` (it shrank), or grow while the
        range that ends it is read, :meth:`check_end` raises as a whole read would, before a
        torn last line is yielded."""

        def at_end(remaining: int) -> None:
            if remaining > 0 or end == self.size:
                self.check_end(remaining)

        yield from read_blocks(
            self._reader(start),
            first=first,
            limit=end - start,
            max_item=self.max_item,
            at_end=at_end,
        )


def close_sources(sources: Iterable[Source]) -> None:
    """Close what :func:`open_source` opened (a file stays open from opening to the end of the
    run, so that every worker reads the same file)."""
    for source in sources:
        if isinstance(source, FileSource):
            source.close()


class StdinSource:
    """Standard input, read as it comes."""

    __slots__ = ("max_item", "name", "stream", "unit")

    def __init__(
        self,
        name: str = "<stdin>",
        stream: BinaryIO | None = None,
        max_item: int = DEFAULT_MAX_ITEM,
    ) -> None:
        self.name = name
        self.unit = "bytes"
        self.stream = stream
        self.max_item = max_item

    @property
    def total(self) -> None:
        return None

    def info(self) -> dict[str, object]:
        return {"name": self.name, "kind": "stdin"}

    def blocks(self) -> Iterator[Block]:
        try:
            stream = self.stream if self.stream is not None else sys.stdin.buffer
        except (AttributeError, ValueError):
            raise SourceError(f"{self.name}: standard input is closed") from None
        if stream is None:
            raise SourceError(f"{self.name}: standard input is closed")
        raw = getattr(stream, "read1", stream.read)
        if self.stream is None:
            # The process's own standard input is read from its descriptor, not through
            # sys.stdin.buffer: a reader thread still waiting in a buffered read when the run
            # is interrupted would hold that buffer's lock, and the interpreter aborts on it at
            # exit ("could not acquire lock for <_io.BufferedReader name='<stdin>'>").
            with contextlib.suppress(AttributeError, OSError, ValueError):
                fd = stream.fileno()
                raw = functools.partial(os.read, fd)

        def read(n: int) -> bytes:
            try:
                return bytes(raw(n))
            except (OSError, ValueError) as e:
                what = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
                raise SourceError(f"{self.name}: cannot read: {what}") from None

        yield from _stream_blocks(read, self.name, self.max_item)


class _Reads(io.RawIOBase):
    """``read(n)`` as a raw binary file, for :class:`gzip.GzipFile`."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _stream_blocks(read: Callable[[int], bytes], name: str, max_item: int) -> Iterator[Block]:
    """The blocks of a stream read as it comes (a pipe, standard input): gzip data, told by its
    first two bytes, is read decompressed (progress then counts decompressed bytes)."""
    head = b""
    while len(head) < len(GZIP_MAGIC):
        data = read(BLOCK_BYTES)
        if not data:
            break
        head += data
    if not head.startswith(GZIP_MAGIC):
        first: list[bytes] = [head]

        def rest(n: int) -> bytes:
            return first.pop() if first else read(n)

        yield from read_blocks(rest, max_item=max_item)
        return
    prefix = [head]

    def unread(n: int) -> bytes:
        if prefix:
            data = prefix.pop()
            if len(data) > n:
                prefix.append(data[n:])
            return data[:n]
        return read(n)

    gz = gzip.GzipFile(fileobj=io.BufferedReader(_Reads(unread)), mode="rb")
    number = 1
    try:
        for block in read_blocks(gz.read1, max_item=max_item):
            number = block.first + len(block.lines)
            yield block
    except GZIP_ERRORS as e:
        raise SourceError(f"{name}: unreadable gzip data after line {number - 1}: {e}") from None


def display_url(spec: str) -> str:
    """A source's name for reports and messages: a URL with its password, the value of every
    query parameter and a NATS token (a user name alone) masked as ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    if "://" not in spec:
        return spec
    try:
        parts = urlsplit(spec)
        password, user = parts.password, parts.username
    except ValueError:
        return spec.split("://", 1)[0] + "://***"
    netloc = parts.netloc
    if "@" in netloc:
        host = netloc.rsplit("@", 1)[1]
        if password is not None:
            netloc = f"{user or ''}:***@{host}"
        elif parts.scheme == "nats":  # nats://TOKEN@host: the user name is the secret
            netloc = f"***@{host}"
    query = parts.query
    if query:
        masked = []
        for item in query.split("&"):
            key, sep, _ = item.partition("=")
            masked.append(f"{key}=***" if sep else key)
        query = "&".join(masked)
    return urlunsplit(parts._replace(netloc=netloc, query=query, fragment=""))


def open_source(spec: str, options: SourceOptions) -> Source:
    """The source a command-line ``SOURCE`` names (raises :class:`SourceError`)."""
    if spec == "-":
        return StdinSource(max_item=options.max_item)
    if spec.startswith(("postgresql://", "postgres://")):
        from ._pg import PostgresSource

        return PostgresSource(
            spec,
            display_url(spec),
            options.query,
            options.batch,
            options.timeout,
            max_item=options.max_item,
        )
    if spec.startswith("nats://"):
        from ._nats import NatsSource

        return NatsSource.from_url(
            spec, display_url(spec), options.max_messages, options.timeout, options.max_item
        )
    return FileSource.open(spec, spec, options.max_item)
