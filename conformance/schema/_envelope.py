"""The envelope as JSON Schema 2020-12, built from one description of each type's fields.

Two modes per type:

``accept``  every JSON document the Rust reader takes (serde derive, serde_json, chrono), as far
            as JSON Schema can tell: unknown keys allowed, aliases, ``null`` for optionals, the
            relaxed timestamp syntax, and serde's positional array form.
``emit``    exactly the shape the Rust writer produces: canonical field names only, no unknown
            keys, optional fields absent rather than ``null``, the timestamp as chrono writes it.

What JSON Schema cannot say (duplicate keys, number spelling, nesting depth, field order, the
calendar beyond day-of-month, string escapes) is listed in ``docs/schema.md``; the corpus tests
show which cases fall outside it.
"""

from __future__ import annotations

from typing import Any, Final

from conformance.core._usage import UsageError

__all__ = ["KINDS", "MODES", "envelope_schema"]

KINDS: Final = ("event", "request", "batch")
MODES: Final = ("accept", "emit")

_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_I64_MIN: Final = -(2**63)
_I64_MAX: Final = 2**63 - 1
_U64_MAX: Final = 2**64 - 1

# ---- timestamps ------------------------------------------------------------------------------

# Rust's char::is_whitespace, written with escapes both Python's re and ECMA-262 read alike.
_WS_CHAR: Final = (
    r"[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_WS: Final = _WS_CHAR + "*"
_M31: Final = r"0?[13578]|1[02]"
_M30: Final = r"0?[469]|11"


def _accepted_timestamp() -> str:
    """chrono's relaxed RFC 3339 reader: whitespace before each number, single-digit fields, any
    number of fraction digits, ``T``/``t``/space, ``Z``/``z``/``UTC`` (any case) or an offset up
    to 23:59 (``+hh:mm``, ``+hhmm``, U+2212 as minus), a signed year of any length."""
    w = _WS
    day = (
        rf"(?:(?:0?[1-9]|1[0-2]){w}-{w}(?:0?[1-9]|1[0-9]|2[0-9])"
        rf"|(?:{_M30}|{_M31}){w}-{w}30"
        rf"|(?:{_M31}){w}-{w}31)"
    )
    date = rf"{w}(?:[+-][0-9]+|[0-9]{{1,4}}){w}-{w}{day}"
    time = rf"{w}(?:[01]?[0-9]|2[0-3]){w}:{w}[0-5]?[0-9]{w}:{w}(?:[0-5]?[0-9]|60)(?:\.[0-9]+)?"
    offset = rf"(?:[Uu][Tt][Cc]|[Zz]|[+\-\u2212](?:[01][0-9]|2[0-3])(?::|{_WS_CHAR})*[0-5][0-9])"
    return rf"^{date}[Tt ]{time}{w}{offset}{w}$"


# What chrono writes (SecondsFormat::AutoSi, Z): 4-digit years, else signed; the fewest of 3,
# 6 or 9 fraction digits that hold the nanoseconds (so the last three are never 000), none
# when they are 0; a leap second as :60.
_LAST3: Final = r"(?:[1-9][0-9]{2}|0[1-9][0-9]|00[1-9])"
_EMITTED_TIMESTAMP: Final = (
    r"^(?:[0-9]{4}|-[0-9]{4,6}|\+[0-9]{5,6})-"
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-9])|(?:0[13-9]|1[0-2])-30|(?:0[13578]|1[02])-31)"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)"
    rf"(?:\.(?:[0-9]{{6}}{_LAST3}|[0-9]{{3}}{_LAST3}|{_LAST3}))?Z$"
)


# ---- building blocks ---------------------------------------------------------------------------


def _i64() -> dict[str, Any]:
    return {"type": "integer", "minimum": _I64_MIN, "maximum": _I64_MAX}


def _string() -> dict[str, Any]:
    return {"type": "string"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{"type": "null"}, schema]}


def _lax_id() -> dict[str, Any]:
    """A snowflake id the server reads laxly: any string, or an integer in [i64::MIN, u64::MAX]."""
    return {
        "anyOf": [
            {"type": "string"},
            {"type": "integer", "minimum": _I64_MIN, "maximum": _U64_MAX},
        ]
    }


def _any(description: str) -> dict[str, Any]:
    return {"description": description}


def _not_null(description: str) -> dict[str, Any]:
    return {"description": description, "not": {"type": "null"}}


def _timestamp(mode: str) -> dict[str, Any]:
    if mode == "emit":
        return {"type": "string", "pattern": _EMITTED_TIMESTAMP}
    return {"type": "string", "pattern": _accepted_timestamp()}


def _one_name(primary: str, alias: str) -> dict[str, Any]:
    """Exactly one of a field and its alias (both present: ``duplicate field``)."""
    return {"oneOf": [{"required": [primary]}, {"required": [alias]}]}


def _at_most_one(primary: str, alias: str) -> dict[str, Any]:
    return {"not": {"required": [primary, alias]}}


def _array_form(items: list[dict[str, Any]], min_items: int) -> dict[str, Any]:
    """serde's positional form of a struct: fields in declaration order; trailing fields that
    have a default may be left out, extra elements are refused."""
    return {
        "type": "array",
        "prefixItems": items,
        "items": False,
        "minItems": min_items,
    }


# ---- the three types -----------------------------------------------------------------------------


def _event(mode: str) -> dict[str, Any]:
    ts = _timestamp(mode)
    if mode == "emit":
        return {
            "type": "object",
            "properties": {
                "execution_id": _i64(),
                "event_type": _string(),
                "step": _string(),
                "status": _string(),
                "created_at": ts,
                "context": _any("any JSON value, null included"),
                "event_id": _i64(),
                "worker_id": _string(),
                "meta": _not_null("any JSON value but null (None is left out)"),
            },
            "required": ["execution_id", "event_type", "step", "status", "created_at", "context"],
            "additionalProperties": False,
        }
    fields = {
        "execution_id": _i64(),
        "event_type": _string(),
        "step": _string(),
        "status": _string(),
        "created_at": ts,
        "context": _any("any JSON value, null included"),
        "payload": _any("alias of context"),
        "event_id": _nullable(_i64()),
        "worker_id": _nullable(_string()),
        "meta": _any("any JSON value; null reads as absent"),
    }
    obj = {
        "type": "object",
        "properties": fields,
        "required": ["execution_id", "event_type", "step", "status", "created_at"],
        "allOf": [_one_name("context", "payload")],
    }
    positional = [fields[k] for k in fields if k != "payload"]
    return {"anyOf": [obj, _array_form(positional, 6)]}


def _request(mode: str) -> dict[str, Any]:
    ts = _timestamp(mode)
    if mode == "emit":
        return {
            "type": "object",
            "properties": {
                "execution_id": _string(),
                "step": _string(),
                "event_type": _string(),
                "payload": _any("any JSON value, written even when null"),
                "meta": _not_null("any JSON value but null (None is left out)"),
                "worker_id": _string(),
                "result_kind": _string(),
                "result_uri": _string(),
                "event_ids": {"type": "array", "items": _i64()},
                "actionable": {"type": "boolean"},
                "informative": {"type": "boolean"},
                "event_id": _string(),
                "status": _string(),
                "created_at": ts,
            },
            "required": [
                "execution_id",
                "step",
                "event_type",
                "payload",
                "result_kind",
                "actionable",
                "informative",
            ],
            "additionalProperties": False,
        }
    fields = {
        "execution_id": _lax_id(),
        "step": _string(),
        "event_type": _string(),
        "name": _string(),
        "payload": _any("any JSON value; absent reads as null"),
        "context": _any("alias of payload"),
        "meta": _any("any JSON value; null reads as absent"),
        "worker_id": _nullable(_string()),
        "result_kind": {"type": "string", "description": 'absent reads as "data"; null is refused'},
        "result_uri": _nullable(_string()),
        "event_ids": _nullable({"type": "array", "items": _i64()}),
        "actionable": {"type": "boolean", "description": "absent reads as true"},
        "informative": {"type": "boolean", "description": "absent reads as true"},
        "event_id": _nullable(_lax_id()),
        "status": _nullable(_string()),
        "created_at": _nullable(ts),
    }
    obj = {
        "type": "object",
        "properties": fields,
        "required": ["execution_id", "step"],
        "allOf": [_one_name("event_type", "name"), _at_most_one("payload", "context")],
    }
    # Positional: the Option fields without a serde default (meta .. event_ids) are required
    # positions, so at least 9 elements.
    positional = [fields[k] for k in fields if k not in ("name", "context")]
    return {"anyOf": [obj, _array_form(positional, 9)]}


def _batch_item(mode: str) -> dict[str, Any]:
    if mode == "emit":
        return {
            "type": "object",
            "properties": {
                "step": _string(),
                "event_type": _string(),
                "payload": _any("any JSON value, written even when null"),
                "actionable": {"type": "boolean"},
                "informative": {"type": "boolean"},
            },
            "required": ["step", "event_type", "payload", "actionable", "informative"],
            "additionalProperties": False,
        }
    fields = {
        "step": _string(),
        "event_type": _string(),
        "name": _string(),
        "payload": _any("any JSON value; absent reads as null"),
        "context": _any("alias of payload"),
        "actionable": {"type": "boolean", "description": "absent reads as false"},
        "informative": {"type": "boolean", "description": "absent reads as true"},
    }
    obj = {
        "type": "object",
        "properties": fields,
        "required": ["step"],
        "allOf": [_one_name("event_type", "name"), _at_most_one("payload", "context")],
    }
    positional = [fields[k] for k in fields if k not in ("name", "context")]
    return {"anyOf": [obj, _array_form(positional, 2)]}


def _batch(mode: str) -> dict[str, Any]:
    events = {"type": "array", "items": {"$ref": "#/$defs/item"}}
    if mode == "emit":
        return {
            "type": "object",
            "properties": {
                "execution_id": _string(),
                "worker_id": _string(),
                "events": events,
            },
            "required": ["execution_id", "events"],
            "additionalProperties": False,
            "$defs": {"item": _batch_item(mode)},
        }
    fields = {"execution_id": _lax_id(), "worker_id": _nullable(_string()), "events": events}
    obj = {"type": "object", "properties": fields, "required": ["execution_id", "events"]}
    return {
        "anyOf": [obj, _array_form(list(fields.values()), 3)],
        "$defs": {"item": _batch_item(mode)},
    }


_TITLES: Final = {
    "event": "ExecutorEvent (noetl-events 0.1)",
    "request": "EventRequest (noetl-server)",
    "batch": "BatchEventRequest (noetl-server)",
}
_BUILDERS: Final = {"event": _event, "request": _request, "batch": _batch}


def envelope_schema(kind: str, mode: str = "accept") -> dict[str, Any]:
    """The JSON Schema (2020-12) of ``kind`` (``event``, ``request`` or ``batch``) as a reader
    accepts it (``mode="accept"``) or as the Rust writer emits it (``mode="emit"``)."""
    if kind not in _BUILDERS:
        raise UsageError(f"unknown schema kind {kind!r}: expected one of {', '.join(KINDS)}")
    if mode not in MODES:
        raise UsageError(f"unknown schema mode {mode!r}: expected one of {', '.join(MODES)}")
    what = "accepted by the Rust reader" if mode == "accept" else "as the Rust writer emits it"
    schema: dict[str, Any] = {
        "$schema": _DIALECT,
        "$id": f"urn:noetl-events-conformance:schema:{kind}:{mode}",
        "title": f"{_TITLES[kind]}, {what}",
        "description": (
            "Generated by noetl-events-conformance. JSON Schema cannot express duplicate keys, "
            "number spelling, nesting depth, field order or string escapes: see the kit's "
            "docs/schema.md."
        ),
    }
    schema.update(_BUILDERS[kind](mode))
    return schema
