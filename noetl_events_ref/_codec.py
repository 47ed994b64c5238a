"""Decoding and encoding of the records, exactly as ``serde_json::{from_slice, to_string}``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final, TypeAlias

from ._json import (
    I64_MIN,
    U64_MAX,
    Fallback,
    JsonValue,
    Parser,
    SerdeError,
    StructSpec,
    serde_float,
)
from ._model import EVENT_SPEC, REQUEST_SPEC, EventRequest, ExecutorEvent, fast_build

__all__ = [
    "decode_event",
    "decode_request",
    "decode_struct",
    "decode_struct_raw",
    "encode_event",
    "encode_request",
    "fast_loads",
    "to_bytes",
]

_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_MAX_BRACKETS: Final = 100  # well inside serde_json's nesting limit of 127


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise Fallback  # duplicate keys: serde rejects them at the top level
    return obj


def _int(literal: str) -> int:
    if len(literal) < 19 and literal != "-0":
        return int(literal)
    value = int(literal) if len(literal) < 30 else -1 << 70
    if literal == "-0" or not I64_MIN <= value <= U64_MAX:
        raise Fallback  # serde reads these as floats
    return value


def _float(literal: str) -> float:
    # Short plain literals are exact in both (<= 15 digits, exponent >= -15): one rounding.
    if len(literal) <= 16 and "e" not in literal and "E" not in literal:
        return float(literal)
    try:
        return serde_float(literal)
    except SerdeError:
        raise Fallback from None


def _constant(name: str) -> Any:
    raise Fallback  # NaN / Infinity


# Two scanners: the plain one builds dicts in C; the checked one also rejects duplicate keys.
_Scanner: TypeAlias = Callable[[str, int], tuple[Any, int]]
_scan_plain: Final[_Scanner] = json.JSONDecoder(
    parse_int=_int, parse_float=_float, parse_constant=_constant
).scan_once  # type: ignore[attr-defined]
_scan_checked: Final[_Scanner] = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant
).scan_once  # type: ignore[attr-defined]
_WHITESPACE: Final = " \t\n\r"


def fast_loads(text: str | bytes, field_names: tuple[str, ...] = ()) -> tuple[JsonValue, bool]:
    # field_names: the top-level field names, each already in double quotes
    """Python's C json decoder, when it provably agrees with serde_json on ``text``;
    raises :class:`Fallback` otherwise (including for every input serde would reject).

    Also says whether every float in it is spelled alike by Python and serde_json (so the
    C encoder can write it back): a float in [1e-9, 1e-4) needs a literal with a negative
    exponent or four zeros after the point, which a substring test rules out.

    Duplicate keys: nested ones are last-wins in both; a repeated top-level field is an
    error to serde. When each ``field_names`` entry occurs at most once in ``s`` and
    ``s`` has no escapes (which could spell a name differently), no field can repeat and the
    plain C scanner is used; otherwise the scanner that rejects every duplicate.
    """
    if isinstance(text, str):
        s = text
        if not s.isascii():
            try:
                s.encode("utf-8")
            except UnicodeEncodeError:
                raise Fallback from None
    else:
        try:
            s = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise Fallback from None
    escaped = "\\" in s
    if (escaped and _SURROGATE_ESCAPE.search(s)) or s.count("[") + s.count("{") > _MAX_BRACKETS:
        raise Fallback
    start = 0
    if s and s[0] in _WHITESPACE:
        start = len(s) - len(s.lstrip(_WHITESPACE))
    scan = _scan_plain
    if escaped:
        scan = _scan_checked
    else:
        for quoted in field_names:
            if s.count(quoted) > 1:
                scan = _scan_checked
                break
    try:
        value, end = scan(s, start)
    except (StopIteration, ValueError, RecursionError):
        raise Fallback from None
    if end != len(s) and s[end:].strip(_WHITESPACE):
        raise Fallback
    portable = "e-" not in s and "E-" not in s and "0.0000" not in s
    return value, portable


def to_bytes(text: str | bytes | bytearray | memoryview) -> bytes:
    """The UTF-8 bytes serde_json would read. A ``str`` holding lone surrogates becomes
    invalid UTF-8 (as it would on any wire), and is then judged as bytes."""
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"expected str or bytes, got {type(text).__name__}")


def decode_struct_raw(spec: StructSpec, cls: Any, text: str | bytes) -> Any:
    """``serde_json::from_slice::<T>`` for the record described by ``spec``; raises
    :class:`SerdeError` (which still knows serde_path_to_error's path)."""
    try:
        value, portable = fast_loads(text, spec.quoted_names)
        record = fast_build(cls, value)
        if portable:
            object.__setattr__(record, "_portable", True)
        return record
    except Fallback:
        pass
    p = Parser(to_bytes(text))
    values = p.read_struct(spec)
    p.end()
    return cls._from_values(values)


def decode_struct(spec: StructSpec, cls: Any, text: str | bytes) -> Any:
    """``serde_json::from_slice::<T>`` for the record described by ``spec``."""
    try:
        return decode_struct_raw(spec, cls, text)
    except SerdeError as e:
        raise e.to_envelope_error() from None


def decode_event(text: str | bytes) -> ExecutorEvent:
    """Parse an ``ExecutorEvent`` as the Rust crate does; raises :class:`EnvelopeError`."""
    return decode_struct(EVENT_SPEC, ExecutorEvent, text)  # type: ignore[no-any-return]


def decode_request(text: str | bytes) -> EventRequest:
    """Parse a server ``EventRequest`` as noetl-server does; raises :class:`EnvelopeError`."""
    return decode_struct(REQUEST_SPEC, EventRequest, text)  # type: ignore[no-any-return]


def encode_event(event: ExecutorEvent) -> str:
    """The exact text ``serde_json::to_string(&event)`` writes."""
    if not isinstance(event, ExecutorEvent):
        raise TypeError(f"expected ExecutorEvent, got {type(event).__name__}")
    return event._encode()


def encode_request(request: EventRequest) -> str:
    """The exact text ``serde_json::to_string(&request)`` writes."""
    if not isinstance(request, EventRequest):
        raise TypeError(f"expected EventRequest, got {type(request).__name__}")
    return request._encode()
