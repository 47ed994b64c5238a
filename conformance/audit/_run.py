"""Running a check over sources: in this process, or spread over worker processes.

On the native engine, everything runs in this process, and ``--jobs N`` is a number of threads
(the answers are joined in line order):

- a plain file is read by the module's N threads, each reading and checking whole blocks of it
  (:meth:`~._native.NativeAuditor.read_file`);
- other sources' blocks are shared among N threads as they come; gzip files and stdin are read
  ahead on a thread of their own (:func:`_read_ahead`) while a block is checked.

On the Python engine, ``--jobs N`` (N > 1) spreads the work over N processes and merges their
tallies in source order, so the report is the one ``--jobs 1`` gives:

- a plain file is cut into byte ranges at line starts (:func:`~._sources.split_file`), each
  read by a worker straight from the one descriptor opened for it (inherited: a file renamed
  or replaced meanwhile is not reopened);
- other sources (gzip, stdin, PostgreSQL, NATS) are read here, and their blocks are checked by
  the workers.

At most ``2 * N`` pieces are in flight, so memory stays bounded whatever the source's size.

``--shard I/N`` checks only the lines whose key is ``I`` modulo ``N``: for files and stdin the
line number (from 1), for NATS the stream sequence, for PostgreSQL the ``event_id`` (or, when
a row has none, a checksum of the envelope it stores). The N shards of a source are disjoint
and together check every line once; for NATS and PostgreSQL this holds when messages or rows
are added or removed between the shard runs too (each one is checked by the shard its own
key names, whatever else changed). ``total`` then counts the checked lines.

A source that fails, or stops answering, ends the run there: the tally holds what was read
and says why it stopped (:attr:`~._check.Tally.stopped`).
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ._check import Auditor, Keyed, Mode, Numbered, Tally
from ._sources import (
    DEFAULT_MAX_ITEM,
    Block,
    FileSource,
    Source,
    SourceError,
    SourceIncomplete,
    StdinSource,
    count_lines,
    split_file,
)

if TYPE_CHECKING:  # (multiprocessing is imported only when --jobs asks for it)
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["AuditOptions", "Interrupted", "Progress", "Shard", "run"]

_PIECE_BYTES: Final = 4 << 20


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (or SIGTERM, which ``check`` turns into it): ``tally`` holds
    what was checked before the stop, and says where it stopped (``Tally.stopped``: the source
    being read, ``"interrupted"``, whether reading it had begun)."""

    def __init__(self, tally: Tally) -> None:
        super().__init__("interrupted")
        self.tally = tally


class Shard:
    """Lines numbered ``index`` modulo ``count``."""

    __slots__ = ("count", "index")

    def __init__(self, index: int = 0, count: int = 1) -> None:
        self.index = index
        self.count = count


class AuditOptions(NamedTuple):
    mode: Mode = "event"
    max_items: int = 100
    hazards: bool = False
    fast: bool = True
    max_item: int = DEFAULT_MAX_ITEM
    engine: str = "python"  # or "native" (conformance.audit._native)
    threads: int = 1  # the native engine's threads per block (--jobs, for that engine)

    def auditor(self) -> Auditor:
        if self.engine == "native":
            from ._native import NativeAuditor

            return NativeAuditor(
                mode=self.mode,
                max_items=self.max_items,
                hazards=self.hazards,
                max_item=self.max_item,
                threads=self.threads,
            )
        return Auditor(
            mode=self.mode,
            max_items=self.max_items,
            hazards=self.hazards,
            fast=self.fast,
            max_item=self.max_item,
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
    if block.checked is not None:  # (the native engine read and checked it: _run_serial)
        tally.lines += block.count
        block.checked(tally, Numbered(index, block.first))
        return
    tally.lines += len(block.lines)
    lines: Sequence[bytes] = block.lines
    first, step = block.first, 1
    keys = block.keys
    oversized = dict(block.oversized) if block.oversized else None
    if shard.count > 1:  # (``index`` is the source's; the shard's is ``mine``)
        count, mine = shard.count, shard.index
        if block.shard_keys is not None:
            picked = [k for k, key in enumerate(block.shard_keys) if key % count == mine]
        else:
            picked = list(range((mine - block.first) % count, len(lines), count))
            if picked:
                first, step = block.first + picked[0], count
        lines = [block.lines[k] for k in picked]
        if keys is not None:
            keys = [keys[k] for k in picked]
        if oversized:
            oversized = {j: oversized[k] for j, k in enumerate(picked) if k in oversized}
    if not lines:
        return
    where = Keyed(index, keys) if keys is not None else Numbered(index, first, step)
    auditor.check(tally, lines, where, oversized)


def _stop(tally: Tally, index: int, error: SourceError, started: bool) -> None:
    tally.stopped = (index, str(error), started or isinstance(error, SourceIncomplete))


def _run_serial(
    options: AuditOptions, sources: Sequence[Source], shard: Shard, progress: Progress
) -> Tally:
    auditor = options.auditor()
    tally = auditor.tally()
    for index, source in enumerate(sources):
        progress.start(source)
        started = False
        try:
            blocks = source.blocks()
            if options.engine == "native":
                # The module reads a plain file of whole lines itself, on its own threads;
                # other files and stdin are read ahead while a block is checked.
                own = None
                if isinstance(source, FileSource) and shard.count == 1:
                    own = auditor.read_file(source, tally)
                if own is not None:
                    blocks = own
                elif isinstance(source, FileSource | StdinSource):
                    blocks = _read_ahead(blocks)
            try:
                for block in blocks:
                    started = True
                    _check_block(auditor, tally, index, block, shard)
                    progress.advance(block.done)
                    del block  # (not held while the next one is read)
            finally:
                if isinstance(blocks, Generator):  # (its reading stops now: threads, files)
                    blocks.close()
        except SourceError as e:
            _stop(tally, index, e, started)
            break
        except KeyboardInterrupt:
            tally.stopped = (index, "interrupted", started)
            raise Interrupted(tally) from None
    return tally


_AHEAD: Final = 2
"""Blocks read ahead of the one being checked (memory: a few blocks of BLOCK_BYTES)."""


def _read_ahead(blocks: Iterator[Block]) -> Generator[Block, None, None]:
    """``blocks``, read on a thread of their own up to :data:`_AHEAD` blocks ahead: the native
    engine checks with the GIL released, so reading the next block overlaps checking this one.
    A source error is raised here, in order, after the blocks read before it."""
    ahead: queue.Queue[tuple[Block | None, BaseException | None]] = queue.Queue(_AHEAD)
    stop = threading.Event()

    def put(item: tuple[Block | None, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for block in blocks:
                if not put((block, None)):
                    return
            put((None, None))
        except BaseException as e:  # a source error or a MemoryError: the reader raises it
            put((None, e))

    reader = threading.Thread(target=read, name="noetl-events-check-reader", daemon=True)
    reader.start()
    try:
        while True:
            block, error = ahead.get()
            if error is not None:
                raise error
            if block is None:
                return
            yield block
            del block  # (not held while the next one is checked)
    finally:
        stop.set()
        # A file read ends within a block; stdin may block: the thread is a daemon.
        reader.join(timeout=1.0)


# ---- worker processes ------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(options: AuditOptions, shard: Shard) -> None:
    import signal

    # Ctrl-C reaches the whole process group: the parent alone ends the run (and says so),
    # workers neither print tracebacks nor inherit the parent's SIGTERM handling.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER["auditor"] = options.auditor()
    _WORKER["shard"] = shard


def _check_range(index: int, file: FileSource, start: int, end: int, first: int | None) -> Tally:
    """A byte range of a file (read through the descriptor this process inherited); numbered
    from ``first``, or from 1 when unknown (the caller moves the line numbers)."""
    auditor: Auditor = _WORKER["auditor"]
    tally = auditor.tally()
    try:
        for block in file.range_blocks(start, end, first or 1):
            _check_block(auditor, tally, index, block, _WORKER["shard"])
    except SourceError as e:  # the file changed under the range: what was read before counts
        tally.stopped = (index, str(e), True)
    return tally


class _PieceStopped(SourceIncomplete):
    """A piece of a file that changed while a worker read it (the worker's own message)."""


def _check_one_block(index: int, block: Block) -> Tally:
    auditor: Auditor = _WORKER["auditor"]
    tally = auditor.tally()
    _check_block(auditor, tally, index, block, _WORKER["shard"])
    return tally


class _Piece(NamedTuple):
    """Work for a worker, and how to merge its answer."""

    source: int
    submit: Callable[[ProcessPoolExecutor], Future[Tally]]
    relative: bool  # line numbers from 1 within the piece: move them
    done: int  # progress in the source once merged


def _file_pieces(
    pool: ProcessPoolExecutor, index: int, source: FileSource, jobs: int, shard: Shard
) -> Iterator[_Piece]:
    pieces = max(2 * jobs, source.size // _PIECE_BYTES)
    ranges = split_file(source.fd, source.size, pieces)
    firsts: list[int | None] = [None] * len(ranges)
    if shard.count > 1:  # a shard needs absolute line numbers: count the lines first
        counts = pool.map(count_lines, [source.fd] * len(ranges), *zip(*ranges, strict=True))
        number = 1
        for k, count in enumerate(counts):
            firsts[k] = number
            number += count
    for (start, end), first in zip(ranges, firsts, strict=True):

        def submit(
            p: ProcessPoolExecutor, s: int = start, e: int = end, f: int | None = first
        ) -> Future[Tally]:
            return p.submit(_check_range, index, source, s, e, f)

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
    index = 0
    began: list[int] = []  # the sources whose reading began (a piece was handed to a worker)
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(options, shard),
    ) as pool:
        try:
            for index, source in enumerate(sources):
                progress.start(source)
                try:
                    _parallel_source(pool, tally, index, source, shard, progress, jobs, began)
                except SourceError as e:
                    _stop(tally, index, e, index in began)
                    break
        except BaseException as e:
            # Interrupted (or failed): the workers' pieces are of no use now. They ignore
            # SIGINT, and joining them at exit could wait on a piece, or on a queue a worker
            # holds: they are ended here, so the run stops at once.
            for worker in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(OSError, ValueError):
                    worker.terminate()
            manager = getattr(pool, "_executor_manager_thread", None)
            pool.shutdown(wait=False, cancel_futures=True)
            # Its manager thread, seeing the workers gone, closes the pool's wake-up pipe:
            # at exit, Python 3.11 writes to that pipe, and a close racing the write is an
            # "OSError: Bad file descriptor" traceback. The thread is let finish first.
            if manager is not None:
                manager.join(timeout=5.0)
            if isinstance(e, KeyboardInterrupt):
                tally.stopped = (index, "interrupted", index in began)
                raise Interrupted(tally) from None
            raise
    return tally


@contextlib.contextmanager
def _whole() -> Iterator[None]:
    """A step an interrupt must not cut in two (a piece taken from the window and merged): a
    SIGINT or SIGTERM that comes during it is delivered, to the handler it had, as it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    held: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not None:  # (None: not set from Python, left alone)
            held[signum] = signal.signal(signum, lambda n, _: pending.append(n))
    try:
        yield
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)
        for came in dict.fromkeys(pending):
            signal.raise_signal(came)


def _parallel_source(
    pool: ProcessPoolExecutor,
    tally: Tally,
    index: int,
    source: Source,
    shard: Shard,
    progress: Progress,
    jobs: int,
    began: list[int],
) -> None:
    if isinstance(source, FileSource) and source.splittable:
        pieces = _file_pieces(pool, index, source, jobs, shard)
    else:
        pieces = _stream_pieces(index, source)
    lines_before = 0
    window: deque[tuple[_Piece, Future[Tally]]] = deque()

    def settle() -> None:
        """Merge the first piece of the window. Waiting for it may be interrupted (it stays in
        the window); taking it from the window and merging it may not be cut in two."""
        nonlocal lines_before
        piece, future = window[0]
        part = future.result()
        with _whole():
            window.popleft()
            tally.merge(part, line_offset=lines_before if piece.relative else 0)
            lines_before += part.lines
        progress.advance(piece.done)
        if part.stopped is not None:  # the file changed under this piece: none after it counts
            raise _PieceStopped(part.stopped[1])

    try:
        for piece in pieces:
            window.append((piece, piece.submit(pool)))
            if not began or began[-1] != index:
                began.append(index)
            if len(window) >= 2 * jobs:
                settle()
        while window:
            settle()
    except KeyboardInterrupt:
        # The pieces the workers finished, in order, are counted: an interrupted report says
        # what was checked (the others are lost with the workers).
        with contextlib.suppress(Exception):
            while window and window[0][1].done() and not window[0][1].cancelled():
                settle()
        raise
    except _PieceStopped:
        raise
    except SourceError:  # the blocks read before the failure are still the workers'
        while window:
            settle()
        raise
    if isinstance(source, FileSource) and source.splittable:
        source.check_end(0)


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
        if options.engine == "native":
            # The native engine shares each block among `jobs` threads of this process: no
            # worker start-up, nothing to merge, and the GIL is released while they run.
            threaded = options._replace(threads=max(1, jobs))
            return _run_serial(threaded, sources, shard, progress)
        if jobs <= 1:
            return _run_serial(options, sources, shard, progress)
        return _run_parallel(options, sources, shard, progress, jobs)
    finally:
        progress.close()
