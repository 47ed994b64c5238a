"""Structural diffs of JSON texts: which JSON paths differ, and where the texts first differ.

Texts are parsed the way serde_json parses them (``noetl_events_ref``'s exact parser), so two
spellings of one value compare equal and a float compares as serde reads it. deepdiff finds
the differing paths; they are reported as JSON paths (``$.context.items[2]``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from typing import Any

from conformance.core._text import escape_surrogates, visible
from noetl_events_ref._codec import to_bytes
from noetl_events_ref._json import JsonValue, SerdeError, encode_value, key_step, parse_value

__all__ = [
    "Change",
    "escape_surrogates",
    "explain_difference",
    "first_difference",
    "json_changes",
    "json_difference",
    "mark_first_difference",
    "parse_or_none",
    "serde_text",
    "to_json_path",
    "visible",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """One difference: at ``path``, ``kind`` (changed, added, removed, type) with both sides."""

    path: str
    kind: str
    left: Any = None
    right: Any = None

    def describe(self) -> str:
        if self.kind == "added":
            return f"{self.path}: only on the right: {_short(self.right)}"
        if self.kind == "removed":
            return f"{self.path}: only on the left: {_short(self.left)}"
        left, right = _around_difference(serde_text(self.left), serde_text(self.right))
        return f"{self.path}: {left} != {right}"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "left": self.left, "right": self.right}


def serde_text(value: Any) -> str:
    """``value`` spelt as serde_json writes it (``0.00001``, not Python's ``1e-05``)."""
    try:
        return encode_value(value)
    except (TypeError, ValueError):  # not a JSON value serde_json holds: show it as JSON
        return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _short(value: Any, limit: int = 80) -> str:
    text = serde_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _around_difference(left: str, right: str, limit: int = 80) -> tuple[str, str]:
    """Two texts cut to ``limit`` characters, from the same place: their start, or (when
    they differ further on) around their first difference, so that it is always shown."""
    if len(left) <= limit and len(right) <= limit:
        return left, right
    i = first_difference(left, right) or 0
    start = 0 if i < limit - 1 else i - limit // 2
    width = limit - 1 - (1 if start else 0)

    def cut(text: str) -> str:
        piece = ("…" if start else "") + text[start : start + width]
        return piece + ("…" if start + width < len(text) else "")

    return cut(left), cut(right)


def to_json_path(steps: Sequence[str | int]) -> str:
    """``["a", 0, "b c"]`` (object keys and array indices) → ``$.a[0]["b c"]``."""
    out = ["$"]
    for step in steps:
        # (spelled as check's hazards and findings spell a path: `.é`, `["a b"]`)
        out.append(key_step(step) if isinstance(step, str) else f"[{step}]")
    return "".join(out)


def parse_or_none(text: str | bytes) -> tuple[JsonValue, str | None]:
    """The value serde_json reads from ``text``, or ``(None, error message)``."""
    try:
        return parse_value(to_bytes(text)), None
    except SerdeError as e:
        return None, e.message


def _typed(value: JsonValue) -> Any:
    """Make types explicit so deepdiff tells 1 from 1.0 and true from 1, as serde does."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, float):
        return ("float", value)
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


def _untyped(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and value[0] in ("bool", "float"):
        return value[1]
    if isinstance(value, dict):
        return {k: _untyped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untyped(v) for v in value]
    return value


def json_changes(left: JsonValue, right: JsonValue) -> list[Change]:
    """The structural differences between two JSON values, in path order (objects are
    compared key by key however few keys they share)."""
    from deepdiff import DeepDiff  # the `diff` extra: only structural differences need it
    from deepdiff.helper import NotPresent

    diff = DeepDiff(
        _typed(left),
        _typed(right),
        view="tree",
        ignore_order=False,
        threshold_to_diff_deeper=0,
        ignore_private_variables=False,  # a key "__x" is data like any other
    )
    merged: dict[str, Change] = {}
    for kind, key in (
        ("changed", "values_changed"),
        ("type", "type_changes"),
        ("added", "dictionary_item_added"),
        ("removed", "dictionary_item_removed"),
        ("added", "iterable_item_added"),
        ("removed", "iterable_item_removed"),
    ):
        for level in diff.get(key, ()):
            # A typed scalar's tag or value changed (see _typed): the change is the scalar's.
            if level.up is not None and (
                isinstance(level.up.t1, tuple) or isinstance(level.up.t2, tuple)
            ):
                level = level.up
            a = None if isinstance(level.t1, NotPresent) else _untyped(level.t1)
            b = None if isinstance(level.t2, NotPresent) else _untyped(level.t2)
            path = to_json_path(level.path(output_format="list"))
            merged.setdefault(path, Change(path, kind, a, b))  # (a tag and its value: once)
    return sorted(merged.values(), key=lambda c: _path_order(c.path))


def _path_order(path: str) -> list[tuple[int, int | str]]:
    """A JSON path's sort key: its indices as numbers (``[2]`` before ``[10]``)."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", path) if p]


def first_difference(a: str, b: str) -> int | None:
    """Index of the first differing character, or None when the texts are equal."""
    if a == b:
        return None
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def mark_first_difference(expected: str, got: str, *, width: int = 72) -> str:
    """The two texts around their first difference, with a caret under it."""
    i = first_difference(expected, got)
    if i is None:
        return "texts are identical"
    start = max(0, i - width // 2)
    prefix = "…" if start else ""

    def window(text: str) -> str:
        return prefix + visible(text[start : start + width])

    lead = len(prefix) + len(visible(expected[start:i]))
    return (
        f"expected: {window(expected)}\n"
        f"     got: {window(got)}\n"
        f"          {' ' * lead}^ first difference at character {i}"
    )


def json_difference(left: str, right: str, sides: str) -> list[str]:
    """Lines naming the JSON paths that differ between two texts (``sides`` names the two, as
    in ``"expected -> got"``), or saying they hold the same value; none unless both are JSON."""
    a, a_err = parse_or_none(left)
    b, b_err = parse_or_none(right)
    if a_err is not None or b_err is not None:
        return []
    changes = json_changes(a, b)
    if not changes:
        return ["same JSON value, different text"]
    return [f"JSON paths that differ ({sides}):", *(f"  {c.describe()}" for c in changes)]


def explain_difference(left: str, right: str, sides: str) -> list[str]:
    """Lines telling how two texts differ: :func:`json_difference`, then the texts around
    their first difference."""
    return [*json_difference(left, right, sides), mark_first_difference(left, right)]
