"""``check`` as a function: audit envelopes from files, PostgreSQL or NATS JetStream and read
the result as a typed report."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from conformance.core._usage import UsageError

__all__ = ["CheckError", "CheckReport", "check"]


@dataclasses.dataclass(frozen=True, slots=True)
class CheckError:
    """One invalid envelope: where (a line number, or ``source:line`` with several sources),
    the error kind, the JSON path and the reference's message."""

    line: int | str
    kind: str
    path: str
    message: str


@dataclasses.dataclass(frozen=True, slots=True)
class CheckReport:
    """The result of ``check``: whether every source was read to its end (``complete``; the
    JSON report says why not), counts, invalid envelopes by kind, the first errors kept, and
    ``json``, the full JSON report (``check --format json``) it was read from."""

    complete: bool
    total: int
    valid: int
    invalid: int
    by_kind: Mapping[str, int]
    by_event_type: Mapping[str, int]
    errors: tuple[CheckError, ...]
    json: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_json(cls, report: Mapping[str, Any]) -> CheckReport:
        return cls(
            complete=bool(report["complete"]),
            total=int(report["total"]),
            valid=int(report["valid"]),
            invalid=int(report["invalid"]),
            by_kind=dict(report["by_kind"]),
            by_event_type=dict(report["by_event_type"]),
            errors=tuple(
                CheckError(e["line"], e["kind"], e["path"], e["message"]) for e in report["errors"]
            ),
            json=report,
        )

    @property
    def ok(self) -> bool:
        """True when every envelope of the sources was read and is valid."""
        return self.complete and self.invalid == 0


def check(
    *sources: str | Path,
    mode: Literal["event", "request"] = "event",
    hazards: bool = False,
    max_errors: int = 100,
    exact: bool = False,
) -> CheckReport:
    """Check every envelope of ``sources`` (paths of JSON-lines files, gzip read decompressed,
    ``postgresql://`` or ``nats://`` URLs) the way the Rust side decodes them, as
    ``ExecutorEvent`` (``mode="event"``) or ``EventRequest``. ``hazards`` also reports valid
    envelopes that other readers may take differently; ``max_errors`` bounds the errors kept
    (all are counted); ``exact`` skips the fast path. A source that cannot be opened raises
    :class:`UsageError`."""
    from conformance.audit._native import EngineError, resolve
    from conformance.audit._report import report_json
    from conformance.audit._run import AuditOptions, run
    from conformance.audit._sources import (
        Source,
        SourceError,
        SourceOptions,
        close_sources,
        open_source,
    )

    if not sources:
        raise UsageError("check: no source given")
    if mode not in ("event", "request"):
        raise UsageError(f"check: mode {mode!r}: expected 'event' or 'request'")
    if isinstance(max_errors, bool) or not isinstance(max_errors, int) or max_errors < 0:
        raise UsageError(f"check: max_errors {max_errors!r}: expected 0 (all) or more")
    opened: list[Source] = []
    try:
        engine = "python" if exact else resolve(None, mode)
        for spec in sources:
            opened.append(open_source(str(spec), SourceOptions()))
        options = AuditOptions(
            mode=mode, max_items=max_errors, hazards=hazards, fast=not exact, engine=engine
        )
        tally = run(options, opened)
    except (SourceError, EngineError) as e:
        raise UsageError(str(e)) from None
    finally:
        close_sources(opened)
    if tally.stopped is not None and not tally.stopped[2]:  # a source not read at all
        raise UsageError(tally.stopped[1])  # (cannot connect, no stream: as the command says)
    names = [s.name for s in opened]
    info = [s.info() for s in opened]
    return CheckReport.from_json(report_json(tally, names, hazards=hazards, sources=info))
