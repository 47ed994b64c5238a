"""Reports for people: the terminal text (rich, coloured on a TTY only) and the CI job summary
(markdown). Both are rendered from the json report, and both show a failing case as expected vs
got with the first differing byte marked, since most wire bugs are one character wide (``1e-05``
for ``0.00001``, an escaped ``\\u2028``, a missing ``Z``).
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

from conformance.core._diff import json_difference
from conformance.core._text import visible

__all__ = [
    "STALE",
    "difference",
    "expect_text",
    "markdown_cell",
    "one_line",
    "to_markdown",
    "to_text",
]

MAX_LISTED: Final = 50
MAX_TRACEBACK: Final = 30  # lines of a callable's traceback shown under its case
STALE: Final = "the case passes, but the baseline lists it: remove its entry (--update-baseline)"
_WINDOW: Final = 72


def expect_text(answer: Mapping[str, Any]) -> str:
    """One answer (or expectation) as a line of text: the output itself, or the error."""
    if "output" in answer:
        return str(answer["output"])
    if "skipped" in answer:
        return f"skipped: {answer['skipped']['reason']}"
    error = answer["error"]
    message = error.get("message")
    return f"error {error['kind']}" + (f": {message}" if message is not None else "")


def _visible(ch: str) -> str:
    """A character as shown in a report: an invisible or line-breaking one (a newline, U+2028,
    U+0085, a lone surrogate) as ``<U+XXXX>``, so that the caret lines up and it is seen rather
    than obeyed; everything else as it is, so a JSON escape such as ``\\u00fc`` reads as
    written."""
    if ch.isprintable() and ch != "\u00a0":
        return ch
    return f"<U+{ord(ch):04X}>"


def _cells(text: str) -> int:
    """Terminal columns: wide (CJK) characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def difference(expected: str, got: str) -> tuple[str, str, str, int]:
    """``(expected, got, caret, byte)``: both texts shown in a window around their first
    difference, a caret line under it, and its offset in bytes (UTF-8) from the start."""
    index = next(
        (i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
        min(len(expected), len(got)),
    )
    byte = len(expected[:index].encode("utf-8", "surrogatepass"))
    start = max(0, index - _WINDOW // 3)
    lead = "…" if start else ""

    def window(text: str) -> str:
        shown = lead + "".join(_visible(ch) for ch in text[start : start + _WINDOW])
        return shown + ("…" if len(text) > start + _WINDOW else "")

    offset = _cells(lead + "".join(_visible(ch) for ch in expected[start:index]))
    return window(expected), window(got), " " * offset + "^", byte


def _failing(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Cases worth a reader's eye, the most serious first (the list is cut at
    :data:`MAX_LISTED`): the case the whole run errored on, if any (its reason, the run's, is
    said once, below), then cases that errored, then unexpected failures, then stale and
    known failures."""
    cases = report["cases"]
    run_error = report["run"]["error"]
    errored = [c for c in cases if c["verdict"] == "errored" and c["reason"] != run_error]
    errored[:0] = [
        {**c, "reason": "the implementation errored on this case (below)"}
        for c in cases
        if c["verdict"] == "errored" and run_error and c["reason"] == run_error
    ]
    new = [c for c in cases if c["verdict"] == "fail" and not c["baselined"]]
    stale = [c for c in cases if c["verdict"] == "pass" and c["baselined"]]
    known = [c for c in cases if c["verdict"] == "fail" and c["baselined"]]
    return errored + new + stale + known


def _label(case: Mapping[str, Any]) -> str:
    if case["verdict"] == "pass":
        return "STALE"
    if case["verdict"] == "errored":
        return "ERROR"
    return "KNOWN" if case["baselined"] else "FAIL"


def _reason(case: Mapping[str, Any]) -> str:
    """The line after a listed case's id: why it is listed (an implementation's own words,
    control characters escaped: seen, not obeyed)."""
    return STALE if case["verdict"] == "pass" else visible(case["reason"] or "")


def _detail_lines(case: Mapping[str, Any]) -> list[str]:
    if case["verdict"] == "pass":
        return []  # (a stale entry: its reason says it all, there is no difference)
    if case["verdict"] == "errored":  # its reason is the error; a callable's traceback below
        return _traceback_lines(case.get("traceback") or "")
    expected, got = expect_text(case["expected"]), expect_text(case["got"] or {"output": ""})
    exp, act, caret, byte = difference(expected, got)
    return [
        f"expected  {exp}",
        f"got       {act}",
        f"          {caret} first difference at byte offset {byte}",
        *_json_paths(expected, got),
    ]


def _traceback_lines(traceback: str) -> list[str]:
    """A callable's traceback, its last :data:`MAX_TRACEBACK` lines (where it raised), their
    control characters escaped."""
    if not traceback.strip():  # (an adapter's errored case: its reason says it all)
        return []
    lines = [visible(line.removesuffix("\r")) for line in traceback.rstrip().split("\n")]
    if len(lines) <= MAX_TRACEBACK:
        return lines
    cut = len(lines) - MAX_TRACEBACK
    return [
        f"... {cut} lines of the traceback left out (see --format json)",
        *lines[-MAX_TRACEBACK:],
    ]


def _json_paths(expected: str, got: str) -> list[str]:
    """The JSON paths that differ, when deepdiff (the ``diff`` or ``pytest`` extra) is there to
    find them; without it the texts above say where they part."""
    try:  # (values of the implementation's: seen, not obeyed)
        return [visible(line) for line in json_difference(expected, got, "expected -> got")]
    except ModuleNotFoundError as e:
        if e.name != "deepdiff":
            raise
        return []


def _who(report: Mapping[str, Any]) -> str:
    impl = report["implementation"]
    who = " ".join(str(impl[k]) for k in ("name", "version") if k in impl) or "implementation"
    how = ", ".join(str(impl[k]) for k in ("language", "driver") if k in impl)
    return visible(who + (f" ({how})" if how else ""))  # (the adapter's words: seen, not obeyed)


def _corpus_line(report: Mapping[str, Any]) -> str:
    corpus = report["corpus"]
    return (
        f"corpus {corpus['version']} (sha256 {corpus['sha256'][:12]}), {corpus['cases']} cases, "
        f"level {report['run']['level']}"
    )


def _summary_line(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    return (
        f"{report['status'].upper()}: {s['passed']} passed, {s['failed']} failed, "
        f"{s['skipped']} skipped, {s['errored']} errored of {s['total']} "
        f"in {report['run']['seconds']:.2f} s"
    )


def _baseline_lines(baseline: Mapping[str, Any] | None) -> list[str]:
    if baseline is None:
        return []
    entries = baseline["entries"]
    lines = [
        f"baseline {baseline['file']}: {entries} entr{'y' if entries == 1 else 'ies'}, "
        f"{len(baseline['known_failures'])} still failing"
    ]
    for key, one, many in (
        (
            "new_failures",
            "unexpected failure (not in the baseline)",
            "unexpected failures (not in the baseline)",
        ),
        ("stale", "stale entry (this case passes now)", "stale entries (these cases pass now)"),
        ("errored", "listed case that errored", "listed cases that errored"),
        ("unknown", "id the corpus does not have", "ids the corpus does not have"),
    ):
        if baseline[key]:
            what = one if len(baseline[key]) == 1 else many
            lines.append(
                f"  {len(baseline[key])} {what}: {visible(', '.join(baseline[key][:10]))}"
                + (" …" if len(baseline[key]) > 10 else "")
            )
    return lines


def _run_lines(run: Mapping[str, Any]) -> list[str]:
    lines = [f"note: {visible(note)}" for note in run["notes"]]
    if run["error"]:
        lines.append(f"the implementation errored: {visible(run['error'])}")
    if run["stderr_tail"].strip():  # its lines as written, their control characters escaped
        lines.append("stderr (tail):")
        tail = run["stderr_tail"].rstrip().split("\n")[-30:]
        lines.extend("  " + visible(line.removesuffix("\r")) for line in tail)
    return lines


def to_text(report: Mapping[str, Any], *, color: bool = False, width: int = 100) -> str:
    """The terminal report: a headline, tables per op, level and tag, the failing cases, the
    run's troubles and the baseline, then one summary line. Without rich (the ``rich``
    extra) the same text, uncoloured."""
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ModuleNotFoundError:
        return _plain_text(report)

    out = io.StringIO()
    console = Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        emoji=False,
    )
    console.print(Text(f"noetl-events conformance: {_who(report)}", style="bold"))
    console.print(Text(_corpus_line(report)))
    for key, title in (("by_op", "op"), ("by_level", "level"), ("by_tag", "tag")):
        table = Table(title=None, box=None, pad_edge=False, show_edge=False)
        table.add_column(title, style="bold")
        for column, style in (
            ("total", ""),
            ("passed", "green"),
            ("failed", "red"),
            ("skipped", "yellow"),
            ("errored", "magenta"),
        ):
            table.add_column(column, justify="right", style=style)
        for name, counts in report["summary"][key].items():
            table.add_row(
                name, *(str(counts[c]) for c in ("total", "passed", "failed", "skipped", "errored"))
            )
        console.print()
        console.print(table)
    failing = _failing(report)
    for case in failing[:MAX_LISTED]:
        label = _label(case)
        console.print()
        line = Text(f"{label:<5} ", style="bold " + ("yellow" if label == "KNOWN" else "red"))
        line.append(f"{case['op']} {case['id']} [{case['level']}]: {_reason(case)}")
        console.print(line, soft_wrap=True)
        for detail in _detail_lines(case):
            console.print(Text("      " + detail), soft_wrap=True)
    if len(failing) > MAX_LISTED:
        console.print(f"... and {len(failing) - MAX_LISTED} more (see --format json)")
    extra = _run_lines(report["run"]) + _baseline_lines(report["baseline"])
    if extra:
        console.print()
        for line_text in extra:
            console.print(Text(line_text), soft_wrap=True)
    console.print()
    style = {"passed": "bold green", "failed": "bold red"}.get(report["status"], "bold magenta")
    console.print(Text(_summary_line(report), style=style))
    return out.getvalue()


_COLUMNS: Final = ("total", "passed", "failed", "skipped", "errored")


def _plain_text(report: Mapping[str, Any]) -> str:
    """:func:`to_text` without rich: the same content, plain columns, no colour."""
    lines = [f"noetl-events conformance: {_who(report)}", _corpus_line(report)]
    for key, title in (("by_op", "op"), ("by_level", "level"), ("by_tag", "tag")):
        rows = [[title, *_COLUMNS]] + [
            [name, *(str(counts[c]) for c in _COLUMNS)]
            for name, counts in report["summary"][key].items()
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) + 1)]
        lines.append("")
        for row in rows:
            cells = [row[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
            lines.append("  ".join(cells).rstrip())
    failing = _failing(report)
    for case in failing[:MAX_LISTED]:
        lines += [
            "",
            f"{_label(case):<5} {case['op']} {case['id']} [{case['level']}]: {_reason(case)}",
        ]
        lines += ["      " + detail for detail in _detail_lines(case)]
    if len(failing) > MAX_LISTED:
        lines.append(f"... and {len(failing) - MAX_LISTED} more (see --format json)")
    extra = _run_lines(report["run"]) + _baseline_lines(report["baseline"])
    if extra:
        lines += ["", *extra]
    lines += ["", _summary_line(report)]
    return "\n".join(lines) + "\n"


def markdown_cell(text: str) -> str:
    """``text`` in a markdown table cell: one line, its control characters escaped (as
    :func:`visible` shows them), its pipes and backslashes escaped."""
    return visible(one_line(text)).replace("\\", "\\\\").replace("|", "\\|")


_BREAKS: Final = re.compile(r"\r\n?|[\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` on one line (every kind of line break a space): a reason must not start a
    heading or a new block in markdown."""
    return _BREAKS.sub(" ", text)


def _fence(text: str) -> str:
    """A code block no backtick run inside ``text`` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def to_markdown(report: Mapping[str, Any]) -> str:
    """A CI job summary: verdict headline, a table per op with a total row, failing cases."""
    s = report["summary"]
    mark = {"passed": "✅", "failed": "❌"}.get(report["status"], "⚠️")
    lines = [f"## {mark} noetl-events conformance: {s['passed']}/{s['total']} passed", ""]
    lines += [f"{_who(report)} · {_corpus_line(report)}", ""]
    lines += [
        "| op | total | passed | failed | skipped | errored |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    columns = ("total", "passed", "failed", "skipped", "errored")
    for name, counts in s["by_op"].items():
        lines.append(f"| `{name}` | " + " | ".join(str(counts[c]) for c in columns) + " |")
    lines.append("| **all** | " + " | ".join(f"**{s[c]}**" for c in columns) + " |")
    failing = _failing(report)
    if failing:
        lines += ["", f"### Failing cases ({len(failing)})", ""]
    for case in failing[:MAX_LISTED]:
        summary = (
            f"{_label(case)} <code>{html.escape(case['id'])}</code> ({case['op']}, {case['level']})"
        )
        reason = html.escape(one_line(_reason(case)))
        details = _detail_lines(case)
        if not details:  # (an empty block to unfold says nothing)
            lines += ["", f"{summary}: {reason}", ""]
            continue
        lines += [
            f"<details><summary>{summary}: {reason}</summary>",
            "",
            _fence("\n".join(details)),
            "",
            "</details>",
        ]
    if len(failing) > MAX_LISTED:
        lines.append(f"\n… and {len(failing) - MAX_LISTED} more (see the json report)")
    extra = _run_lines(report["run"]) + _baseline_lines(report["baseline"])
    if extra:
        lines += ["", "### Run", "", _fence("\n".join(extra))]
    lines += ["", f"**{_summary_line(report)}**"]
    return "\n".join(lines) + "\n"
