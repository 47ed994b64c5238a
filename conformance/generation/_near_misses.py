"""Near misses: wire text with exactly one rule broken, labelled with the crate's error kind.

Each rule of :data:`INVALID_RULES` takes a valid envelope's members (as
:func:`conformance.generation._wire.event_members` spells them) and breaks one thing; the kind
is the one the crate gives (wire contract, section 6). Requests and bare JSON values have
smaller tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Final

from noetl_events_ref import EventRequest, ExecutorEvent

from ._choices import Source, boolean, choice, permutation
from ._domain import I64_MAX, U64_MAX, VALUE_DEPTH
from ._wire import (
    EVENT_FIELDS,
    REQUIRED_FIELDS,
    Member,
    Writer,
    event_members,
    join_members,
    request_members,
)

__all__ = [
    "INVALID_RULES",
    "render_invalid_event",
    "render_invalid_request",
    "render_invalid_value",
]

_Mutation = Callable[[Writer, list[Member], ExecutorEvent], "str | None"]
_Make = Callable[[Writer, Member], str]  # a member's new value, drawn after it was picked

_WRONG_TYPES: Final = {
    "execution_id": (
        '"1"',
        "1.5",
        "true",
        "null",
        "[]",
        "{}",
        "-0",
        "1e2",
        "-9223372036854775809",
        "18446744073709551616",
    ),
    "event_type": ("1", "true", "null", "[]", "{}", "1.5"),
    "step": ("0", "false", "null", '["s"]', '{"s":1}'),
    "status": ("-1", "true", "null", "[]", "{}"),
    "created_at": ("0", "null", "[]", "{}", "true", "1.5e9"),
    "event_id": ('"1"', "1.5", "true", "[]", "{}", "-0"),
    "worker_id": ("7", "true", "[]", "{}"),
}
_BAD_TIMESTAMPS: Final = (
    "2026-05-31T03:14:15",
    "2026-05-31T03:14:15+05",
    "2026-05-31T03:14:15+05:30:00",
    "2026-05-31T03:14:15GMT",
    "2026-05-31T03:14Z",
    "2026-05-31T03:14:15.Z",
    "2026-05-31T03:14:15,5Z",
    "2026-05-31T03:14:15+24:00",
    "2026-02-30T03:14:15Z",
    "2026-05-31T24:00:00Z",
    "2026-05-31T03:60:00Z",
    "12026-05-31T03:14:15Z",
    "+262143-01-01T00:00:00Z",
    "-262144-12-31T23:59:59Z",
    "2026-13-01T00:00:00Z",
    "2026-05-00T00:00:00Z",
    "2026-05-31X03:14:15Z",
    "2026-05-31",
    "",
    "now",
    "2026-05-31T03:14:15+05:60",
)
_BAD_STRINGS: Final = (
    '"\\ud800"',
    '"\\udc00"',
    '"a\\ud83db"',
    '"\\ud800\\u0041"',
    '"\\x41"',
    '"\\u12G4"',
    '"\\\'"',
    '"a\x01b"',
    '"line\nbreak"',
    '"\x1f"',
)
_BAD_LITERALS: Final = (
    "NaN",
    "Infinity",
    "-Infinity",
    "01",
    ".5",
    "1.",
    "+1",
    "tru",
    "'a'",
    "0x10",
    "1e",
    "--1",
    "[1,]",
    '{"a":1,}',
    "[1 2]",
    '{"a" 1}',
    "undefined",
)
_TRAILERS: Final = ("x", "}", "{}", ",", "0", "[]", '"x"', "null")


def _pick(src: Source, members: list[Member], names: Sequence[str]) -> int | None:
    found = [i for i, m in enumerate(members) if m.field in names]
    return choice(src, found) if found else None


def _replace_value(names: Sequence[str], make: _Make) -> _Mutation:
    """Give one member among ``names`` the value ``make`` draws for it (no such member: no
    mutation)."""

    def mutate(w: Writer, members: list[Member], e: ExecutorEvent) -> str | None:
        i = _pick(w.src, members, names)
        if i is None:
            return None
        members[i] = dataclasses.replace(members[i], value=make(w, members[i]))
        return join_members(w, members)

    return mutate


def _one_of(table: Sequence[str]) -> _Make:
    """A value from ``table``, written as is."""

    def make(w: Writer, m: Member) -> str:
        return choice(w.src, table)

    return make


def _missing(w: Writer, members: list[Member], e: ExecutorEvent) -> str | None:
    i = _pick(w.src, members, REQUIRED_FIELDS)
    if i is None:
        return None
    del members[i]
    return join_members(w, members)


def _misspelled(w: Writer, members: list[Member], e: ExecutorEvent) -> str | None:
    i = _pick(w.src, members, REQUIRED_FIELDS)
    if i is None:
        return None
    name = members[i].field
    variant = choice(w.src, (name.upper(), name.capitalize(), name + "_", name.replace("_", "-")))
    if variant == name:  # `step` has no `_`
        variant = name + "s"
    members[i] = dataclasses.replace(members[i], key=w.string(variant))
    return join_members(w, members)


def _duplicate(w: Writer, members: list[Member], e: ExecutorEvent) -> str | None:
    src = w.src
    kind = choice(src, ("copy", "alias", "null-optional"))
    if kind == "alias":
        i = _pick(src, members, ("context",))
        if i is None:
            return None
        other = Member("context", w.string(choice(src, ("context", "payload"))), "null")
        members.insert(src.integer(0, len(members)), other)
    elif kind == "null-optional":
        name = choice(src, ("event_id", "worker_id", "meta"))
        if any(m.field == name for m in members):
            return None
        first = src.integer(0, len(members))
        members.insert(first, Member(name, w.string(name), "null"))
        members.insert(src.integer(first + 1, len(members)), Member(name, w.string(name), "null"))
    else:
        i = _pick(src, members, EVENT_FIELDS)
        if i is None:
            return None
        members.insert(src.integer(i + 1, len(members)), members[i])
    return join_members(w, members)


def _wrong_type_value(w: Writer, m: Member) -> str:
    return choice(w.src, _WRONG_TYPES[m.field])


def _above_i64_value(w: Writer, m: Member) -> str:
    return str(w.src.integer(I64_MAX + 1, U64_MAX))


def _not_object(w: Writer, members: list[Member], e: ExecutorEvent) -> str | None:
    return choice(
        w.src, ('"event"', "1", "true", "null", "-2.5", w.string(join_members(w, members)))
    )


def _positional_short(w: Writer, members: list[Member], e: ExecutorEvent) -> str | None:
    values = [
        str(e.execution_id),
        w.string(e.event_type),
        w.string(e.step),
        w.string(e.status),
        w.string(e.created_at.format()),
    ]
    return "[" + ",".join(values[: w.src.integer(0, 5)]) + "]"


def _bad_timestamp_value(w: Writer, m: Member) -> str:
    return w.string(choice(w.src, _BAD_TIMESTAMPS))


def _out_of_range_value(w: Writer, m: Member) -> str:
    values: tuple[str, ...] = ("1e400", "-1e400", "2e308")
    if m.field != "execution_id":  # a value may hold it anywhere
        values += ("[1,1e999]", '{"a":-9e999}')
    return choice(w.src, values)


def _bad_unknown_string(w: Writer, members: list[Member], e: ExecutorEvent) -> str | None:
    """An unknown key's value is skipped, but its escapes and characters are still checked
    (all but lone surrogates)."""
    value = choice(w.src, ('"\\x41"', '"\\u12G4"', '"a\x01b"', '"\\\'"', '["ok","\\q"]'))
    members.insert(w.src.integer(0, len(members)), Member("", w.string("extra"), value))
    return join_members(w, members)


def _too_deep_value(w: Writer, m: Member) -> str:
    depth = VALUE_DEPTH + w.src.integer(0, 3)  # one more than an event's value may nest
    if boolean(w.src):
        return "[" * depth + "]" * depth
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def _syntax(w: Writer, members: list[Member], e: ExecutorEvent) -> str | None:
    src = w.src
    kind = choice(
        src, ("trailing-comma", "missing-colon", "missing-comma", "trailing", "cut", "bom", "empty")
    )
    parts = [f"{m.key}:{m.value}" for m in members]
    if kind == "trailing-comma":
        return "{" + ",".join(parts) + ",}"
    if kind == "missing-colon":
        i = src.integer(0, len(members) - 1)
        parts[i] = f"{members[i].key} {members[i].value}"
        return "{" + ",".join(parts) + "}"
    if kind == "missing-comma":
        i = src.integer(1, len(parts) - 1)
        return "{" + ",".join(parts[:i]) + " " + ",".join(parts[i:]) + "}"
    if kind == "trailing":
        return join_members(w, members) + choice(src, _TRAILERS)
    if kind == "cut":
        text = join_members(w, members)
        return text[: src.integer(0, text.rindex("}") - 1)]
    if kind == "bom":
        return "\ufeff" + join_members(w, members)
    return choice(src, ("", " ", "\n\t"))


# the rules that only change one member's value
_wrong_type = _replace_value(tuple(_WRONG_TYPES), _wrong_type_value)
_above_i64 = _replace_value(("execution_id", "event_id"), _above_i64_value)
_bad_timestamp = _replace_value(("created_at",), _bad_timestamp_value)
_out_of_range = _replace_value(("context", "meta", "execution_id"), _out_of_range_value)
_too_deep = _replace_value(("context", "meta"), _too_deep_value)
_bad_literal = _replace_value(("context", "meta"), _one_of(_BAD_LITERALS))
_bad_string = _replace_value(
    ("event_type", "step", "status", "context", "worker_id"), _one_of(_BAD_STRINGS)
)


INVALID_RULES: Final[tuple[tuple[str, str, _Mutation], ...]] = (
    ("missing-field", "missing_field", _missing),
    ("misspelled-field", "missing_field", _misspelled),
    ("duplicate-field", "duplicate_field", _duplicate),
    ("wrong-type", "invalid_type", _wrong_type),
    ("not-an-object", "invalid_type", _not_object),
    ("id-above-i64", "invalid_value", _above_i64),
    ("positional-too-short", "invalid_length", _positional_short),
    ("bad-timestamp", "invalid_timestamp", _bad_timestamp),
    ("bad-syntax", "syntax", _syntax),
    ("bad-literal", "syntax", _bad_literal),
    ("number-out-of-range", "number_out_of_range", _out_of_range),
    ("nesting-too-deep", "recursion_limit", _too_deep),
    ("bad-string-in-unknown-key", "invalid_string", _bad_unknown_string),
    ("bad-string", "invalid_string", _bad_string),
)
"""``(rule, kind, mutation)``: each mutation breaks one rule of a valid envelope's text."""


def render_invalid_event(
    src: Source, event: ExecutorEvent, kinds: Sequence[str] | None = None
) -> tuple[str, str, str]:
    """``(text, kind, rule)``: ``event``'s wire text with exactly one rule broken."""
    rules = [r for r in INVALID_RULES if kinds is None or r[1] in kinds]
    while True:
        rule, kind, mutate = choice(src, rules)
        w = Writer(src)
        members, _ = event_members(w, event)
        text = mutate(w, members, event)
        if text is not None:
            src.note(rule)
            return text, kind, rule
        # the rule needs a member this rendering lacks: draw another


_BAD_REQUEST_VALUES: Final = {
    "execution_id": ("1.5", "true", "[]", "{}", "null", "18446744073709551616", "-1e3"),
    "result_kind": ("null", "1", "false"),
    "actionable": ("null", '"true"', "1"),
    "informative": ("null", '"false"', "0"),
    "event_id": ("1.5", "true", "[]", "{}"),
    "event_ids": ('["1"]', "[1.5]", "{}", "[18446744073709551615]"),
}


def render_invalid_request(src: Source, request: EventRequest) -> tuple[str, str, str]:
    """``(text, kind, rule)``: a server request with exactly one rule broken."""
    w = Writer(src)
    members, _ = request_members(w, request)
    rule = choice(src, ("request-missing-field", "request-duplicate-alias", "request-wrong-type"))
    if rule == "request-missing-field":
        kind = "missing_field"
        dropped = choice(src, ("execution_id", "step", "event_type"))
        members = [m for m in members if m.field != dropped]
    elif rule == "request-duplicate-alias":
        kind = "duplicate_field"
        name, alias = choice(src, (("event_type", "name"), ("payload", "context")))
        members = [m for m in members if m.field != name]
        keys = permutation(src, (name, alias))
        members.insert(src.integer(0, len(members)), Member(name, w.string(keys[0]), '"x"'))
        members.append(Member(name, w.string(keys[1]), '"y"'))
    else:
        name = choice(src, tuple(_BAD_REQUEST_VALUES))
        value = choice(src, _BAD_REQUEST_VALUES[name])
        kind = "invalid_value" if value == "[18446744073709551615]" else "invalid_type"
        members = [m for m in members if m.field != name]
        members.insert(src.integer(0, len(members)), Member(name, w.string(name), value))
    src.note(rule)
    return join_members(w, members), kind, rule


_BAD_VALUES: Final = (
    ("invalid_string", '["\\ud800"]'),
    ("invalid_string", '{"\\udc00":1}'),
    ("invalid_string", '"tab\there"'),
    ("invalid_string", '"\\q"'),
    ("number_out_of_range", "1e400"),
    ("number_out_of_range", "[-2e308]"),
    ("recursion_limit", "[" * 128 + "]" * 128),
    ("syntax", "[1,]"),
    ("syntax", '{"a":1,}'),
    ("syntax", "NaN"),
    ("syntax", "[1] [2]"),
    ("syntax", ""),
    ("syntax", '{"a"}'),
    ("syntax", "[1e]"),
    ("syntax", '"\\u00'),
)


def render_invalid_value(src: Source) -> tuple[str, str, str]:
    """``(text, kind, rule)``: a document serde_json rejects as a ``Value``."""
    kind, text = choice(src, _BAD_VALUES)
    rule = "value-" + kind.replace("_", "-")
    src.note(rule)
    return text, kind, rule
