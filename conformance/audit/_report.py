"""The report of ``check``: JSON (the machine-readable one), text and Markdown views of it.

JSON, exactly::

    {"complete": bool,                  # every line of every source was read and judged
     "incomplete": {"source", "reason", "partial"},    # only when not complete
     "sources": [{"name", "kind", ...}],               # what was seen of each source
     "total": n, "valid": n, "invalid": n,
     "by_kind": {kind: n},              # invalid lines by error kind (sorted by kind)
     "by_event_type": {type: n},        # valid envelopes by event type (sorted)
     "errors": [{"line", "kind", "path", "message"}],   # the first --max-errors, in order
     "hazards": {"lines": n, "by_kind": {kind: n},      # only with --hazards
                 "items": [{"line", "kind", "path", "detail"}]}}

``line`` is the line number (from 1) when one file or stdin is checked, the row or message key
for PostgreSQL and NATS; with several sources it is ``"SOURCE:LINE"``.

A run that is not complete says why (``reason``) and which source stopped it; ``partial`` is
true when that source was read in part (its lines before the stop are in the counts), false
when it could not be read at all. The sources after it were not read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from conformance.core._text import escape_surrogates, visible

from ._check import MAX_KEPT, Finding, Hazard, Tally

__all__ = ["failed_report", "render", "report_json"]


def _where(names: Sequence[str], item: Finding | Hazard) -> int | str:
    if len(names) == 1:
        return item.line
    return f"{names[item.source]}:{item.line}"


def report_json(
    tally: Tally,
    names: Sequence[str],
    *,
    hazards: bool,
    sources: Sequence[dict[str, object]] | None = None,
) -> dict[str, Any]:
    """The report as a JSON value (``names``: the sources, in order; ``sources``: what each
    one says it saw)."""
    out: dict[str, Any] = {"complete": tally.complete}
    if tally.stopped is not None:
        index, reason, partial = tally.stopped
        out["incomplete"] = {"source": names[index], "reason": reason, "partial": partial}
    out["sources"] = list(sources) if sources is not None else [{"name": n} for n in names]
    out |= {
        "total": tally.total,
        "valid": tally.valid,
        "invalid": tally.invalid,
        "by_kind": dict(sorted(tally.by_kind.items())),
        "by_event_type": tally.by_event_type.as_dict(),
        "errors": [
            {"line": _where(names, f), "kind": f.kind, "path": f.path, "message": f.message}
            for f in tally.findings
        ],
    }
    if hazards:
        out["hazards"] = {
            "lines": tally.hazard_lines,
            "by_kind": dict(sorted(tally.hazards_by_kind.items())),
            "items": [
                {"line": _where(names, h), "kind": h.kind, "path": h.path, "detail": h.detail}
                for h in tally.hazards
            ],
        }
    return out


def failed_report(names: Sequence[str], reason: str, source: int = 0) -> dict[str, Any]:
    """The report of a run that failed before it could count anything (written over a previous
    ``--output`` so that it does not look current); ``source``: the index of the source that
    stopped it."""
    tally = Tally()
    tally.stopped = (source if source < len(names) else 0, reason, False)
    return report_json(tally, names or ["?"], hazards=False)


def _by_count(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _shown(shown: int, total: int, what: str) -> str:
    if shown >= total:
        return f"{what}:"
    if shown >= MAX_KEPT:
        return f"{what} (the first {shown:,} of {total:,}; no more are kept):"
    return f"{what} (the first {shown:,} of {total:,}; --max-errors 0 shows more):"


def _counts(counts: dict[str, int]) -> list[str]:
    """One line per name and its count, the counts in one column (names as :func:`_shown`)."""
    rows = [(_name(k), n) for k, n in _by_count(counts)]
    width = max(22, *(len(k) for k, _ in rows)) if rows else 22
    return [f"  {k:<{width}} {n:>12,}" for k, n in rows]


def _name(text: str) -> str:
    """A name from the stream (an event type) as the text report shows it: an empty one as
    ``""``, control characters escaped."""
    return visible(text) if text else '""'


def _text(report: dict[str, Any], title: str) -> str:
    # Whatever comes from the stream (event types, paths, messages quoting it) is shown with
    # its control characters escaped: a line break or a terminal escape in an event type must
    # not forge a line of the report, or reach the terminal.
    lines = [
        f"{visible(title)}: {report['total']:,} checked, {report['valid']:,} valid, "
        f"{report['invalid']:,} invalid"
    ]
    if not report["complete"]:
        lines.append(f"INCOMPLETE: {visible(report['incomplete']['reason'])}")
    if report["by_kind"]:
        lines.append("invalid by kind:")
        lines += _counts(report["by_kind"])
    if report["by_event_type"]:
        lines.append("valid by event_type:")
        lines += _counts(report["by_event_type"])
    if report["errors"]:
        lines.append(_shown(len(report["errors"]), report["invalid"], "errors"))
        lines += [
            f"  {e['line']}: {e['kind']} at {visible(e['path'])}: {visible(e['message'])}"
            for e in report["errors"]
        ]
    hazards = report.get("hazards")
    if hazards is not None:
        lines.append(f"hazards in valid lines: {hazards['lines']:,} line(s)")
        lines += _counts(hazards["by_kind"])
        total = sum(hazards["by_kind"].values())
        if hazards["items"]:
            lines.append(_shown(len(hazards["items"]), total, "hazards"))
            lines += [
                f"  {h['line']}: {h['kind']} at {visible(h['path'])}: {visible(h['detail'])}"
                for h in hazards["items"]
            ]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    text = visible(str(value)).replace("|", "\\|")
    return f"`{text}`" if text and "`" not in text else text


_EMPTY_CELL: Final = '`""`'
"""An empty name from the stream (an event type), as the text report shows it."""


def _markdown(report: dict[str, Any], title: str) -> str:
    out = [f"## {visible(title)}", ""]
    if not report["complete"]:
        out += [f"**Incomplete:** {_cell(report['incomplete']['reason'])}", ""]
    out += [
        "| checked | valid | invalid |",
        "|---:|---:|---:|",
        f"| {report['total']:,} | {report['valid']:,} | {report['invalid']:,} |",
    ]
    for heading, counts in (
        ("Invalid by kind", report["by_kind"]),
        ("Valid by event type", report["by_event_type"]),
    ):
        if counts:
            out += ["", f"### {heading}", "", "| | count |", "|---|---:|"]
            out += [f"| {_cell(k) or _EMPTY_CELL} | {n:,} |" for k, n in _by_count(counts)]
    if report["errors"]:
        out += ["", f"### {_shown(len(report['errors']), report['invalid'], 'Errors')[:-1]}", ""]
        out += ["| line | kind | path | message |", "|---|---|---|---|"]
        out += [
            f"| {_cell(e['line'])} | {e['kind']} | {_cell(e['path'])} | {_cell(e['message'])} |"
            for e in report["errors"]
        ]
    hazards = report.get("hazards")
    if hazards is not None:
        out += ["", f"### Hazards in valid lines ({hazards['lines']:,} line(s))", ""]
        if hazards["by_kind"]:
            out += ["| kind | count |", "|---|---:|"]
            out += [f"| {k} | {n:,} |" for k, n in _by_count(hazards["by_kind"])]
        if hazards["items"]:
            total = sum(hazards["by_kind"].values())
            if len(hazards["items"]) < total:  # (as the errors' heading says it)
                out += ["", _shown(len(hazards["items"]), total, "Listed")]
            out += ["", "| line | kind | path | detail |", "|---|---|---|---|"]
            out += [
                f"| {_cell(h['line'])} | {h['kind']} | {_cell(h['path'])} | {_cell(h['detail'])} |"
                for h in hazards["items"]
            ]
    return "\n".join(out) + "\n"


_flat = json.JSONEncoder(ensure_ascii=False).encode
"""One value on one line, as ``json.dumps(value, ensure_ascii=False)`` writes it."""


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _dump(value: Any, indent: str, parts: list[str]) -> None:
    """JSON for ``value`` into ``parts``: objects one member a line, a list of objects (the
    errors, the hazards) one object a line, written by the C encoder (a report listing
    100,000 errors stays a few bytes per character, not a tree of small strings). An object
    of scalars (the counts by event type: up to 10,000 members) is one call of the C encoder,
    its member separator carrying the line break and indent (a string's line breaks are
    escaped, so none is in the text but those)."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        if all(map(_scalar, value.values())):
            text = json.dumps(value, ensure_ascii=False, separators=(",\n" + inner, ": "))
            parts.append(f"{{\n{inner}{text[1:-1]}\n{indent}}}")
            return
        parts.append("{")
        for n, (key, item) in enumerate(value.items()):
            parts.append(f"{',' if n else ''}\n{inner}{_flat(key)}: ")
            _dump(item, inner, parts)
        parts.append(f"\n{indent}}}")
    elif isinstance(value, list) and value:
        compact = all(isinstance(item, dict) for item in value)
        parts.append("[")
        for n, item in enumerate(value):
            parts.append(f"{',' if n else ''}\n{inner}")
            if compact:
                parts.append(_flat(item))
            else:
                _dump(item, inner, parts)
        parts.append(f"\n{indent}]")
    else:
        parts.append(_flat(value))


def render(report: dict[str, Any], fmt: str, title: str) -> str:
    """The report as ``fmt`` (``text``, ``json`` or ``markdown``): UTF-8 text whatever it
    holds (see :func:`printable`)."""
    if fmt == "json":
        parts: list[str] = []
        _dump(report, "", parts)
        parts.append("\n")
        text = "".join(parts)
    elif fmt == "markdown":
        text = _markdown(report, title)
    else:
        text = _text(report, title)
    return printable(text)


def printable(text: str) -> str:
    """``text`` with each lone surrogate (a byte of a file name that is not UTF-8, as Python
    reads names) as its ``\\uXXXX`` escape, as ``verify`` writes its reports: the output is
    UTF-8, and in a JSON string the escape means the same name."""
    return text if text.isascii() else escape_surrogates(text)
