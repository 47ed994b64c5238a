"""The records: ``ExecutorEvent`` (noetl-events 0.1) and the server's ``EventRequest`` family.

Each record is frozen, keeps its fields in wire order, and is described once by a table
(:class:`StructSpec`) that both the decoder and the encoder read, so a field's name, alias,
default and omission rule live in one place.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from ._json import (
    I64_MAX,
    I64_MIN,
    U64_MAX,
    Fallback,
    Field,
    JsonLike,
    JsonValue,
    Parser,
    StructSpec,
    encode_str,
    encode_value,
)
from ._timestamp import Timestamp, TimestampParseError

__all__ = [
    "BATCH_ITEM_SPEC",
    "BATCH_REQUEST_SPEC",
    "EVENT_SPEC",
    "REQUEST_SPEC",
    "BatchEventItem",
    "BatchEventRequest",
    "EventRequest",
    "ExecutorEvent",
    "fast_build",
    "json_equal",
]

_RFC3339_EXPECTING: Final = "an RFC 3339 formatted date and time string"
_ID_EXPECTING: Final = "a string or signed/unsigned integer representing a snowflake id"
_OPT_ID_EXPECTING: Final = (
    "null, a string, or a signed/unsigned integer representing an optional snowflake id"
)


# ---- field readers (serde's Deserialize impls for each field type) ---------------------------


def _read_timestamp(p: Parser) -> Timestamp:
    text = p.read_str(_RFC3339_EXPECTING)
    try:
        return Timestamp.parse(text)
    except TimestampParseError as e:
        raise p.fix_position(
            p.data_error("invalid_timestamp", e.message, _RFC3339_EXPECTING, f"string {text!r}")
        ) from None


def _lax_id(v: JsonValue) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise TypeError


def _lax_opt_id(v: JsonValue) -> str | None:
    return None if v is None else _lax_id(v)


def _read_lax_id(p: Parser) -> str:
    return p.read_any(_ID_EXPECTING, _lax_id)  # type: ignore[no-any-return]


def _read_lax_opt_id(p: Parser) -> str | None:
    return p.read_any(_OPT_ID_EXPECTING, _lax_opt_id)  # type: ignore[no-any-return]


def _read_opt_i64(p: Parser) -> int | None:
    return p.read_null_or(Parser.read_i64)  # type: ignore[no-any-return]


def _read_opt_str(p: Parser) -> str | None:
    return p.read_null_or(Parser.read_str)  # type: ignore[no-any-return]


def _read_opt_value(p: Parser) -> JsonValue:
    return p.read_null_or(Parser.value)  # type: ignore[no-any-return]


def _read_opt_timestamp(p: Parser) -> Timestamp | None:
    return p.read_null_or(_read_timestamp)  # type: ignore[no-any-return]


def _read_opt_ids(p: Parser) -> tuple[int, ...] | None:
    ids = p.read_null_or(lambda q: q.read_seq(Parser.read_i64))
    return None if ids is None else tuple(ids)


def _read_batch_items(p: Parser) -> tuple[BatchEventItem, ...]:
    return tuple(
        BatchEventItem._from_values(v) for v in p.read_seq(lambda q: q.read_struct(BATCH_ITEM_SPEC))
    )


def _none() -> None:
    return None


# ---- fast converters: values Python's json decoded, accepted only when serde would agree ----


def _fast_i64(v: Any) -> int:
    if type(v) is int and I64_MIN <= v <= I64_MAX:
        return v
    raise Fallback


def _fast_str(v: Any) -> str:
    if type(v) is str:
        return v
    raise Fallback


def _fast_bool(v: Any) -> bool:
    if type(v) is bool:
        return v
    raise Fallback


def _fast_value(v: Any) -> JsonValue:
    return v  # type: ignore[no-any-return]


def _fast_timestamp(v: Any) -> Timestamp:
    if type(v) is str:
        try:
            return Timestamp.parse(v)
        except TimestampParseError:
            pass
    raise Fallback


def _fast_lax_id(v: Any) -> str:
    if type(v) is str:
        return v
    if type(v) is int:
        return str(v)
    raise Fallback


def _fast_ids(v: Any) -> tuple[int, ...]:
    if type(v) is list:
        return tuple(_fast_i64(x) for x in v)
    raise Fallback


def _fast_batch_items(v: Any) -> tuple[BatchEventItem, ...]:
    if type(v) is list:
        return tuple(fast_build(BatchEventItem, x) for x in v)
    raise Fallback


def _opt(convert: Any) -> Any:
    def fast(v: Any) -> Any:
        return None if v is None else convert(v)

    return fast


def fast_build(cls: Any, obj: Any) -> Any:
    """The record ``cls`` from an object Python's json decoded (no duplicate keys in it),
    or :class:`Fallback` wherever serde's answer could differ (errors included)."""
    if type(obj) is not dict:
        raise Fallback
    return cls._FAST_BUILD(obj)


def _compile_fast_build(cls: Any) -> Any:
    """A straight-line builder for ``cls`` (one branch per field, no loop): the decoder's
    hot path, generated from the same table the exact parser reads."""
    spec: StructSpec = cls._SPEC
    lines = ["def build(obj):", "    get = obj.get", "    rec = new(cls)"]
    env: dict[str, Any] = {
        "_UNSET": _UNSET,
        "Fallback": Fallback,
        "new": object.__new__,
        "set_": object.__setattr__,
        "cls": cls,
    }
    for i, f in enumerate(spec.fields):
        env[f"fast{i}"] = f.fast
        env[f"default{i}"] = f.default
        lines.append(f"    v = get({f.name!r}, _UNSET)")
        for alias in f.aliases:
            lines += [
                f"    a = get({alias!r}, _UNSET)",
                "    if a is not _UNSET:",
                "        if v is not _UNSET:",
                "            raise Fallback",
                "        v = a",
            ]
        missing = "raise Fallback" if f.default is None else f"set_(rec, {f.name!r}, default{i}())"
        lines += [
            "    if v is _UNSET:",
            f"        {missing}",
            "    else:",
            f"        set_(rec, {f.name!r}, fast{i}(v))",
        ]
    lines.append("    return rec")
    exec("\n".join(lines), env)
    return env["build"]


_UNSET: Final = object()


# ---- value checks for the public constructors --------------------------------------------------


def _check_json(value: object, path: str) -> JsonValue:
    """A private copy of ``value`` if it is a JSON value serde_json can hold, else TypeError."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if not I64_MIN <= value <= U64_MAX:
            raise ValueError(f"{path}: integer {value} is outside [i64::MIN, u64::MAX]")
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value!r} is not a JSON number")
        return float(value)
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{path}: object key {k!r} is not a string")
            out[k] = _check_json(v, f"{path}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [_check_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{path}: {type(value).__name__} is not a JSON value")


def _check_str(value: object, path: str, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{path}: expected str, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{path}: lone surrogates cannot be sent as UTF-8") from None


def _check_i64(value: object, path: str, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{path}: expected int, got {type(value).__name__}")
    if not I64_MIN <= value <= I64_MAX:
        raise ValueError(f"{path}: {value} is outside the i64 range")


def _check_bool(value: object, path: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{path}: expected bool, got {type(value).__name__}")


def _check_timestamp(value: object, path: str, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, Timestamp):
        raise TypeError(f"{path}: expected Timestamp, got {type(value).__name__}")


def json_equal(a: JsonLike, b: JsonLike) -> bool:
    """``serde_json::Value`` equality: types matter (``1 != 1.0``, ``true != 1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return a.keys() == b.keys() and all(json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


class _Record:
    """Shared behaviour of the frozen records: strict equality and table-driven creation."""

    # `_portable`: set when a decoder proved every float is spelled alike by Python's json
    # and serde_json, so the encoder may skip its check; not a field (no eq, no repr).
    __slots__ = ("_portable",)
    _SPEC: ClassVar[StructSpec]
    _FAST_BUILD: ClassVar[Any]
    _JSON_FIELDS: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _from_values(cls, values: Sequence[Any], portable: bool = False) -> Any:
        """Build from decoded field values in declaration order, skipping the checks."""
        obj = object.__new__(cls)
        setattr_ = object.__setattr__
        for f, v in zip(cls._SPEC.fields, values, strict=True):
            setattr_(obj, f.name, v)
        if portable:
            setattr_(obj, "_portable", True)
        return obj

    def _checked(self) -> bool:
        return getattr(self, "_portable", False)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for f in self._SPEC.fields:
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name in self._JSON_FIELDS:
                if not json_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]  # holds JSON objects, which are mutable


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ExecutorEvent(_Record):
    """``noetl_events::ExecutorEvent``: the canonical envelope NoETL's Rust binaries emit."""

    execution_id: int
    event_type: str
    step: str
    status: str
    created_at: Timestamp
    context: JsonLike
    event_id: int | None = None
    worker_id: str | None = None
    meta: JsonLike = None

    _JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"context", "meta"})

    def __post_init__(self) -> None:
        _check_i64(self.execution_id, "execution_id")
        _check_str(self.event_type, "event_type")
        _check_str(self.step, "step")
        _check_str(self.status, "status")
        _check_timestamp(self.created_at, "created_at")
        object.__setattr__(self, "context", _check_json(self.context, "context"))
        _check_i64(self.event_id, "event_id", optional=True)
        _check_str(self.worker_id, "worker_id", optional=True)
        object.__setattr__(self, "meta", _check_json(self.meta, "meta"))

    def _encode(self) -> str:
        checked = self._checked()
        tail = ""
        if self.event_id is not None:
            tail = f',"event_id":{self.event_id}'
        if self.worker_id is not None:
            tail += f',"worker_id":{encode_str(self.worker_id)}'
        if self.meta is not None:
            tail += f',"meta":{encode_value(self.meta, checked=checked)}'
        return (
            f'{{"execution_id":{self.execution_id}'
            f',"event_type":{encode_str(self.event_type)}'
            f',"step":{encode_str(self.step)}'
            f',"status":{encode_str(self.status)}'
            f',"created_at":"{self.created_at.format()}"'
            f',"context":{encode_value(self.context, checked=checked)}{tail}}}'
        )


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class EventRequest(_Record):
    """noetl-server's ``EventRequest`` (the body of ``POST /api/events``), as the wire sees it."""

    execution_id: str
    step: str
    event_type: str
    payload: JsonLike = None
    meta: JsonLike = None
    worker_id: str | None = None
    result_kind: str = "data"
    result_uri: str | None = None
    event_ids: tuple[int, ...] | None = None
    actionable: bool = True
    informative: bool = True
    event_id: str | None = None
    status: str | None = None
    created_at: Timestamp | None = None

    _JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"payload", "meta"})

    def __post_init__(self) -> None:
        _check_str(self.execution_id, "execution_id")
        _check_str(self.step, "step")
        _check_str(self.event_type, "event_type")
        object.__setattr__(self, "payload", _check_json(self.payload, "payload"))
        object.__setattr__(self, "meta", _check_json(self.meta, "meta"))
        _check_str(self.worker_id, "worker_id", optional=True)
        _check_str(self.result_kind, "result_kind")
        _check_str(self.result_uri, "result_uri", optional=True)
        if self.event_ids is not None:
            ids = tuple(self.event_ids)
            for i, v in enumerate(ids):
                _check_i64(v, f"event_ids[{i}]")
            object.__setattr__(self, "event_ids", ids)
        _check_bool(self.actionable, "actionable")
        _check_bool(self.informative, "informative")
        _check_str(self.event_id, "event_id", optional=True)
        _check_str(self.status, "status", optional=True)
        _check_timestamp(self.created_at, "created_at", optional=True)

    def _encode(self) -> str:
        checked = self._checked()
        parts = [
            '{"execution_id":',
            encode_str(self.execution_id),
            ',"step":',
            encode_str(self.step),
            ',"event_type":',
            encode_str(self.event_type),
            ',"payload":',
            encode_value(self.payload, checked=checked),
        ]
        if self.meta is not None:
            parts += (',"meta":', encode_value(self.meta, checked=checked))
        if self.worker_id is not None:
            parts += (',"worker_id":', encode_str(self.worker_id))
        parts += (',"result_kind":', encode_str(self.result_kind))
        if self.result_uri is not None:
            parts += (',"result_uri":', encode_str(self.result_uri))
        if self.event_ids is not None:
            parts += (',"event_ids":[', ",".join(map(str, self.event_ids)), "]")
        parts += (
            ',"actionable":',
            "true" if self.actionable else "false",
            ',"informative":',
            "true" if self.informative else "false",
        )
        if self.event_id is not None:
            parts += (',"event_id":', encode_str(self.event_id))
        if self.status is not None:
            parts += (',"status":', encode_str(self.status))
        if self.created_at is not None:
            parts += (',"created_at":"', self.created_at.format(), '"')
        parts.append("}")
        return "".join(parts)


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class BatchEventItem(_Record):
    """One item of noetl-server's ``BatchEventRequest`` (note: ``actionable`` defaults to false)."""

    step: str
    event_type: str
    payload: JsonLike = None
    actionable: bool = False
    informative: bool = True

    _JSON_FIELDS: ClassVar[frozenset[str]] = frozenset({"payload"})

    def __post_init__(self) -> None:
        _check_str(self.step, "step")
        _check_str(self.event_type, "event_type")
        object.__setattr__(self, "payload", _check_json(self.payload, "payload"))
        _check_bool(self.actionable, "actionable")
        _check_bool(self.informative, "informative")

    def _encode(self) -> str:
        return (
            f'{{"step":{encode_str(self.step)}'
            f',"event_type":{encode_str(self.event_type)}'
            f',"payload":{encode_value(self.payload, checked=self._checked())}'
            f',"actionable":{"true" if self.actionable else "false"}'
            f',"informative":{"true" if self.informative else "false"}}}'
        )


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class BatchEventRequest(_Record):
    """noetl-server's ``BatchEventRequest``: several events of one execution in one body."""

    execution_id: str
    worker_id: str | None = None
    events: tuple[BatchEventItem, ...] = ()

    def __post_init__(self) -> None:
        _check_str(self.execution_id, "execution_id")
        _check_str(self.worker_id, "worker_id", optional=True)
        events = tuple(self.events)
        for i, e in enumerate(events):
            if not isinstance(e, BatchEventItem):
                raise TypeError(f"events[{i}]: expected BatchEventItem, got {type(e).__name__}")
        object.__setattr__(self, "events", events)

    def _encode(self) -> str:
        worker = "" if self.worker_id is None else f',"worker_id":{encode_str(self.worker_id)}'
        events = ",".join(e._encode() for e in self.events)
        return f'{{"execution_id":{encode_str(self.execution_id)}{worker},"events":[{events}]}}'

    @classmethod
    def decode(cls, text: str | bytes) -> BatchEventRequest:
        """Parse a batch body as ``serde_json::from_slice::<BatchEventRequest>`` does."""
        from ._codec import decode_struct

        return decode_struct(BATCH_REQUEST_SPEC, cls, text)  # type: ignore[no-any-return]


EVENT_SPEC: Final = StructSpec(
    "ExecutorEvent",
    [
        Field("execution_id", Parser.read_i64, _fast_i64),
        Field("event_type", Parser.read_str, _fast_str),
        Field("step", Parser.read_str, _fast_str),
        Field("status", Parser.read_str, _fast_str),
        Field("created_at", _read_timestamp, _fast_timestamp),
        Field("context", Parser.value, _fast_value, aliases=("payload",)),
        Field("event_id", _read_opt_i64, _opt(_fast_i64), default=_none),
        Field("worker_id", _read_opt_str, _opt(_fast_str), default=_none),
        Field("meta", _read_opt_value, _fast_value, default=_none),
    ],
)

REQUEST_SPEC: Final = StructSpec(
    "EventRequest",
    [
        Field("execution_id", _read_lax_id, _fast_lax_id),
        Field("step", Parser.read_str, _fast_str),
        Field("event_type", Parser.read_str, _fast_str, aliases=("name",)),
        Field("payload", Parser.value, _fast_value, aliases=("context",), default=_none),
        # No `#[serde(default)]` on these four: the array form must carry them.
        Field("meta", _read_opt_value, _fast_value, default=_none, map_only=True),
        Field("worker_id", _read_opt_str, _opt(_fast_str), default=_none, map_only=True),
        Field("result_kind", Parser.read_str, _fast_str, default=lambda: "data"),
        Field("result_uri", _read_opt_str, _opt(_fast_str), default=_none, map_only=True),
        Field("event_ids", _read_opt_ids, _opt(_fast_ids), default=_none, map_only=True),
        Field("actionable", Parser.read_bool, _fast_bool, default=lambda: True),
        Field("informative", Parser.read_bool, _fast_bool, default=lambda: True),
        Field("event_id", _read_lax_opt_id, _opt(_fast_lax_id), default=_none),
        Field("status", _read_opt_str, _opt(_fast_str), default=_none),
        Field("created_at", _read_opt_timestamp, _opt(_fast_timestamp), default=_none),
    ],
)

BATCH_ITEM_SPEC: Final = StructSpec(
    "BatchEventItem",
    [
        Field("step", Parser.read_str, _fast_str),
        Field("event_type", Parser.read_str, _fast_str, aliases=("name",)),
        Field("payload", Parser.value, _fast_value, aliases=("context",), default=_none),
        Field("actionable", Parser.read_bool, _fast_bool, default=lambda: False),
        Field("informative", Parser.read_bool, _fast_bool, default=lambda: True),
    ],
)

BATCH_REQUEST_SPEC: Final = StructSpec(
    "BatchEventRequest",
    [
        Field("execution_id", _read_lax_id, _fast_lax_id),
        Field("worker_id", _read_opt_str, _opt(_fast_str), default=_none, map_only=True),
        Field("events", _read_batch_items, _fast_batch_items),
    ],
)

# The items are structs too: a repeated item field is an error, so the fast decoder must watch
# their names as well as the top-level ones.
BATCH_REQUEST_SPEC.quoted_names += BATCH_ITEM_SPEC.quoted_names

ExecutorEvent._SPEC = EVENT_SPEC
EventRequest._SPEC = REQUEST_SPEC
BatchEventItem._SPEC = BATCH_ITEM_SPEC
BatchEventRequest._SPEC = BATCH_REQUEST_SPEC
for _cls in (ExecutorEvent, EventRequest, BatchEventItem, BatchEventRequest):
    _cls._FAST_BUILD = staticmethod(_compile_fast_build(_cls))
