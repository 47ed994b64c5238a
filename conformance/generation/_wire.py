"""Spelling values as wire text: every spelling the crate accepts.

:func:`render_event` writes an event the way any producer might (the ``payload`` alias, relaxed
timestamps, ``null`` optionals, unknown keys, key order, whitespace, escapes, alternative number
literals) and returns the event the text decodes to; :func:`render_request` and
:func:`render_value` do the same for requests and JSON values. They work on a
:class:`~conformance.generation._domain.Source`, like the domain builders. The near misses built
on these spellings live in :mod:`conformance.generation._near_misses`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Final

from noetl_events_ref import EventRequest, ExecutorEvent, Timestamp
from noetl_events_ref._json import format_f64, serde_float
from noetl_events_ref._model import EVENT_SPEC
from noetl_events_ref._timestamp import _NANOS

from ._choices import Source, boolean, choice, permutation, weighted
from ._domain import I64_MIN, U64_MAX, draw_value, hard_literal, stable_float

__all__ = [
    "EVENT_FIELDS",
    "REQUIRED_FIELDS",
    "Member",
    "Writer",
    "event_members",
    "join_members",
    "render_event",
    "render_request",
    "render_timestamp",
    "render_value",
    "request_members",
]

JsonValue = Any
_SHORT: Final = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_ESCAPE_MODES: Final = (
    (12, ("none", False)),
    (3, ("some", False)),
    (3, ("some", True)),
    (1, ("all", False)),
    (1, ("all", True)),
)
_GAPS: Final = ("", " ", "\n", "\t", "\r\n", "  ", "\n    ")


class Writer:
    """Renders one document: the source and the document's whitespace style."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.style = weighted(src, ((5, "compact"), (2, "spaced"), (1, "pretty"), (1, "random")))
        if self.style != "compact":
            src.note("whitespace")
        self.escapes = weighted(src, ((5, "none"), (4, "some"), (1, "all")))
        self._gaps = 0
        self._palette: tuple[str, ...] = ()
        if self.style == "random":  # a few gaps, cycled
            self._palette = tuple(choice(src, _GAPS) for _ in range(src.integer(1, 4)))

    def gap(self) -> str:
        if self.style == "compact":
            return ""
        if self.style == "spaced":
            return " "
        if self.style == "pretty":
            return "\n  "
        self._gaps += 1
        return self._palette[self._gaps % len(self._palette)]

    # -- strings -------------------------------------------------------------------------

    def string(self, s: str) -> str:
        """A JSON string literal holding ``s``: raw, partly or fully escaped."""
        src = self.src
        mode, upper = self.escapes, False
        if mode == "some":
            mode, upper = weighted(src, _ESCAPE_MODES)
        elif mode == "all":
            upper = boolean(src)
        stride = src.integer(2, 4) if mode == "some" else 1  # "some": every stride-th character
        out = ['"']
        for i, c in enumerate(s):
            cp = ord(c)
            escape = mode == "all" or (mode == "some" and i % stride == 0)
            if c == '"' or c == "\\":
                out.append("\\" + c)
            elif cp < 0x20:
                short = _SHORT.get(c)
                out.append(short if short and not escape else self._u(cp, upper))
            elif not escape:
                out.append(c)
            elif c == "/":
                src.note("escaped-solidus")
                out.append("\\/")
            elif cp > 0xFFFF:
                src.note("escaped-surrogate-pair")
                cp -= 0x10000
                out.append(
                    self._u(0xD800 + (cp >> 10), upper) + self._u(0xDC00 + (cp & 0x3FF), upper)
                )
            else:
                src.note("escaped-unicode")
                out.append(self._u(cp, upper))
        out.append('"')
        return "".join(out)

    @staticmethod
    def _u(cp: int, upper: bool) -> str:
        return f"\\u{cp:04X}" if upper else f"\\u{cp:04x}"

    # -- numbers -------------------------------------------------------------------------

    def float_literal(self, x: float) -> tuple[str, float]:
        """A literal for ``x`` and the float serde_json reads from it (``x``, unless the
        one-ULP hazard swapped in a literal serde_json reads off by one ULP)."""
        src = self.src
        if boolean(src, 0.08):
            for _ in range(3):
                literal = hard_literal(src)
                value = serde_float(literal)
                if stable_float(value) == value:
                    src.note("float-ulp-literal")
                    return literal, value
        canonical = format_f64(x)
        spelling = choice(src, _FLOAT_SPELLINGS)(src, x, canonical)
        if spelling != canonical and _reads_as(spelling, x):
            src.note("float-alternative-literal")
            return spelling, x
        return canonical, x

    # -- values --------------------------------------------------------------------------

    def value(self, v: JsonValue) -> tuple[str, JsonValue]:
        """Text for ``v`` and the value it decodes to."""
        if v is None:
            return "null", None
        if v is True:
            return "true", True
        if v is False:
            return "false", False
        if isinstance(v, int):
            return str(v), v
        if isinstance(v, float):
            return self.float_literal(v)
        if isinstance(v, str):
            return self.string(v), v
        if isinstance(v, list):
            items = [self.value(x) for x in v]
            inner = ("," + self.gap()).join(t for t, _ in items)
            return f"[{self.gap()}{inner}{self.gap()}]", [x for _, x in items]
        return self._object(v)

    def _object(self, obj: dict[str, JsonValue]) -> tuple[str, JsonValue]:
        src = self.src
        entries = [(k, *self.value(v)) for k, v in obj.items()]
        x = src.integer(0, 19) if entries else 1  # shuffled: x < 10; a repeated key: x % 10 == 0
        if len(entries) > 1 and x < 10:
            src.note("key-order-shuffled")
            entries = permutation(src, entries)
        members = [f"{self.string(k)}{self.gap()}:{self.gap()}{t}" for k, t, _ in entries]
        if x % 10 == 0:  # a key repeated in a nested object: the last one wins
            src.note("nested-duplicate-key")
            at = src.integer(0, len(entries) - 1)
            shadow = choice(src, ("0", '"x"', "null", "true", "1.5"))
            members.insert(at, f"{self.string(entries[at][0])}:{shadow}")
        inner = ("," + self.gap()).join(members)
        return f"{{{self.gap()}{inner}{self.gap()}}}", {k: x for k, _, x in entries}


def _reads_as(literal: str, x: float) -> bool:
    """Does serde_json read ``literal`` as exactly ``x`` (sign of zero included)?"""
    try:
        value = serde_float(literal)
    except Exception:  # an extra digit can push a literal near f64::MAX out of range
        return False
    return value == x and str(value)[0] == str(x)[0]


def _exp_upper(src: Source, x: float, canonical: str) -> str:
    return canonical.replace("e", "E")


def _exp_padded(src: Source, x: float, canonical: str) -> str:
    mant, _, exp = repr(x).partition("e")
    if not exp:
        return f"{mant}e{choice(src, ('0', '+0', '-0', '00'))}"
    sign = "-" if exp.startswith("-") else choice(src, ("", "+"))
    return f"{mant}e{sign}{'0' * src.integer(0, 3)}{exp.lstrip('+-')}"


def _python_repr(src: Source, x: float, canonical: str) -> str:
    return repr(x)


def _trailing_zeros(src: Source, x: float, canonical: str) -> str:
    mant, e, exp = canonical.partition("e")
    if "." not in mant:
        mant += "."
    return mant + "0" * src.integer(1, 4) + e + exp


def _shifted(src: Source, x: float, canonical: str) -> str:
    mant, _, exp = canonical.partition("e")
    whole, _, frac = mant.lstrip("-").partition(".")
    sign = "-" if mant.startswith("-") else ""
    digits = (whole + frac).lstrip("0") or "0"
    point = len(whole.lstrip("0")) if whole.strip("0") else -(len(frac) - len(frac.lstrip("0")))
    e = int(exp or 0) + point - len(digits)
    return f"{sign}{digits}e{e}"


def _as_integer(src: Source, x: float, canonical: str) -> str:
    if x == int(x) and not I64_MIN <= x <= U64_MAX:
        return str(int(x))  # an integer literal past u64 is a float to serde_json
    if x == 0.0:
        return choice(src, ("-0", "-0.0", "-0e0", "-0.000E+00")) if str(x)[0] == "-" else "0.0"
    return canonical


_FLOAT_SPELLINGS: Final[tuple[Callable[[Source, float, str], str], ...]] = (
    _python_repr,
    _exp_upper,
    _exp_padded,
    _trailing_zeros,
    _shifted,
    _as_integer,
)


# ---- timestamps ----------------------------------------------------------------------------

_UTC_SPELLINGS: Final = ("Z", "z", "UTC", "utc", "Utc", " Z", " UTC")
_PADDING: Final = (" ", "\u3000", "\u00a0", "\t", "\n", " \u2003")


def render_timestamp(src: Source, t: Timestamp) -> str:
    """An RFC 3339 text chrono reads as ``t``: offsets, ``t``/space, ``z``/``UTC``, fraction
    widths (digits past nine are dropped), one-digit fields, signed years, padding."""
    leap = t.nanosecond >= _NANOS
    nano = t.nanosecond - _NANOS if leap else t.nanosecond
    zone = weighted(src, ((5, "Z"), (2, "utc"), (3, "offset"), (1, "zero")))
    offset = 0
    local = t
    if zone == "offset":
        offset = (src.integer(0, 23) * 60 + src.integer(0, 59)) * 60 * choice(src, (1, -1))
        try:
            local = Timestamp.from_unix_nanos((t.unix_seconds() + offset) * _NANOS + nano)
        except ValueError:  # the local date would leave chrono's range
            zone, offset = "Z", 0
    if zone == "Z":
        suffix = "Z"
    elif zone == "utc":
        src.note("ts-utc-spelling")
        suffix = choice(src, _UTC_SPELLINGS)
    elif zone == "zero":
        src.note("ts-zero-offset")
        suffix = choice(src, ("+00:00", "-00:00", "+0000", "-0000"))
    else:
        src.note("ts-offset")
        sign = "+" if offset >= 0 else choice(src, ("-", "-", "-", "\u2212"))
        hh, mm = divmod(abs(offset) // 60, 60)
        sep = choice(src, (":", ":", "", " ", "::"))
        suffix = f"{choice(src, ('', ' '))}{sign}{hh:02d}{sep}{mm:02d}"
        if sign == "\u2212":
            src.note("ts-unicode-minus")
    year = local.year
    if 0 <= year <= 9999:
        year_text = f"{year:04d}"
        if boolean(src, 0.1):
            src.note("ts-year-signed")
            year_text = "+" + "0" * src.integer(0, 2) + year_text
        elif year < 1000 and boolean(src, 0.2):
            year_text = str(year)
    else:
        year_text = f"{year:+05d}"
        if boolean(src, 0.2):
            year_text = year_text[0] + "0" * src.integer(1, 2) + year_text[1:]
    short = boolean(src, 0.15)
    if short:
        src.note("ts-single-digit-fields")

    def two(n: int) -> str:
        return str(n) if short else f"{n:02d}"

    second = 60 if leap else local.second
    sep = weighted(src, ((6, "T"), (1, "t"), (1, " ")))
    if sep != "T":
        src.note("ts-separator")
    frac = _fraction_text(src, nano)
    text = (
        f"{year_text}-{two(local.month)}-{two(local.day)}{sep}"
        f"{two(local.hour)}:{two(local.minute)}:{two(second)}{frac}{suffix}"
    )
    if boolean(src, 0.05):
        src.note("ts-padding")
        text = choice(src, _PADDING) + text + choice(src, ("", *_PADDING))
    return text


def _fraction_text(src: Source, nano: int) -> str:
    if nano == 0:
        if boolean(src, 0.1):
            return "." + "0" * src.integer(1, 12)
        return ""
    digits = f"{nano:09d}"
    shortest = len(digits.rstrip("0"))
    kind = weighted(src, ((6, "canonical"), (2, "width"), (1, "long")))
    if kind == "canonical":
        width = 3 if nano % 1_000_000 == 0 else 6 if nano % 1000 == 0 else 9
        return "." + digits[:width]
    if kind == "width":
        src.note("ts-fraction-width")
        return "." + digits[: src.integer(shortest, 9)]
    src.note("ts-fraction-truncated")
    return "." + digits + "".join(str(src.integer(0, 9)) for _ in range(src.integer(1, 5)))


# ---- events --------------------------------------------------------------------------------

EVENT_FIELDS: Final = tuple(f.name for f in EVENT_SPEC.fields)  # the reference's own table
REQUIRED_FIELDS: Final = tuple(f.name for f in EVENT_SPEC.fields if f.default is None)  # no default
_UNKNOWN_KEYS: Final = (
    "extra",
    "Context",
    "PAYLOAD",
    "Payload",
    "contexts",
    "execution_Id",
    "",
    "kind",
    "name",
    "version",
    "_meta",
    "\u00e9v\u00e9nement",
    "event type",
)
_LAX_UNKNOWN_VALUES: Final = (
    '"\\ud800"',
    '"\\udfff\\ud800"',
    "1e400",
    "-1e999",
    "[" * 130 + "]" * 130,
)


@dataclasses.dataclass(slots=True)
class Member:
    field: str  # the field it sets ("" for an unknown key)
    key: str  # the key as written (a JSON string literal)
    value: str  # the value as written


def join_members(w: Writer, members: Sequence[Member]) -> str:
    parts = [f"{m.key}{w.gap()}:{w.gap()}{m.value}" for m in members]
    inner = (w.gap() + "," + w.gap()).join(parts)
    return f"{w.gap()}{{{w.gap()}{inner}{w.gap()}}}{w.gap()}"


def _key(w: Writer, name: str) -> str:
    text = w.string(name)
    if "\\" in text:
        w.src.note("escaped-field-name")
    return text


def event_members(w: Writer, event: ExecutorEvent) -> tuple[list[Member], ExecutorEvent]:
    src = w.src
    context_text, context = w.value(event.context)
    members = [
        Member("execution_id", _key(w, "execution_id"), str(event.execution_id)),
        Member("event_type", _key(w, "event_type"), w.string(event.event_type)),
        Member("step", _key(w, "step"), w.string(event.step)),
        Member("status", _key(w, "status"), w.string(event.status)),
        Member(
            "created_at", _key(w, "created_at"), w.string(render_timestamp(src, event.created_at))
        ),
    ]
    alias = boolean(src, 0.3)
    if alias:
        src.note("payload-alias")
    members.append(Member("context", _key(w, "payload" if alias else "context"), context_text))
    meta = event.meta
    optionals: list[tuple[str, str | None]] = [
        ("event_id", None if event.event_id is None else str(event.event_id)),
        ("worker_id", None if event.worker_id is None else w.string(event.worker_id)),
    ]
    if meta is not None:
        meta_text, meta = w.value(meta)
        optionals.append(("meta", meta_text))
    else:
        optionals.append(("meta", None))
    for name, text in optionals:
        if text is None:
            if not boolean(src, 0.3):
                continue
            src.note("optional-null")
            text = "null"
        members.append(Member(name, _key(w, name), text))
    for _ in range(src.integer(0, 2) if boolean(src, 0.3) else 0):
        src.note("unknown-key")
        if boolean(src, 0.25):
            src.note("unknown-value-unchecked")
            text = choice(src, _LAX_UNKNOWN_VALUES)
        else:
            text = w.value(draw_value(src, max_depth=3, max_leaves=4))[0]
        at = src.integer(0, len(members))
        members.insert(at, Member("", w.string(choice(src, _UNKNOWN_KEYS)), text))
    if boolean(src, 0.3):
        src.note("field-order-shuffled")
        members = permutation(src, members)
    decoded = dataclasses.replace(event, context=context, meta=meta)
    return members, decoded


def render_event(src: Source, event: ExecutorEvent) -> tuple[str, ExecutorEvent]:
    """Wire text for ``event`` and the event it decodes to (floats spelled with a one-ULP
    literal decode to the neighbouring double, which the returned event holds)."""
    w = Writer(src)
    members, decoded = event_members(w, event)
    return join_members(w, members), decoded


# ---- requests ------------------------------------------------------------------------------


def _lax_id(w: Writer, text: str) -> str:
    canonical = text.lstrip("-").isdigit() and text.isascii() and str(int(text)) == text
    if canonical and I64_MIN <= int(text) <= U64_MAX and boolean(w.src, 0.4):
        w.src.note("id-as-integer")
        return text
    return w.string(text)


def request_members(w: Writer, r: EventRequest) -> tuple[list[Member], EventRequest]:
    src = w.src
    name_alias = boolean(src, 0.2)
    context_alias = boolean(src, 0.2)
    if name_alias:
        src.note("name-alias")
    if context_alias:
        src.note("context-alias")
    payload_text, payload = w.value(r.payload)
    meta_text, meta = (None, None) if r.meta is None else w.value(r.meta)
    members = [
        Member("execution_id", _key(w, "execution_id"), _lax_id(w, r.execution_id)),
        Member("step", _key(w, "step"), w.string(r.step)),
        Member(
            "event_type", _key(w, "name" if name_alias else "event_type"), w.string(r.event_type)
        ),
    ]
    if r.payload is not None or boolean(src, 0.6):
        members.append(
            Member("payload", _key(w, "context" if context_alias else "payload"), payload_text)
        )
    fields: list[tuple[str, str | None, bool]] = [  # name, text (None: absent), omittable
        ("meta", meta_text, True),
        ("worker_id", None if r.worker_id is None else w.string(r.worker_id), True),
        ("result_kind", w.string(r.result_kind), r.result_kind == "data"),
        ("result_uri", None if r.result_uri is None else w.string(r.result_uri), True),
        (
            "event_ids",
            None if r.event_ids is None else "[" + ",".join(map(str, r.event_ids)) + "]",
            True,
        ),
        ("actionable", "true" if r.actionable else "false", r.actionable),
        ("informative", "true" if r.informative else "false", r.informative),
        ("event_id", None if r.event_id is None else _lax_id(w, r.event_id), True),
        ("status", None if r.status is None else w.string(r.status), True),
        (
            "created_at",
            None if r.created_at is None else w.string(render_timestamp(src, r.created_at)),
            True,
        ),
    ]
    for name, text, omittable in fields:
        if text is None:
            if not boolean(src, 0.3):
                continue
            src.note("optional-null")
            text = "null"
        elif omittable and name in ("result_kind", "actionable", "informative") and boolean(src):
            src.note("default-omitted")
            continue
        members.append(Member(name, _key(w, name), text))
    if boolean(src, 0.3):
        src.note("field-order-shuffled")
        members = permutation(src, members)
    return members, dataclasses.replace(r, payload=payload, meta=meta)


def render_request(src: Source, request: EventRequest) -> tuple[str, EventRequest]:
    """Wire text that the server decodes to ``request`` (aliases, integer ids, omitted
    defaults, ``null`` optionals)."""
    w = Writer(src)
    members, decoded = request_members(w, request)
    return join_members(w, members), decoded


def render_value(src: Source, value: JsonValue) -> tuple[str, JsonValue]:
    """A document holding ``value`` in any accepted spelling, and the value it decodes to."""
    w = Writer(src)
    text, decoded = w.value(value)
    return w.gap() + text + w.gap(), decoded
