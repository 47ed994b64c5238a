"""Running a check over sources: in this process, or spread over worker processes.

``--jobs N`` (N > 1) spreads the work over N processes and merges their tallies in source
order, so the report is the one ``--jobs 1`` gives:

- a plain file is cut into byte ranges at line starts (:func:`~._sources.split_file`), each
  read by a worker straight from the file;
- other sources (gzip, stdin, PostgreSQL, NATS) are read here, and their blocks are checked by
  the workers.

At most ``2 * N`` pieces are in flight, so memory stays bounded whatever the source's size.

``--shard I/N`` checks only the lines whose number (from 1; rows and messages by their order)
is ``I`` modulo ``N``: the N shards of a source are disjoint and together check every line
once. ``total`` then counts the checked lines.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from ._check import Auditor, Keyed, Mode, Numbered, Tally
from ._sources import Block, FileSource, Source, count_lines, split_file

if TYPE_CHECKING:  # (multiprocessing is imported only when --jobs asks for it)
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["AuditOptions", "Progress", "Shard", "run"]

_PIECE_BYTES: Final = 4 << 20


@dataclasses.dataclass(frozen=True, slots=True)
class Shard:
    """Lines numbered ``index`` modulo ``count``."""

    index: int = 0
    count: int = 1


@dataclasses.dataclass(frozen=True, slots=True)
class AuditOptions:
    mode: Mode = "event"
    max_items: int = 100
    hazards: bool = False
    fast: bool = True
    engine: str = "python"  # or "native" (conformance.audit._native)

    def auditor(self) -> Auditor:
        if self.engine == "native":
            from ._native import NativeAuditor

            return NativeAuditor(mode=self.mode, max_items=self.max_items, hazards=self.hazards)
        return Auditor(
            mode=self.mode, max_items=self.max_items, hazards=self.hazards, fast=self.fast
        )


class Progress:
    """Told how far each source got; the default does nothing."""

    def start(self, source: Source) -> None:
        pass

    def advance(self, done: int) -> None:
        """``done``: the progress so far in the current source, in its unit."""

    def close(self) -> None:
        pass


def _check_block(auditor: Auditor, tally: Tally, index: int, block: Block, shard: Shard) -> None:
    tally.lines += len(block.lines)
    lines: Sequence[bytes] = block.lines
    first, step = block.first, 1
    keys = block.keys
    if shard.count > 1:
        skip = (shard.index - block.first) % shard.count
        lines = block.lines[skip :: shard.count]
        keys = keys[skip :: shard.count] if keys is not None else None
        first, step = block.first + skip, shard.count
    if not lines:
        return
    where = Keyed(index, keys) if keys is not None else Numbered(index, first, step)
    auditor.check(tally, lines, where)


def _run_serial(
    options: AuditOptions, sources: Sequence[Source], shard: Shard, progress: Progress
) -> Tally:
    auditor = options.auditor()
    tally = auditor.tally()
    for index, source in enumerate(sources):
        progress.start(source)
        for block in source.blocks():
            _check_block(auditor, tally, index, block, shard)
            progress.advance(block.done)
    return tally


# ---- worker processes ------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(options: AuditOptions, shard: Shard) -> None:
    _WORKER["auditor"] = options.auditor()
    _WORKER["shard"] = shard


def _check_range(index: int, path: str, start: int, end: int, first: int | None) -> Tally:
    """A byte range of a file; numbered from ``first``, or from 1 when unknown (the caller
    moves the line numbers)."""
    auditor: Auditor = _WORKER["auditor"]
    tally = auditor.tally()
    source = FileSource(path, path)
    for block in source.range_blocks(start, end, first or 1):
        _check_block(auditor, tally, index, block, _WORKER["shard"])
    return tally


def _check_one_block(index: int, block: Block) -> Tally:
    auditor: Auditor = _WORKER["auditor"]
    tally = auditor.tally()
    _check_block(auditor, tally, index, block, _WORKER["shard"])
    return tally


@dataclasses.dataclass(slots=True)
class _Piece:
    """Work for a worker, and how to merge its answer."""

    source: int
    submit: Callable[[ProcessPoolExecutor], Future[Tally]]
    relative: bool  # line numbers from 1 within the piece: move them
    done: int  # progress in the source once merged


def _file_pieces(
    pool: ProcessPoolExecutor, index: int, source: FileSource, jobs: int, shard: Shard
) -> Iterator[_Piece]:
    pieces = max(2 * jobs, source.total // _PIECE_BYTES)
    ranges = split_file(source.path, pieces)
    firsts: list[int | None] = [None] * len(ranges)
    if shard.count > 1:  # a shard needs absolute line numbers: count the lines first
        counts = pool.map(count_lines, [source.path] * len(ranges), *zip(*ranges, strict=True))
        number = 1
        for k, count in enumerate(counts):
            firsts[k] = number
            number += count
    for (start, end), first in zip(ranges, firsts, strict=True):

        def submit(
            p: ProcessPoolExecutor, s: int = start, e: int = end, f: int | None = first
        ) -> Future[Tally]:
            return p.submit(_check_range, index, source.path, s, e, f)

        yield _Piece(index, submit, first is None, end)


def _stream_pieces(index: int, source: Source) -> Iterator[_Piece]:
    for block in source.blocks():

        def submit(p: ProcessPoolExecutor, b: Block = block) -> Future[Tally]:
            return p.submit(_check_one_block, index, b)

        yield _Piece(index, submit, False, block.done)


def _run_parallel(
    options: AuditOptions,
    sources: Sequence[Source],
    shard: Shard,
    progress: Progress,
    jobs: int,
) -> Tally:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    tally = Tally(max_items=options.max_items)
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(options, shard),
    ) as pool:
        try:
            for index, source in enumerate(sources):
                progress.start(source)
                if isinstance(source, FileSource) and source.splittable:
                    pieces = _file_pieces(pool, index, source, jobs, shard)
                else:
                    pieces = _stream_pieces(index, source)
                lines_before = 0
                window: deque[tuple[_Piece, Future[Tally]]] = deque()

                def settle(piece: _Piece, future: Future[Tally]) -> None:
                    nonlocal lines_before
                    part = future.result()
                    tally.merge(part, line_offset=lines_before if piece.relative else 0)
                    lines_before += part.lines
                    progress.advance(piece.done)

                for piece in pieces:
                    window.append((piece, piece.submit(pool)))
                    if len(window) >= 2 * jobs:
                        settle(*window.popleft())
                while window:
                    settle(*window.popleft())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return tally


def run(
    options: AuditOptions,
    sources: Sequence[Source],
    *,
    jobs: int = 1,
    shard: Shard | None = None,
    progress: Progress | None = None,
) -> Tally:
    """Check every source, in order, into one tally."""
    shard = shard or Shard()
    progress = progress or Progress()
    try:
        if jobs <= 1:
            return _run_serial(options, sources, shard, progress)
        return _run_parallel(options, sources, shard, progress, jobs)
    finally:
        progress.close()
