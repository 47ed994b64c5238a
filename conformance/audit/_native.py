"""The native engine of ``check``: the real ``noetl-events`` crate, through an optional module.

The module ``noetl_events_native`` (built from ``native/`` with maturin; see the README) gives
each line the verdict of the real ``ExecutorEvent``, serde_json pinned like the adapter, and
classifies errors with the kit's one classification. (A line is first read by serde_json with
the crate's field types and no ``Value`` built, which accepts exactly what the crate accepts,
checked against the crate's own declarations when the module loads; any other line is
decoded into the crate's type.) It returns per block only the counts, the invalid
lines and the hazards. It reads events only: the server's ``EventRequest`` lives in the server
library, which the module does not link, so ``check --as request`` runs on the Python engine.

The report stays the reference's, whichever engine runs:

- a line the crate accepts is valid (the reference accepts exactly those; the tests hold the two
  to it on the corpus, hostile streams and invalid lines);
- a line the crate rejects gets its listed finding (kind, path, message) from the reference
  itself, and should the reference accept it after all, the reference's verdict stands; past
  ``--max-errors`` findings, an invalid line is only counted, under the kind the kit's one
  classification (``conformance/rust/classify.rs``) gives natively, which the tests hold to the
  reference's kind and to the kinds the corpus records from the real crate;
- hazards come from the native scanner where it handles a line exactly; every valid line it
  hands back (escapes or non-ASCII in keys, deep nesting, anything that might be a secret) and
  every line the reference alone accepted are scanned by :mod:`conformance.audit._hazards`.

So the secret rules stay in one place (Python): the native side only screens for lines that
could hold one, with a superset of the rules' shapes, and hands those back.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal

from noetl_events_ref._sensitive import SENSITIVE_KEY_PARTS

from ._check import (
    Auditor,
    Hazard,
    HazardScan,
    Keyed,
    Locator,
    Mode,
    Numbered,
    Tally,
    _cut,
    judge,
    reference_decoder,
)
from ._sources import BLOCK_BYTES, DEFAULT_MAX_ITEM, Block, FileSource

__all__ = ["ENGINES", "ENV", "Engine", "EngineError", "NativeAuditor", "available", "resolve"]

Engine = Literal["native", "python"]
ENGINES: Final = ("auto", "native", "python")
ENV: Final = "NOETL_EVENTS_CHECK_ENGINE"
"""The default of ``check --engine`` when set (``auto``, ``native`` or ``python``)."""

NATIVE_MAX_LINE: Final = 8 << 20
"""Longer lines (only with a raised ``--max-item-size``) are checked by the reference."""
NATIVE_CHUNK: Final = 1 << 16
"""Lines per call into the module: a block of millions of short lines (a file's block is
bounded by bytes) would otherwise come back as millions of findings at once."""


def _module() -> Any | None:
    try:
        return importlib.import_module("noetl_events_native")
    except ImportError:
        return None


def available() -> bool:
    """Is the native module installed?"""
    return _module() is not None


class EngineError(Exception):
    """``--engine native`` asked for, and the module is not installed."""


def resolve(engine: str | None, mode: Mode = "event") -> Engine:
    """The engine to run for ``--engine`` (``None``: :data:`ENV`, else ``auto``)."""
    chosen = engine or os.environ.get(ENV) or "auto"
    if chosen not in ENGINES:
        raise EngineError(f"unknown engine {chosen!r} (from {ENV}): choose one of {ENGINES}")
    if chosen == "python":
        return "python"
    if mode != "event":
        if engine == "native":
            raise EngineError(
                "the native engine reads events only: --as request runs on --engine python"
            )
        return "python"
    if available():
        return "native"
    if chosen == "native":
        raise EngineError(
            "the native engine is not installed: build it with "
            "`pip install ./native` from a clone of the kit's repository (needs a Rust toolchain), "
            "or use --engine python"
        )
    return "python"


class NativeAuditor(Auditor):
    """An :class:`~conformance.audit._check.Auditor` whose verdicts come from the native engine."""

    def __init__(
        self,
        *,
        mode: Mode = "event",
        max_items: int = 100,
        hazards: bool = False,
        max_item: int = DEFAULT_MAX_ITEM,
        threads: int = 1,
    ) -> None:
        # The reference's decoder and hazard scanner are needed only for the lines the crate
        # rejects and those the native scanner hands back: they are loaded on first use.
        super().__init__(
            mode=mode, max_items=max_items, hazards=False, fast=False, max_item=max_item
        )
        module = _module()
        if module is None:
            raise EngineError("the native engine is not installed")
        self._hazards = hazards
        # The fields' roles in the hazard scan come from the module's table of the crate's
        # keys, which it checks against the crate when it loads.
        self._module = module
        # With hazards, the module folds keys outside ASCII with the reference's own table of
        # the server's lowercase (the chars whose lowercase holds ASCII ones).
        folds: dict[int, str] | None = None
        if hazards:
            from noetl_events_ref._rust_unicode import LOWERCASE_WITH_ASCII

            folds = LOWERCASE_WITH_ASCII
        self._native = module.Engine(mode, hazards, None, list(SENSITIVE_KEY_PARTS), threads, folds)

    def _hazard_scan(self) -> HazardScan | None:
        """The reference's scanner, for the blocks the module leaves to the Python engine's
        check (loaded on first use, as for the lines handed back)."""
        return self._reference_scan() if self._hazards else None

    def _reference_scan(self) -> HazardScan:
        if self._scan is None:
            from ._hazards import scanner

            self._scan = scanner(self.mode)
        return self._scan

    def check(
        self,
        tally: Tally,
        lines: Sequence[bytes],
        where: Locator,
        oversized: Mapping[int, int] | None = None,
    ) -> None:
        block = lines if isinstance(lines, list) else list(lines)
        if len(block) > NATIVE_CHUNK:  # what the module hands back grows with the lines
            for start in range(0, len(block), NATIVE_CHUNK):
                end = start + NATIVE_CHUNK
                part = {k - start: n for k, n in (oversized or {}).items() if start <= k < end}
                self.check(tally, block[start:end], _part(where, start, end), part or None)
            return
        room = max(0, tally.cap - len(tally.hazards))
        # Lines whose text was not read, and very long lines, take the reference's path: a
        # failed allocation in the native module would abort the process, where Python raises
        # MemoryError and the run ends cleanly. (The module says None for a block with a line
        # over NATIVE_MAX_LINE.)
        answer = None if oversized else self._native.check(block, room, NATIVE_MAX_LINE)
        if answer is None:
            super().check(tally, block, where, oversized)  # (hazards: see _hazard_scan)
            return
        self._absorb(tally, answer, len(block), lambda: block, where, room)

    def read_file(self, source: FileSource, tally: Tally) -> Iterator[Block] | None:
        """The blocks of a plain file (:attr:`~._sources.FileSource.whole_lines`), read and
        checked by the module's threads, each reading its own blocks (see ``native/src/file.rs``):
        each block comes checked (``Block.checked`` adds its answers to a tally). The lines from
        one longer than a block on, and a last line without a newline, are read as
        :meth:`~._sources.FileSource.blocks_from` reads them; a file that holds less than its
        size, or that cannot be read, raises as :meth:`~._sources.FileSource.blocks` does."""
        if not source.whole_lines:
            return None
        return self._file_blocks(source, tally)

    def _file_blocks(self, source: FileSource, tally: Tally) -> Iterator[Block]:
        room = max(0, tally.cap - len(tally.hazards))
        run = self._native.check_file(source.fd, source.size, room, BLOCK_BYTES)
        number, done = 1, 0
        try:
            while (block := run.next()) is not None:
                parts, text, count, end_offset, end, at, error = block
                done = max(done, end_offset)
                if count:  # (its parts are taken from the run when it is checked)
                    checked = functools.partial(self._absorb_parts, run, parts, text)
                    yield Block([], number, None, done, checked=checked, checked_count=count)
                    number += count
                if end == "next":
                    continue
                if end in ("long", "tail"):  # (the rest, read whole lines at a time by Python)
                    yield from source.blocks_from(at, number)
                    return
                if end == "failed":  # (said as Python says it: its errno's own text)
                    code, message = error
                    raise source.read_error(OSError(code, os.strerror(code) if code else message))
                source.check_end(max(1, source.size - at))  # "short": it shrank (this raises)
                return
            source.check_end(0)
        finally:
            run.close()

    def _absorb_parts(
        self, run: Any, parts: int, text: bytes | None, tally: Tally, where: Locator
    ) -> None:
        """Add the answers of the block ``run`` gave last to ``tally``, a part at a time (a
        block of a million invalid lines is never a million Python objects at once); ``text``
        holds the block's lines when one needs the reference."""
        offset = 0
        for _ in range(parts):
            count, answer, start, end = run.part()
            room = max(0, tally.cap - len(tally.hazards))
            lines = _Lines(text, start, end)
            self._absorb(tally, answer, count, lines, _part(where, offset, offset + count), room)
            offset += count
        run.set_room(max(0, tally.cap - len(tally.hazards)))  # (the blocks checked next)

    def _absorb(
        self,
        tally: Tally,
        answer: tuple[Any, ...],
        count: int,
        lines: Callable[[], Sequence[bytes]],
        where: Locator,
        room: int,
    ) -> None:
        """Add the module's answer on ``count`` lines to ``tally``: the reference gives the
        findings it lists and scans the lines handed back (``lines()`` has their texts)."""
        valid, types, invalid, hazard_lines, counts, hazards, handed = answer
        tally.total += count
        tally.valid += valid
        tally.by_event_type.update(types)  # a Counter update: adds the counts of the mapping
        rescued: list[int] = []
        for k, kind in invalid:
            if len(tally.findings) >= tally.cap:
                tally.by_kind[kind] += 1  # not listed: the kit's classification, run natively
            elif judge(tally, reference_decoder(self.mode), lines()[k], where, k):
                tally.valid += 1  # the reference accepts it after all: its verdict stands
                rescued.append(k)
        if not self._hazards:
            return
        tally.hazard_lines += hazard_lines
        tally.hazards_by_kind.update(counts)
        scanned = sorted([*handed, *rescued]) if rescued else handed
        items: list[tuple[int, str, str, str]] = hazards
        for k in scanned:
            found = self._reference_scan()(lines()[k])
            if found:
                tally.hazard_lines += 1
                for kind, path, detail in found:
                    tally.hazards_by_kind[kind] += 1
                    items.append((k, kind, path, detail))
                tally.hazards_by_kind.update(found.overflow)  # (counted, never listed)
        if scanned:
            items.sort(key=lambda item: item[0])  # stable: a line's hazards keep their order
        keep = items[:room]
        tally.hazards.extend(
            Hazard(where.source, where(k), kind, _cut(path), _cut(detail))
            for k, kind, path, detail in keep
        )


class _Lines:
    """The lines of ``text[start:end]``, split when first asked for (none without a text)."""

    __slots__ = ("end", "split", "start", "text")

    def __init__(self, text: bytes | None, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.split: list[bytes] | None = None

    def __call__(self) -> list[bytes]:
        if self.split is None:
            text = self.text
            self.split = text[self.start : self.end].split(b"\n") if text is not None else []
        return self.split


def _part(where: Locator, start: int, end: int) -> Locator:
    """The locator of lines ``start`` to ``end`` of a block located by ``where``."""
    if isinstance(where, Numbered):
        return Numbered(where.source, where.first + start * where.step, where.step)
    return Keyed(where.source, where.keys[start:end])
