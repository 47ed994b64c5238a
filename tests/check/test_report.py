"""The JSON view of ``check``'s report: its layout, byte for byte, whatever the keys hold."""

from __future__ import annotations

import json

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
