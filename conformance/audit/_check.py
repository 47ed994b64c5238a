"""The audit core of ``check``: a verdict for every line, the counts, the findings.

A verdict is the reference's (``noetl_events_ref.decode_event`` / ``decode_request``): a line
is valid when the reference accepts it, else invalid with the reference's error kind, JSON path
and message. The orjson fast path (:mod:`conformance.audit._fast`) only ever answers "valid"; every
line it cannot prove goes to the reference itself.

Counts merge exactly (``Tally.merge``), so a stream checked in pieces, in any number of
processes, gives the same report as one pass over it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, TypeVar

from noetl_events_ref._errors import EnvelopeError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from . import _fast
    from ._hazards import Found
    from ._sources import Block, FileSource

__all__ = [
    "MAX_EVENT_TYPES",
    "MAX_KEPT",
    "MAX_TEXT",
    "OTHER_EVENT_TYPES",
    "TOO_LARGE",
    "Auditor",
    "Finding",
    "Hazard",
    "Mode",
    "Tally",
]

Mode = Literal["event", "request"]
Where = int | str
"""A line number (files, stdin) or a row key (PostgreSQL, NATS)."""

MAX_EVENT_TYPES: Final = 10_000
"""At most this many event types are counted by name: the first in code point order."""
OTHER_EVENT_TYPES: Final = "(other)"
"""Where the occurrences of the event types beyond :data:`MAX_EVENT_TYPES` are counted."""
MAX_TEXT: Final = 2_000
"""Messages, paths and details longer than this are cut (a 100 MB line stays a short report)."""
MAX_KEPT: Final = 100_000
"""At most this many findings (and hazards) are kept for the report, even with
``--max-errors 0``; past it they are counted, not stored (memory stays bounded)."""
TOO_LARGE: Final = "too_large"
"""The error kind of a line, row or message over the maximum item size (not read whole)."""


def _cut(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}… [{len(text) - MAX_TEXT} more characters]"


class Finding(NamedTuple):
    """An invalid line: where, and the reference's error."""

    source: int
    line: Where
    kind: str
    path: str
    message: str


class Hazard(NamedTuple):
    """A portability hazard in a valid line (see :mod:`conformance.audit._hazards`)."""

    source: int
    line: Where
    kind: str
    path: str
    detail: str


class EventTypeCounts:
    """Valid envelopes by event type, in bounded memory and exactly mergeable: the
    :data:`MAX_EVENT_TYPES` smallest types (code point order) are counted by name, all others
    together under :data:`OTHER_EVENT_TYPES`. (Whatever order the lines come in, and however a
    stream is cut into pieces, the same types are kept with the same counts.)"""

    __slots__ = ("counts", "other")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.other = 0

    def update(self, types: Iterable[str]) -> None:
        self.counts.update(types)
        if len(self.counts) > 2 * MAX_EVENT_TYPES:
            self._trim()

    def add(self, event_type: str) -> None:
        self.counts[event_type] += 1
        if len(self.counts) > 2 * MAX_EVENT_TYPES:
            self._trim()

    def _trim(self) -> None:
        if len(self.counts) <= MAX_EVENT_TYPES:
            return
        keep = sorted(self.counts)[:MAX_EVENT_TYPES]
        kept = Counter({t: self.counts[t] for t in keep})
        self.other += self.counts.total() - kept.total()
        self.counts = kept

    def merge(self, other: EventTypeCounts) -> None:
        self.counts.update(other.counts)
        self.other += other.other
        self._trim()

    def as_dict(self) -> dict[str, int]:
        self._trim()
        out = dict(sorted(self.counts.items()))
        if self.other:
            out[OTHER_EVENT_TYPES] = out.get(OTHER_EVENT_TYPES, 0) + self.other
        return out


_Item = TypeVar("_Item", Finding, Hazard)


class Tally:
    """What a check found in some lines: counts, and the first findings and hazards.

    ``max_items`` caps the findings and the hazards kept (0: up to :data:`MAX_KEPT`); the
    counts are exact. ``lines`` is how many lines were read (a shard checks only some of
    them). ``stopped`` says why a run ended before the end of its sources: ``(source index,
    reason, partial)``, ``partial`` when reading had begun (see :func:`._run.run`)."""

    __slots__ = (
        "by_event_type",
        "by_kind",
        "findings",
        "hazard_lines",
        "hazards",
        "hazards_by_kind",
        "lines",
        "max_items",
        "stopped",
        "total",
        "valid",
    )

    def __init__(self, max_items: int = 100) -> None:
        self.max_items = max_items
        self.total = 0
        self.valid = 0
        self.lines = 0
        self.by_kind: Counter[str] = Counter()
        self.by_event_type = EventTypeCounts()
        self.findings: list[Finding] = []
        self.hazard_lines = 0
        self.hazards_by_kind: Counter[str] = Counter()
        self.hazards: list[Hazard] = []
        self.stopped: tuple[int, str, bool] | None = None

    @property
    def invalid(self) -> int:
        return self.total - self.valid

    @property
    def complete(self) -> bool:
        return self.stopped is None

    @property
    def cap(self) -> int:
        """How many findings (and hazards) are kept for the report."""
        return min(self.max_items or MAX_KEPT, MAX_KEPT)

    def _room(self, items: list[Finding] | list[Hazard]) -> bool:
        return len(items) < self.cap

    def add_finding(self, finding: Finding) -> None:
        self.by_kind[finding.kind] += 1
        if self._room(self.findings):
            self.findings.append(finding)

    def add_hazard(self, hazard: Hazard) -> None:
        self.hazards_by_kind[hazard.kind] += 1
        if self._room(self.hazards):
            self.hazards.append(hazard)

    def merge(self, other: Tally, line_offset: int = 0) -> None:
        """Add ``other`` (the lines after these); its integer line numbers are moved by
        ``line_offset`` (a piece of a file checked on its own counts from 1)."""
        self.total += other.total
        self.valid += other.valid
        self.lines += other.lines
        self.by_kind.update(other.by_kind)
        self.by_event_type.merge(other.by_event_type)
        self.hazard_lines += other.hazard_lines
        self.hazards_by_kind.update(other.hazards_by_kind)
        self._take(self.findings, other.findings, line_offset)
        self._take(self.hazards, other.hazards, line_offset)

    def _take(self, items: list[_Item], more: list[_Item], line_offset: int) -> None:
        for item in more:
            if not self._room(items):
                break
            if line_offset and isinstance(item.line, int):
                item = item._replace(line=item.line + line_offset)
            items.append(item)


class Numbered(NamedTuple):
    """Line ``k`` of a block is line ``first + k * step`` of source ``source``."""

    source: int
    first: int
    step: int = 1

    def __call__(self, k: int) -> Where:
        return self.first + k * self.step


class Keyed(NamedTuple):
    """Line ``k`` of a block is known by ``keys[k]`` (a row or message key)."""

    source: int
    keys: Sequence[str]

    def __call__(self, k: int) -> Where:
        return self.keys[k]


Locator = Numbered | Keyed


def judge(
    tally: Tally, decode: Callable[[bytes], Any], line: bytes, where: Locator, k: int
) -> bool:
    """The reference's verdict on ``line`` (line ``k`` of a block located by ``where``) into
    ``tally``: True (valid, its event type
    counted; the caller counts it valid), or False with the finding added. A bug in the
    reference is reported as kind ``other`` and the run goes on; running out of memory is not
    a verdict on the line, and ends the run."""
    try:
        record = decode(line)
    except EnvelopeError as e:
        tally.add_finding(Finding(where.source, where(k), e.kind, _cut(e.path), _cut(e.message)))
        return False
    except MemoryError:
        raise
    except Exception as e:
        message = _cut(f"noetl_events_ref failed: {type(e).__name__}: {e}")
        tally.add_finding(Finding(where.source, where(k), "other", "$", message))
        return False
    tally.by_event_type.add(record.event_type)
    return True


def reference_decoder(mode: Mode) -> Callable[[bytes], Any]:
    """The reference's decoder for ``mode`` (imported on first use: the native engine
    needs it only for the lines the crate rejects)."""
    from noetl_events_ref._codec import decode_event, decode_request

    return decode_event if mode == "event" else decode_request


HazardScan = Callable[[bytes], "Found"]


class Auditor:
    """Checks blocks of lines into a :class:`Tally`.

    ``fast=False`` turns the orjson fast path off (every line to the reference), which is how
    the tests prove both paths give the same report."""

    def __init__(
        self,
        *,
        mode: Mode = "event",
        max_items: int = 100,
        hazards: bool = False,
        fast: bool = True,
        max_item: int = 4 << 20,
    ) -> None:
        self.max_items = max_items
        self.max_item = max_item
        self.mode: Mode = mode
        self._prove: _fast.BlockProver | None = None
        if fast:
            from . import _fast

            self._prove = _fast.event_prover() if mode == "event" else _fast.request_prover()
        self._scan: HazardScan | None = None
        if hazards:
            from ._hazards import scanner

            self._scan = scanner(mode)

    @property
    def fast(self) -> bool:
        return self._prove is not None

    def tally(self) -> Tally:
        return Tally(max_items=self.max_items)

    def check(
        self,
        tally: Tally,
        lines: Sequence[bytes],
        where: Locator,
        oversized: Mapping[int, int] | None = None,
    ) -> None:
        """Check every line of ``lines`` into ``tally``; ``oversized`` maps the index of each
        line over the maximum item size to its size (its text is not there).

        The counts grow line by line as the verdicts come, so that a run interrupted within
        the block reports what it checked, and its counts add up."""
        if self._prove is not None:
            proved, slow = self._prove(lines)
            tally.by_event_type.update(proved)
            tally.total += len(proved)
            tally.valid += len(proved)
        else:
            slow = list(range(len(lines)))
        invalid: list[int] = []
        decode = reference_decoder(self.mode)
        for k in slow:
            if oversized and k in oversized:
                tally.total += 1
                invalid.append(k)
                tally.add_finding(
                    Finding(
                        where.source,
                        where(k),
                        TOO_LARGE,
                        "$",
                        f"{oversized[k]:,} bytes, over the maximum item size of "
                        f"{self.max_item:,} bytes (--max-item-size): not read",
                    )
                )
                continue
            if judge(tally, decode, lines[k], where, k):
                tally.valid += 1
            else:
                invalid.append(k)
            tally.total += 1
        scan = self._hazard_scan()
        if scan is not None:
            self._scan_hazards(scan, tally, lines, invalid, where)

    def read_file(self, source: FileSource, tally: Tally) -> Iterator[Block] | None:
        """The blocks of a plain file of whole lines, when the engine reads and checks them
        itself (each block then comes checked: ``Block.checked``); None: the caller reads it."""
        return None

    def _hazard_scan(self) -> HazardScan | None:
        """The scanner of the valid lines' hazards; None: hazards are not asked for."""
        return self._scan

    def _scan_hazards(
        self,
        scan: HazardScan,
        tally: Tally,
        lines: Sequence[bytes],
        invalid: list[int],
        where: Locator,
    ) -> None:
        skip = set(invalid)
        for k, line in enumerate(lines):
            if k in skip:
                continue
            found = scan(line)
            if found:
                tally.hazard_lines += 1
                for kind, path, detail in found:
                    tally.add_hazard(Hazard(where.source, where(k), kind, _cut(path), _cut(detail)))
                tally.hazards_by_kind.update(found.overflow)  # (counted, never listed)
