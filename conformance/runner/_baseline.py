"""Known failures: a baseline file lets an implementation adopt the kit before it passes it all.

One case id per line, with the reason after ``#``; blank lines and full-line comments are kept
out of the way. The baseline only ever shrinks silently through ``--update-baseline``: a listed
case that now passes is *stale* and fails the run, so a fix is noticed and its entry removed, the
same way a strict xfail works. A listed case that errors, or an id the corpus does not have,
also fails the run: neither says anything about the failure the entry was written for.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from conformance.core._atomic import write_atomic

from ._runner import CaseResult

__all__ = [
    "Baseline",
    "BaselineCheck",
    "BaselineError",
    "check",
    "load",
    "parse",
    "reason_line",
    "render",
    "save",
    "updated",
    "updated_from",
]

_ID: Final = re.compile(r"\S+")
MAX_BASELINE_BYTES: Final = 16 << 20
"""The largest baseline file read (a corpus of a million cases, each with a reason, fits)."""
_HEADER: Final = (
    "# noetl-events conformance baseline: cases this implementation is known to fail.\n"
    "# One case id per line, then `# reason`. Rewritten by `verify --update-baseline`.\n"
)


class BaselineError(ValueError):
    """A baseline file that cannot be read: names the file and line."""


@dataclasses.dataclass(frozen=True, slots=True)
class Baseline:
    """Listed case ids with their reasons, in file order."""

    entries: Mapping[str, str]
    path: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class BaselineCheck:
    """A run held against a baseline. ``ok`` is false when any list that fails a run is
    non-empty; ``known`` (listed and still failing) and ``not_selected`` never fail it."""

    path: str | None
    entries: int
    known: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    errored: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    new_failures: tuple[str, ...] = ()
    not_selected: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.stale or self.errored or self.unknown or self.new_failures)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "entries": self.entries,
            "ok": self.ok,
            "known_failures": list(self.known),
            "stale": list(self.stale),
            "errored": list(self.errored),
            "unknown": list(self.unknown),
            "new_failures": list(self.new_failures),
            "not_selected": list(self.not_selected),
        }


def parse(
    text: str,
    path: str = "<baseline>",
    *,
    known_ids: Iterable[str] | None = None,
    dropped: list[str] | None = None,
) -> Baseline:
    """Entries of a baseline text; a line with two ids or a repeated id is an error.

    With ``known_ids`` (what ``--update-baseline`` does, to repair a damaged file) a line that
    does not start with a known case id is dropped instead, and noted in ``dropped``."""
    known = set(known_ids) if known_ids is not None else None
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        content, _, reason = line.partition("#")
        content = content.strip()
        if not content:
            continue
        ids = _ID.findall(content)
        if known is not None and (len(ids) != 1 or ids[0] not in known or ids[0] in entries):
            if dropped is not None:
                dropped.append(f"{path}:{number}: {line.strip()[:120]}")
            continue
        if len(ids) != 1:
            raise BaselineError(f"{path}:{number}: expected one case id, then `# reason`")
        if ids[0] in entries:
            raise BaselineError(f"{path}:{number}: {ids[0]} is listed twice")
        entries[ids[0]] = reason.strip()
    return Baseline(entries, path)


def load(
    path: Path,
    *,
    missing_ok: bool = False,
    known_ids: Iterable[str] | None = None,
    dropped: list[str] | None = None,
) -> Baseline:
    """Read a baseline file; with ``missing_ok`` an absent file is an empty baseline;
    ``known_ids`` and ``dropped`` as for :func:`parse`."""
    try:
        with path.open("rb") as f:  # (bounded: a device such as /dev/zero never ends)
            data = f.read(MAX_BASELINE_BYTES + 1)
        if len(data) > MAX_BASELINE_BYTES:
            raise BaselineError(f"{path}: over {MAX_BASELINE_BYTES >> 20} MiB: not a baseline file")
        # (a byte order mark, as some editors write, is not part of the first id)
        text = data.decode("utf-8").removeprefix("\ufeff")
    except FileNotFoundError:
        if missing_ok:
            return Baseline({}, str(path))
        raise BaselineError(f"{path}: no such baseline file") from None
    except OSError as e:
        raise BaselineError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise BaselineError(f"{path}: not UTF-8 text (byte {e.start + 1}: {e.reason})") from None
    return parse(text, str(path), known_ids=known_ids, dropped=dropped)


def _one_line(text: str, limit: int = 80) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 3] + "..."


def reason_line(result: CaseResult) -> str:
    """The kit's own verdict on a failed case, as one stable line for a baseline entry: what
    was expected and the kind of what came, never the implementation's message text (it may
    span lines and change from one run to the next)."""
    case, got = result.case, result.got
    if got is None or got.skipped is not None:
        return _one_line(result.reason or result.verdict)
    if case.accepts:
        if got.output is None:
            return _one_line(f"rejected ({got.error_kind}) but should accept")
        return "different output"
    if got.output is not None:
        return _one_line(f"accepted but should reject ({case.error_kind})")
    if got.error_kind != case.error_kind:
        return _one_line(f"different error kind: expected {case.error_kind}, got {got.error_kind}")
    return "different error message"


def check(
    baseline: Baseline, results: Sequence[CaseResult], corpus_ids: Iterable[str]
) -> BaselineCheck:
    """Hold ``results`` against ``baseline``. ``corpus_ids`` is the whole corpus: a listed id
    that exists there but was not selected for this run is ``not_selected``, not unknown."""
    by_id = {r.case.id: r.verdict for r in results}
    everything = set(corpus_ids)
    listed = baseline.entries
    known: list[str] = []
    stale: list[str] = []
    errored: list[str] = []
    unknown: list[str] = []
    not_selected: list[str] = []
    for case_id in listed:
        verdict = by_id.get(case_id)
        if verdict == "fail":
            known.append(case_id)
        elif verdict == "pass":
            stale.append(case_id)
        elif verdict == "errored":
            errored.append(case_id)
        elif verdict is None:
            (not_selected if case_id in everything else unknown).append(case_id)
    new = [r.case.id for r in results if r.verdict == "fail" and r.case.id not in listed]
    return BaselineCheck(
        path=baseline.path,
        entries=len(listed),
        known=tuple(known),
        stale=tuple(stale),
        errored=tuple(errored),
        unknown=tuple(unknown),
        new_failures=tuple(new),
        not_selected=tuple(not_selected),
    )


def updated(baseline: Baseline, results: Sequence[CaseResult]) -> Baseline:
    """The baseline a full run observed (:func:`updated_from`)."""
    return updated_from(baseline, ((r.case.id, r.verdict, reason_line(r)) for r in results))


def updated_from(baseline: Baseline, verdicts: Iterable[tuple[str, str, str]]) -> Baseline:
    """The baseline a full run observed, from ``(case id, verdict, reason line)``: every
    failing case, keeping the reasons already written and using the run's own reason for new
    entries; listed cases that were skipped or errored stay listed (nothing was learnt about
    them), ids the corpus lost are dropped."""
    entries: dict[str, str] = {}
    for case_id, verdict, reason in verdicts:
        if verdict == "fail" or (verdict in ("skipped", "errored") and case_id in baseline.entries):
            entries[case_id] = baseline.entries.get(case_id) or reason
    return Baseline(dict(sorted(entries.items())), baseline.path)


def render(baseline: Baseline) -> str:
    lines = [_HEADER]
    for case_id, reason in baseline.entries.items():
        lines.append(f"{case_id}  # {reason}\n" if reason else f"{case_id}\n")
    return "".join(lines)


def save(baseline: Baseline, path: Path) -> None:
    write_atomic(path, render(baseline))
