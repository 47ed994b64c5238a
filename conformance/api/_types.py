"""The report of a ``verify`` run as typed, read-only objects.

They are read from the JSON report (``report.schema.json``), the one record every format is
rendered from, so an object built from a run and one read back from a saved ``--format json``
file are the same.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from conformance.core._usage import UsageError

__all__ = ["CaseVerdict", "Counts", "VerifyReport", "read_report"]

Verdict = Literal["pass", "fail", "skipped", "errored"]
Status = Literal["passed", "failed", "errored"]


@dataclasses.dataclass(frozen=True, slots=True)
class Counts:
    """How many cases of a group had each verdict."""

    total: int
    passed: int
    failed: int
    skipped: int
    errored: int

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Counts:
        return cls(
            total=int(obj["total"]),
            passed=int(obj["passed"]),
            failed=int(obj["failed"]),
            skipped=int(obj["skipped"]),
            errored=int(obj["errored"]),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class CaseVerdict:
    """One case of the run: what was expected, what the implementation answered, the verdict.

    ``expected`` is ``{"output": text}`` or ``{"error": {"kind": k, "message": m}}``; ``got``
    is the implementation's answer in the same shape (``None`` when it gave none);
    ``traceback`` is set when an in-process callable raised on the case."""

    id: str
    op: str
    level: str
    tags: tuple[str, ...]
    verdict: Verdict
    reason: str | None
    baselined: bool
    expected: Mapping[str, Any]
    got: Mapping[str, Any] | None
    traceback: str | None = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> CaseVerdict:
        return cls(
            id=obj["id"],
            op=obj["op"],
            level=obj["level"],
            tags=tuple(obj["tags"]),
            verdict=obj["verdict"],
            reason=obj["reason"],
            baselined=bool(obj["baselined"]),
            expected=obj["expected"],
            got=obj["got"],
            traceback=obj.get("traceback"),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class VerifyReport:
    """A ``verify`` run: the overall status, counts overall and per op, level and tag, and one
    :class:`CaseVerdict` per case. ``json`` is the full JSON report it was read from."""

    status: Status
    implementation: Mapping[str, Any]
    corpus_version: str
    corpus_sha256: str
    summary: Counts
    by_op: Mapping[str, Counts]
    by_level: Mapping[str, Counts]
    by_tag: Mapping[str, Counts]
    cases: tuple[CaseVerdict, ...]
    error: str | None
    stderr_tail: str
    json: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_json(cls, report: Mapping[str, Any]) -> VerifyReport:
        summary = report["summary"]

        def groups(key: str) -> dict[str, Counts]:
            return {k: Counts.from_json(v) for k, v in summary[key].items()}

        return cls(
            status=report["status"],
            implementation=report["implementation"],
            corpus_version=report["corpus"]["version"],
            corpus_sha256=report["corpus"]["sha256"],
            summary=Counts.from_json(summary),
            by_op=groups("by_op"),
            by_level=groups("by_level"),
            by_tag=groups("by_tag"),
            cases=tuple(CaseVerdict.from_json(c) for c in report["cases"]),
            error=report["run"]["error"],
            stderr_tail=report["run"]["stderr_tail"],
            json=report,
        )

    @property
    def ok(self) -> bool:
        """True when the run passed: no unexpected failure, no baseline problem, no error."""
        return self.status == "passed"

    @property
    def exit_status(self) -> int:
        """What ``verify`` would exit with: 0 passed, 1 failed, 3 errored."""
        return {"passed": 0, "failed": 1}.get(self.status, 3)

    @property
    def failures(self) -> tuple[CaseVerdict, ...]:
        """Failed or errored cases that no baseline entry expects."""
        return tuple(c for c in self.cases if c.verdict in ("fail", "errored") and not c.baselined)

    def render(self, fmt: str = "text") -> str:
        """The report as ``verify --format`` writes it: text (uncoloured), json, junit,
        markdown or badge."""
        from conformance.report._report import badge, to_json, to_junit
        from conformance.report._views import to_markdown, to_text

        renderers = {
            "text": to_text,
            "json": to_json,
            "junit": to_junit,
            "markdown": to_markdown,
            "badge": badge,
        }
        if fmt not in renderers:
            raise UsageError(f"unknown format {fmt!r}: expected one of {', '.join(renderers)}")
        return renderers[fmt](self.json)


def read_report(source: str | Path | Mapping[str, Any]) -> VerifyReport:
    """A saved ``verify --format json`` report (a path, or the parsed JSON) as a
    :class:`VerifyReport`. A file that is not such a report raises :class:`UsageError`."""
    if isinstance(source, Mapping):
        obj: Any = source
        where = "<report>"
    elif not isinstance(source, str | os.PathLike):
        raise UsageError(
            f"read_report takes a path or the parsed JSON, not {type(source).__name__} {source!r}"
        )
    else:
        where = str(source)
        try:
            obj = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise UsageError(f"{where}: cannot read a JSON report: {e}") from None
    try:
        return VerifyReport.from_json(obj)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise UsageError(f"{where}: not a verify report (missing or wrong {e})") from None
