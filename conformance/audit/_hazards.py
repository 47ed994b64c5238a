"""Portability hazards in valid envelopes: what is accepted, yet changes or breaks on its way.

=================  ===========================================================================
kind               what
=================  ===========================================================================
unsafe_integer     an id given as a JSON integer beyond ±(2^53 - 1) (``Number.MAX_SAFE_INTEGER``):
                   a JavaScript consumer reads another number
deep_nesting       ``context``/``meta`` reaching 100 levels of nesting (serde_json stops at 127),
                   or any field, an unknown one that serde_json skips, beyond 512
float_respelled    a number serde_json reads as a float and writes back differently (``1.50``,
                   ``1e5``, ``-0``, an integer beyond u64, a long literal read one ULP off)
key_order          an object in ``context``/``meta`` whose keys are not in code point order:
                   serde_json writes them sorted
duplicate_key      a key repeated inside ``context``/``meta``: serde_json keeps the last value
secret             a value the server redacts before storing the row: found by running the
                   reference's redaction (``noetl_events_ref.sanitize_value``) on the row
sub_microsecond    a ``created_at`` finer than a microsecond: the database truncates it
leap_second        a ``created_at`` on a leap second (``:60``): the database moves it
=================  ===========================================================================

Only lines the reference accepts are scanned (an invalid line has no hazards, it has an error).
"""

from __future__ import annotations

import array
import functools
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Final

# Built on noetl_events_ref.sanitize_value, the one twin of the server's redaction.
from conformance.core._text import no_json_constant
from conformance.corpus._secrets import key_path, secret_paths
from noetl_events_ref import Timestamp, status_from_event_name
from noetl_events_ref._json import I64_MIN, U64_MAX, StructSpec, format_f64, serde_float
from noetl_events_ref._model import EVENT_SPEC, REQUEST_SPEC

__all__ = ["DEEP", "KINDS", "SAFE_INTEGER", "scan_event", "scan_request", "scanner"]

KINDS: Final = (
    "unsafe_integer",
    "deep_nesting",
    "float_respelled",
    "key_order",
    "duplicate_key",
    "secret",
    "sub_microsecond",
    "leap_second",
)
SAFE_INTEGER: Final = 2**53 - 1
DEEP: Final = 100
"""Nesting (the envelope itself is level 1) from which a line is reported; serde allows 127."""

PER_LINE: Final = 100_000
"""At most this many hazards of one line are held in full (as many as a report lists, with
``--max-errors 0``); past it they are counted by kind only, so that a line of many thousands
(a key repeated all over a 4 MiB line) does not hold them all in memory."""


class Found(list[tuple[str, str, str]]):
    """A line's hazards ``(kind, path, detail)``, in order: the first :data:`PER_LINE` of
    them; ``overflow`` counts the others by kind."""

    __slots__ = ("overflow",)

    def __init__(self) -> None:
        super().__init__()
        self.overflow: Counter[str] = Counter()

    def append(self, hazard: tuple[str, str, str], /) -> None:
        if len(self) < PER_LINE:
            super().append(hazard)
        else:
            self.overflow[hazard[0]] += 1


class _Members(list[tuple[str, Any]]):
    """A JSON object as read: its members in input order, repeats included."""


class _Float(str):
    """A number literal Python's json saw as a float (the text, unconverted)."""


class _Int(str):
    """A number literal Python's json saw as an integer (the text, unconverted)."""


_LITERALS: Final = 4096
"""Number literals the decoder keeps one object for within a line, however often the line
repeats them: a 4 MiB line of ``1.50,`` held 838,000 alike objects, and its scan peaked at
197 MB; with one object per literal, 81 MB. (The cache is emptied after each line, so it
never holds more than the line being read.)"""

_float_literal: Final = functools.lru_cache(_LITERALS)(_Float)
_int_literal: Final = functools.lru_cache(_LITERALS)(_Int)

_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_Members,
    parse_float=_float_literal,
    parse_int=_int_literal,
    parse_constant=no_json_constant,
)


def _plain(value: Any) -> Any:
    """The value serde_json holds: last repeated key wins, numbers as Python numbers."""
    if type(value) is _Members:
        return {k: _plain(v) for k, v in value}
    if type(value) is list:
        return [_plain(v) for v in value]
    if type(value) is _Int:
        return int(value)
    if type(value) is _Float:
        return float(value)
    return value


def _serde_spelling(literal: str, is_int: bool) -> str | None:
    """serde_json's text for a number literal, when it differs from the literal."""
    if is_int and literal != "-0" and I64_MIN <= int(literal) <= U64_MAX:
        return None  # stays an integer, spelled alike
    value = float(literal) if len(literal) <= 15 and "e" not in literal.lower() else None
    if value is None:
        value = serde_float(literal)  # not correctly rounded, like serde_json
    text = format_f64(value)
    return None if text == literal else text


def _walk_value(value: Any, path: str, depth: int, found: Found) -> int:
    """Hazards inside a ``serde_json::Value`` (``context``, ``meta``, ``payload``) at ``path``
    and nesting ``depth`` (of ``value`` itself); returns the deepest nesting reached."""
    deepest = depth
    # A stack of the children still to visit, as iterators: a list of 800,000 numbers is not
    # copied into 800,000 entries with their paths before the first is looked at.
    stack: list[Iterator[tuple[Any, str, int]]] = [iter(((value, path, depth),))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        node, where, level = item
        kind = type(node)
        if kind is _Members:
            deepest = max(deepest, level)
            keys = [k for k, _ in node]
            seen: set[str] = set()
            for key in keys:
                if key in seen:
                    found.append(
                        (
                            "duplicate_key",
                            key_path(where, key),
                            f'key "{key}" repeated: serde_json keeps the last value',
                        )
                    )
                seen.add(key)
            for a, b in itertools.pairwise(keys):
                if b < a:
                    found.append(
                        (
                            "key_order",
                            where,
                            f'key "{b}" follows "{a}": serde_json writes object keys sorted',
                        )
                    )
                    break
            stack.append(_members(node, where, level + 1))
        elif kind is list:
            deepest = max(deepest, level)
            stack.append(_items(node, where, level + 1))
        elif kind is _Float or kind is _Int:
            text = _serde_spelling(node, kind is _Int)
            if text is not None:
                found.append(("float_respelled", where, f"{node} is written back as {text}"))
    return deepest


def _members(node: _Members, where: str, level: int) -> Iterator[tuple[Any, str, int]]:
    """The members of an object to walk, in order: those serde keeps (a repeated key's last
    value). (A function of its own: a generator's names must not follow the walk's loop.)"""
    last = {k: i for i, (k, _) in enumerate(node)}
    return ((v, key_path(where, k), level) for i, (k, v) in enumerate(node) if last[k] == i)


def _items(node: list[Any], where: str, level: int) -> Iterator[tuple[Any, str, int]]:
    """The items of an array to walk, in order."""
    return ((v, f"{where}[{i}]", level) for i, v in enumerate(node))


def _check_id(value: Any, path: str, found: Found) -> None:
    if type(value) is _Int and abs(int(value)) > SAFE_INTEGER:
        as_double = int(float(int(value)))
        found.append(
            ("unsafe_integer", path, f"{value} is beyond 2^53 - 1: JavaScript reads {as_double}")
        )


def _check_timestamp(value: Any, path: str, found: Found) -> None:
    if type(value) is not str:
        return
    ts = Timestamp.parse(value)
    if ts.nanosecond >= 1_000_000_000:
        found.append(("leap_second", path, f"{value}: PostgreSQL has no leap seconds"))
    elif ts.nanosecond % 1000:
        found.append(("sub_microsecond", path, f"{value}: the database keeps microseconds only"))


def _check_secrets(
    status: tuple[str, str],
    payload: tuple[str, Any] | None,
    meta: tuple[str, Any] | None,
    worker_id: tuple[str, Any] | None,
    flags: tuple[bool, bool],
    found: Found,
) -> None:
    """The server's redaction of the row it builds (``result`` and ``meta``, section 7);
    each field is ``(path in the line, value)``."""
    moved: dict[str, str] = {"$.status": status[0]}
    result: dict[str, Any] = {"status": status[1]}
    if payload is not None:
        plain = _plain(payload[1])
        if isinstance(plain, dict):
            result["context"] = plain
            moved["$.context"] = payload[0]
    meta_path, meta_value = meta if meta is not None else ("$.meta", None)
    row_meta = _plain(meta_value) if meta_value is not None else {}
    if isinstance(row_meta, dict):
        row_meta = {**row_meta, "actionable": flags[0], "informative": flags[1]}
        if worker_id is not None and type(worker_id[1]) is str:
            row_meta["worker_id"] = worker_id[1]
            moved[key_path(meta_path, "worker_id")] = worker_id[0]
    paths = [*secret_paths(result), *secret_paths(row_meta, root=meta_path)]
    for path in paths:
        for prefix, actual in moved.items():
            if path == prefix or path.startswith((f"{prefix}.", f"{prefix}[")):
                path = actual + path[len(prefix) :]
                break
        found.append(("secret", path, "the server stores [REDACTED] in its place"))


def _fields(top: Any, spec: StructSpec) -> Iterator[tuple[str, str, Any]]:
    """``(field, path, value)`` of the known top-level fields, by their names in ``spec``
    (first occurrence wins: in a valid envelope a known field is never repeated)."""
    if type(top) is list:  # serde's positional form
        for i, (f, value) in enumerate(zip(spec.fields, top, strict=False)):
            yield f.name, f"$[{i}]", value
        return
    seen: set[str] = set()
    for key, value in top:
        at = spec.index.get(key)  # names and aliases
        if at is not None and (name := spec.fields[at].name) not in seen:
            seen.add(name)
            yield name, key_path("$", key), value


SCANNED_DEPTH: Final = 512
"""The deepest nesting this module's scanner reads. A valid line may nest deeper (serde_json
skips an unknown field without a depth limit): such a line is one ``deep_nesting`` hazard.
Fixed, so that the verdict is the line's alone: Python's own scanner stops at a depth that
depends on how deep the caller's stack already is (an engine, a worker process)."""

_STRINGS: Final = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
"""A JSON string, unrolled (no backtracking entry per character: a 4 MiB string is one match)."""
_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS: Final = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def _nesting(line: bytes) -> int:
    """How deep ``line`` (valid JSON) nests: its brackets outside strings, counted in C."""
    marks = _STRINGS.sub(b"", line).translate(None, _BRACKETS).translate(_STEPS)
    return max(itertools.accumulate(array.array("b", marks)), default=0)


def _parse(line: bytes) -> Any:
    """The line's value, or :class:`RecursionError` when it nests beyond
    :data:`SCANNED_DEPTH` (counted first only when it holds that many brackets)."""
    if line.count(b"[") + line.count(b"{") > SCANNED_DEPTH and _nesting(line) > SCANNED_DEPTH:
        raise RecursionError
    try:
        return _DECODER.decode(line.decode("utf-8", "surrogateescape"))
    finally:
        _float_literal.cache_clear()
        _int_literal.cache_clear()


def _too_deep() -> Found:
    found = Found()
    found.append(
        (
            "deep_nesting",
            "$",
            f"nests beyond {SCANNED_DEPTH} levels, more than the scanner reads (an unknown field?)",
        )
    )
    return found


def _scan_fields(
    top: Any, spec: StructSpec, value: str
) -> tuple[dict[str, tuple[str, Any]], Found]:
    """The known fields of ``top`` (``field: (path, value)``) and the hazards both records
    share: unsafe ids (``event_ids`` too), the ``value`` field and ``meta`` walked, deep
    nesting, ``created_at``."""
    found = Found()
    fields = {name: (path, v) for name, path, v in _fields(top, spec)}
    for name in ("execution_id", "event_id"):
        if name in fields:
            _check_id(fields[name][1], fields[name][0], found)
    if "event_ids" in fields and type(fields["event_ids"][1]) is list:
        path, ids = fields["event_ids"]
        for i, v in enumerate(ids):
            _check_id(v, f"{path}[{i}]", found)
    deepest = 1
    for name in (value, "meta"):
        if name in fields:
            path, v = fields[name]
            deepest = max(deepest, _walk_value(v, path, 2, found))
    if deepest >= DEEP:
        found.append(("deep_nesting", "$", f"nests {deepest} levels (serde_json's limit: 127)"))
    if "created_at" in fields:
        _check_timestamp(fields["created_at"][1], fields["created_at"][0], found)
    return fields, found


def scan_event(line: bytes) -> Found:
    """Hazards of a line the reference accepts as an ``ExecutorEvent``."""
    try:
        top = _parse(line)
    except RecursionError:
        return _too_deep()
    fields, found = _scan_fields(top, EVENT_SPEC, "context")
    _check_secrets(
        fields["status"],
        fields["context"],
        fields.get("meta"),
        fields.get("worker_id"),
        (True, True),
        found,
    )
    return found


def scan_request(line: bytes) -> Found:
    """Hazards of a line the reference accepts as an ``EventRequest``."""
    try:
        top = _parse(line)
    except RecursionError:
        return _too_deep()
    fields, found = _scan_fields(top, REQUEST_SPEC, "payload")
    status = fields.get("status", ("$.status", None))
    if status[1] is None:  # the server derives it
        status = ("$.status", status_from_event_name(fields["event_type"][1]))
    flags = (
        fields.get("actionable", ("", True))[1] is not False,
        fields.get("informative", ("", True))[1] is not False,
    )
    _check_secrets(
        status, fields.get("payload"), fields.get("meta"), fields.get("worker_id"), flags, found
    )
    return found


def scanner(mode: str) -> Callable[[bytes], Found]:
    """The scan for ``mode`` (``event`` or ``request``)."""
    return scan_event if mode == "event" else scan_request
