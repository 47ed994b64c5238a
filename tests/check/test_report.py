"""The JSON view of ``check``'s report: its layout, byte for byte, whatever the keys hold."""

from __future__ import annotations

import json
from typing import Any

from conformance.audit._report import render

HOSTILE = ["a\nb", 'q"', "back\\slash", "\u2028", "\x00", "é🇫", "", "x" * 3]


def report() -> dict[str, object]:
    return {
        "complete": True,
        "sources": [{"name": "in\n.jsonl", "kind": "file"}],
        "total": 3,
        "valid": 2,
        "invalid": 1,
        "by_kind": {},
        "by_event_type": {key: n for n, key in enumerate(HOSTILE, 1)},
        "errors": [{"line": 3, "kind": "syntax", "path": "$", "message": "EOF é"}],
        "hazards": {"lines": 0, "by_kind": {"float": 1}, "items": []},
    }


def test_json_layout_is_one_member_a_line() -> None:
    expected = (
        "{\n"
        '  "complete": true,\n'
        '  "sources": [\n'
        '    {"name": "in\\n.jsonl", "kind": "file"}\n'
        "  ],\n"
        '  "total": 3,\n'
        '  "valid": 2,\n'
        '  "invalid": 1,\n'
        '  "by_kind": {},\n'
        '  "by_event_type": {\n'
        '    "a\\nb": 1,\n'
        '    "q\\"": 2,\n'
        '    "back\\\\slash": 3,\n'
        '    "\u2028": 4,\n'
        '    "\\u0000": 5,\n'
        '    "é🇫": 6,\n'
        '    "": 7,\n'
        '    "xxx": 8\n'
        "  },\n"
        '  "errors": [\n'
        '    {"line": 3, "kind": "syntax", "path": "$", "message": "EOF é"}\n'
        "  ],\n"
        '  "hazards": {\n'
        '    "lines": 0,\n'
        '    "by_kind": {\n'
        '      "float": 1\n'
        "    },\n"
        '    "items": []\n'
        "  }\n"
        "}\n"
    )
    text = render(report(), "json", "check")
    assert text == expected
    assert json.loads(text) == report()


def test_text_and_markdown_show_what_the_stream_holds_without_obeying_it() -> None:
    """An event type or a key holding a line break forged a line of the text report, and a
    terminal escape reached the terminal; an empty event type was a blank row."""
    shown = render(report(), "text", "t")
    lines = shown.splitlines()
    assert not any(line.startswith(("b", "\u2028")) for line in lines)
    assert "\x00" not in shown and "\u2028" not in shown
    rows = lines[lines.index("valid by event_type:") + 1 : lines.index("errors:")]
    names = [row.split()[0] for row in rows]
    assert names == ["xxx", '""', "é🇫", "\\u0000", "\\u2028", "back\\slash", 'q"', "a\\nb"]
    assert len({len(row) - len(row.lstrip()) for row in rows}) == 1  # one column
    assert len({len(row) for row in rows if row.isascii()}) == 1
    escaped = {**report(), "by_event_type": {"x" * 40 + "\x1b[31m": 1, "y": 2}}
    rows = render(escaped, "text", "t").splitlines()[2:4]
    assert rows[1].endswith(" 1") and "\x1b" not in rows[1] and "\\u001b[31m" in rows[1]
    assert rows[0].index(" 2") == rows[1].index(" 1")  # the counts stay in their column
    markdown = render(report(), "markdown", "t")
    assert "\x00" not in markdown and "\u2028" not in markdown
    assert "| `a\\nb` | 1 |" in markdown


def test_markdown_says_when_its_hazard_list_is_cut_and_shows_an_empty_event_type() -> None:
    """The Markdown report listed 100 of 4,305 hazards with no word of the others (the text
    report and the Markdown errors say it), and showed an empty event type as an empty cell."""
    items = [
        {"line": k, "kind": "unsafe_integer", "path": "$.event_id", "detail": "d"} for k in (1, 2)
    ]
    base: dict[str, Any] = {"complete": True, "total": 5, "valid": 5, "invalid": 0}
    base |= {"by_kind": {}, "by_event_type": {"": 4, "x": 1}, "errors": []}
    cut = render(
        {**base, "hazards": {"lines": 5, "by_kind": {"unsafe_integer": 5}, "items": items}},
        "markdown",
        "t",
    )
    assert "Listed (the first 2 of 5; --max-errors 0 shows more):" in cut
    assert '| `""` | 4 |' in cut
    whole = render(
        {**base, "hazards": {"lines": 2, "by_kind": {"unsafe_integer": 2}, "items": items}},
        "markdown",
        "t",
    )
    assert "Listed" not in whole
