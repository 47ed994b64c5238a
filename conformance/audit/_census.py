"""``check --census``: the shapes a stream of envelopes uses, and which the corpus covers.

For every line that is a JSON object: its field set (in canonical order), which optionals it
carries and which fields it writes as ``null``, its event type and status, the fraction width
and zone of ``created_at``, and the range of each id (with how many lie beyond 2^53, which a
JavaScript reader rounds). The same census of the corpus's ``decode_event`` inputs says, for
each shape the stream uses, whether some corpus case has it too.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Final

from conformance.core._text import no_json_constant, visible
from conformance.corpus._case import lone_surrogate
from noetl_events_ref._model import EVENT_SPEC

from ._report import printable

__all__ = ["Census", "census_report", "corpus_census", "failed_census", "render_census"]

# The envelope's fields in wire order, and those the crate lets a producer leave out: from the
# reference's field table, the one account of the struct.
_FIELDS: Final = tuple(f.name for f in EVENT_SPEC.fields)
_OPTIONALS: Final = tuple(f.name for f in EVENT_SPEC.fields if f.default is not None)
_IDS: Final = ("execution_id", "event_id")
_JS_SAFE: Final = 2**53 - 1
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_STAMP: Final = re.compile(r"[Tt ]\d{2}:\d{2}:\d{2}(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})$")
"""The time of a ``created_at`` in every spelling the crate reads (``T``, ``t`` or a space
before it; ``Z``, ``z``, ``+hh:mm`` or ``+hhmm`` after it): its fraction and its zone."""
# the shapes compared with the corpus, in report order
SHAPES: Final = ("field_sets", "optionals", "nulls", "event_types", "statuses", "fractions")


@dataclasses.dataclass
class Census:
    lines: int = 0
    objects: int = 0
    field_sets: Counter[str] = dataclasses.field(default_factory=Counter)
    optionals: Counter[str] = dataclasses.field(default_factory=Counter)
    nulls: Counter[str] = dataclasses.field(default_factory=Counter)
    event_types: Counter[str] = dataclasses.field(default_factory=Counter)
    statuses: Counter[str] = dataclasses.field(default_factory=Counter)
    fractions: Counter[str] = dataclasses.field(default_factory=Counter)
    ids: dict[str, list[int]] = dataclasses.field(default_factory=dict)  # [min, max, beyond]

    def add(self, line: bytes | str) -> None:
        self.lines += 1
        try:  # (UTF-8 only, as serde_json reads: json.loads would skip a byte order mark)
            text = line.decode("utf-8") if isinstance(line, bytes) else line
            value = json.loads(text, parse_constant=no_json_constant)  # (NaN and Infinity: no JSON)
        except (ValueError, RecursionError):  # (nesting deeper than Python's stack)
            return
        if not isinstance(value, dict):
            return
        if _SURROGATE_ESCAPE.search(text) and lone_surrogate(value) is not None:
            return  # (an escaped lone surrogate: serde_json refuses the line)
        self.objects += 1
        keys = [k if k != "payload" else "context" for k in value]
        self.field_sets[",".join(k for k in _FIELDS if k in keys)] += 1
        self.optionals["+".join(k for k in _OPTIONALS if value.get(k) is not None) or "-"] += 1
        for key in _FIELDS:
            if key in value and value[key] is None:
                self.nulls[key] += 1
        for key, counter in (("event_type", self.event_types), ("status", self.statuses)):
            if isinstance(value.get(key), str):
                counter[value[key]] += 1
        stamp = value.get("created_at")
        if isinstance(stamp, str):
            match = _STAMP.search(stamp)
            if match:
                zone = "Z" if match.group(2) in ("Z", "z") else "offset"
                self.fractions[f"{len(match.group(1) or '')} digits, {zone}"] += 1
        for key in _IDS:
            number = value.get(key)
            if isinstance(number, int) and not isinstance(number, bool):
                low, high, beyond = self.ids.get(key, [number, number, 0])
                unsafe = abs(number) > _JS_SAFE  # (as --hazards says unsafe_integer)
                self.ids[key] = [min(low, number), max(high, number), beyond + unsafe]


def census_report(stream: Census, corpus: Census) -> dict[str, Any]:
    """The stream's shapes, each with its count and how many corpus inputs have it."""
    shapes: dict[str, Any] = {}
    for name in SHAPES:
        mine: Counter[str] = getattr(stream, name)
        theirs: Counter[str] = getattr(corpus, name)
        shapes[name] = [
            {"shape": shape, "count": n, "in_corpus": theirs.get(shape, 0)}
            for shape, n in mine.most_common()
        ]
    return {
        "complete": True,
        "lines": stream.lines,
        "objects": stream.objects,
        "shapes": shapes,
        "ids": {
            key: {"min": low, "max": high, "beyond_2_53": beyond}
            for key, (low, high, beyond) in stream.ids.items()
        },
        "uncovered": sum(1 for v in shapes.values() for row in v if not row["in_corpus"]),
    }


def failed_census(reason: str) -> dict[str, Any]:
    """The census of a run that failed (written over a previous ``--output`` so that it does
    not look current): nothing counted, and why."""
    report = census_report(Census(), Census())
    report["complete"] = False
    return {"complete": False, "incomplete": {"reason": reason}, **report}


def corpus_census(inputs: Iterable[str]) -> Census:
    census = Census()
    for text in inputs:
        census.add(text)
    return census


_TITLES: Final = {
    "field_sets": "field sets",
    "optionals": "optionals present",
    "nulls": "fields written as null",
    "event_types": "event types",
    "statuses": "statuses",
    "fractions": "created_at fraction widths",
}


def render_census(report: Mapping[str, Any], fmt: str, title: str) -> str:
    return printable(_render_census(report, fmt, title))


def _render_census(report: Mapping[str, Any], fmt: str, title: str) -> str:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    md = fmt == "markdown"
    out = [f"# census of {visible(title)}" if md else f"census of {visible(title)}"]
    if not report["complete"]:
        out.append(f"INCOMPLETE: {visible(report['incomplete']['reason'])}")
    lines, objects, uncovered = report["lines"], report["objects"], report["uncovered"]
    out.append(
        f"{lines} line{'s' * (lines != 1)}, {objects} JSON object{'s' * (objects != 1)}; "
        f"{uncovered} shape{'s' * (uncovered != 1)} the corpus lacks (marked !)"
    )
    for name, rows in report["shapes"].items():
        out.append(f"\n## {_TITLES[name]}" if md else f"\n{_TITLES[name]}:")
        if not rows:
            out.append("- none" if md else "  (none)")
        for row in rows:
            mark = " " if row["in_corpus"] else "!"
            seen = f"corpus {row['in_corpus']:>3}"
            shape = visible(row["shape"])  # (an event type of the stream: seen, not obeyed)
            out.append(f"{'- ' if md else '  '}{mark} {row['count']:>7}  {seen}  {shape}")
    if report["ids"]:
        out.append("\n## ids" if md else "\nids:")
    for key, r in report["ids"].items():
        out.append(
            f"{'- ' if md else '  '}{key}: {r['min']} .. {r['max']}, {r['beyond_2_53']} beyond "
            "±(2^53 - 1)"
        )
    return "\n".join(out) + "\n"
