"""The value domain the strategies draw from: ids, timestamps, strings, JSON values, records.

Every builder here takes a :class:`~conformance.generation._choices.Source` of primitive choices and
nothing else, so the same builders serve Hypothesis (the public strategies) and a seeded
``random.Random`` (``generate``). Builders name the hazards they exercise with
``src.note(tag)``; tables are ordered simplest first, because Hypothesis shrinks a choice
towards index 0.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from conformance.corpus._secrets import is_sensitive_key, is_sensitive_value
from noetl_events_ref import EventRequest, ExecutorEvent, Timestamp
from noetl_events_ref._json import I64_MAX, I64_MIN, U64_MAX, format_f64, serde_float
from noetl_events_ref._timestamp import _NANOS, MAX_YEAR, MIN_YEAR, _month_len

from ._choices import Source, boolean, choice, weighted

__all__ = [
    "EVENT_DEPTH",
    "I64_MAX",
    "I64_MIN",
    "MAX_YEAR",
    "MIN_YEAR",
    "U64_MAX",
    "VALUE_DEPTH",
    "draw_event",
    "draw_float",
    "draw_i64",
    "draw_id_text",
    "draw_request",
    "draw_string",
    "draw_timestamp",
    "draw_value",
    "hard_literal",
    "stable_float",
    "value_depth",
]

T = TypeVar("T")
JsonValue = Any

VALUE_DEPTH: Final = 127  # serde_json's nesting limit for a whole document
EVENT_DEPTH: Final = 126  # inside an event's object, `context` and `meta` get one level less


# ---- integers (ids) ------------------------------------------------------------------------

_P53: Final = 1 << 53
_ID_BOUNDARIES: Final = (
    0,
    1,
    -1,
    I64_MAX,
    I64_MIN,
    I64_MAX - 1,
    I64_MIN + 1,
    _P53,
    _P53 + 1,
    _P53 - 1,
    -_P53,
    -_P53 - 1,
    (1 << 31) - 1,
    1 << 31,
    -(1 << 31),
    1 << 32,
    (1 << 62) + 1,
    10**18,
    -(10**18),
)


def draw_i64(src: Source) -> int:
    """An i64, weighted to boundaries and to values past 2^53 (where doubles lose digits)."""
    kind = weighted(
        src,
        ((3, "small"), (3, "snowflake"), (1, "extreme"), (2, "boundary"), (2, "wide"), (1, "any")),
    )
    if kind == "extreme":  # its own branch: Hypothesis' draws must not be able to starve it
        value = I64_MAX if boolean(src) else I64_MIN
    elif kind == "small":
        value = src.integer(-1000, 1000)
    elif kind == "snowflake":  # NoETL's ids: 18 digits
        value = src.integer(10**17, 10**18 - 1)
    elif kind == "boundary":
        value = choice(src, _ID_BOUNDARIES)
    elif kind == "wide":
        value = src.integer(_P53 + 1, I64_MAX)
        if boolean(src):
            value = -value - 1
    else:
        value = src.integer(I64_MIN, I64_MAX)
    if value in _ID_BOUNDARIES:
        src.note("id-boundary")
    if abs(value) > _P53:
        src.note("id-past-2-53")
    return value


# ---- timestamps ----------------------------------------------------------------------------

_EXTREME_YEARS: Final = (MIN_YEAR, MAX_YEAR, -1, 0, 9999, 10000, MIN_YEAR + 1, MAX_YEAR - 1)


def _fraction(src: Source) -> int:
    """Nanoseconds whose output needs exactly 0, 3, 6 or 9 fraction digits."""
    digits = choice(src, (0, 3, 6, 9))
    src.note(f"ts-fraction-{digits}")
    if digits == 0:
        return 0
    if digits == 3:
        return src.integer(1, 999) * 1_000_000
    if digits == 6:
        micros = src.integer(1, 999_999)
        return (micros if micros % 1000 else micros + 1) * 1000
    nanos = src.integer(1, _NANOS - 1)
    return nanos if nanos % 1000 else nanos + 1


def draw_timestamp(src: Source) -> Timestamp:
    """An instant in chrono's whole range: every fraction width, extreme years, leap seconds."""
    kind = weighted(src, ((5, "recent"), (2, "four-digit"), (1, "extreme"), (1, "wide")))
    if kind == "extreme" and boolean(src, 0.3):  # chrono's first or last nanosecond
        src.note("ts-year-extreme")
        if boolean(src):
            return Timestamp.from_parts(MIN_YEAR, 1, 1)
        return Timestamp.from_parts(MAX_YEAR, 12, 31, 23, 59, 59, _NANOS - 1)
    if kind == "recent":
        year = src.integer(1970, 2100)
    elif kind == "four-digit":
        year = src.integer(0, 9999)
    elif kind == "extreme":
        year = choice(src, _EXTREME_YEARS)
    else:
        year = src.integer(MIN_YEAR, MAX_YEAR)
    if not 0 <= year <= 9999:
        src.note("ts-year-extreme")
    month = src.integer(1, 12)
    day = src.integer(1, _month_len(year, month))
    hour, minute, second = src.integer(0, 23), src.integer(0, 59), src.integer(0, 59)
    nano = _fraction(src)
    if boolean(src, 0.05):
        src.note("ts-leap-second")
        second, nano = 59, nano + _NANOS
    return Timestamp.from_parts(year, month, day, hour, minute, second, nano)


# ---- strings -------------------------------------------------------------------------------

_NAME_CHARS: Final = "abcdefghijklmnopqrstuvwxyz0123456789_.-/"
_ESCAPE_CHARS: Final = '"\\/\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f'
_UNICODE_CHARS: Final = (
    "\u00e9\u00df\u00a0\u0085\u0301\u03a9\u4e2d\u2028\u2029\u200b\u202e\ufeff\ufffd\uffff\uff5e"
)
_ASTRAL_CHARS: Final = "\U0001f600\U0001d11e\U00010000\U0010ffff\U0001f1eb\U0001f1f7"
_HAZARD_STRINGS: Final = (
    "\u2028",
    "a\u2029b",
    "\U0001f600",
    "\x00",
    '"\\',
    "\ufeff",
    "\uff5e\U0001f600",
    "\x7f\u0085",
    "e\u0301",
    "\ud7ff\ue000\uffff",
    "</script>",
)
_CHAR_TABLE: Final = (
    (640, _NAME_CHARS),
    (800, _ESCAPE_CHARS),
    (900, _UNICODE_CHARS),
    (960, _ASTRAL_CHARS),
)


def _char(src: Source) -> str:
    """One character, in one choice (shrinks to "a"): 5/8 name characters, then escapes,
    other Unicode, astral characters, and (1/16) any scalar value."""
    x = src.integer(0, 1023)
    for bound, table in _CHAR_TABLE:
        if x < bound:
            return table[x % len(table)]
    cp = src.integer(0x20, 0x10FFFF - 0x800)  # any scalar value but the surrogates
    return chr(cp + 0x800 if cp >= 0xD800 else cp)


def _string_tags(src: Source, s: str) -> None:
    if any(c in _ESCAPE_CHARS for c in s):
        src.note("string-escapes")
    if not s.isascii():
        src.note("string-unicode")
        if any(ord(c) > 0xFFFF for c in s):
            src.note("string-astral")
        if "\u2028" in s or "\u2029" in s:
            src.note("string-line-separator")


def draw_string(src: Source, *, max_len: int = 12) -> str:
    """A string with JSON's escaping hazards: quotes, controls, U+2028, astral characters."""
    n = weighted(src, ((1, 0), (6, 4), (3, max_len), (1, -1)))
    if n < 0:
        s = choice(src, _HAZARD_STRINGS)
    else:
        s = "".join(_char(src) for _ in range(src.integer(1, n) if n else 0))
    if not s:
        src.note("string-empty")
    if is_sensitive_value(s):  # keep generated cases free of what the server would redact
        s = f"~{s}~"
    _string_tags(src, s)
    return s


def _name(src: Source, realistic: Sequence[str]) -> str:
    if boolean(src, 0.6):
        return choice(src, realistic)
    return draw_string(src)


_EVENT_TYPES: Final = (
    "step.enter",
    "step.exit",
    "call.done",
    "command.completed",
    "command.failed",
    "command.started",
    "call.error",
    "x.failed.done",
    "Step.Done",
    "batch.completed",
)
_STEPS: Final = ("start", "fetch_calendar", "load_rows", "end", "")
_STATUSES: Final = ("RUNNING", "COMPLETED", "FAILED", "STARTED", "running", "")


# ---- JSON values ---------------------------------------------------------------------------


def _bits(x: float) -> int:
    return int(struct.unpack("<q", struct.pack("<d", x))[0])


def _from_bits(b: int) -> float:
    return float(struct.unpack("<d", struct.pack("<q", b))[0])


_MAX_FLOAT_BITS: Final = _bits(1.7976931348623157e308)
_SPECIAL_FLOATS: Final = (
    0.5,
    1.0,
    -2.25,
    0.1,
    1e-5,
    1e-4,
    1e15,
    1e16,
    1e21,
    9007199254740993.0,
    2.2250738585072014e-308,
    5e-324,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    18446744073709551616.0,
)
_FLOAT_RANGES: Final = {  # tag: (low bits, high bits) of positive floats
    "float-subnormal": (1, _bits(2.2250738585072014e-308) - 1),
    "float-1e-5-to-1e-4": (_bits(1e-5), _bits(1e-4) - 1),
    "float-exp-small": (_bits(1e-9), _bits(1e-5) - 1),
    "float-large": (_bits(1e16), _MAX_FLOAT_BITS),
}


def stable_float(x: float) -> float:
    """The nearest float serde_json reads back unchanged from its own spelling.

    serde_json's float parser is not correctly rounded, so a few doubles come back one ULP off
    after a write and a read; values drawn for a value domain use the fixed point instead.
    """
    for _ in range(8):
        y = serde_float(format_f64(x))
        if y == x or (y == 0.0 and x == 0.0):
            return x
        x = y
    return 0.5  # pragma: no cover - never seen: the map settles within two steps


def hard_literal(src: Source) -> str:
    """A number literal serde_json reads one ULP away from the correctly rounded double."""
    for _ in range(4):
        ndigits = src.integer(1, 25)
        digits = str(src.integer(10 ** (ndigits - 1), 10**ndigits - 1))
        exp = src.integer(-330, 290)
        literal = f"{digits[0]}.{digits[1:]}e{exp}" if len(digits) > 1 else f"{digits}e{exp}"
        try:
            value = serde_float(literal)
        except Exception:  # out of range: try again
            continue
        if value != float(literal) and value != 0.0:
            return literal
    return "7e-81"


def draw_float(src: Source) -> float:
    """A finite float, weighted to where spellings differ: subnormals, [1e-5, 1e-4),
    exponents -6..-9, >= 1e16, -0.0, whole numbers, and values next to one-ULP traps."""
    kind = weighted(
        src,
        (
            (3, "simple"),
            (2, "special"),
            (1, "float-negative-zero"),
            (1, "float-whole"),
            (1, "float-subnormal"),
            (2, "float-1e-5-to-1e-4"),
            (1, "float-exp-small"),
            (2, "float-large"),
            (1, "float-ulp"),
            (2, "any"),
        ),
    )
    if kind == "simple":
        x = src.integer(-2000, 2000) / 8
    elif kind == "special":
        x = choice(src, _SPECIAL_FLOATS)
    elif kind == "float-negative-zero":
        x = -0.0
    elif kind == "float-whole":
        x = float(src.integer(-(10**17), 10**17))
    elif kind == "float-ulp":
        x = serde_float(hard_literal(src))
    elif kind == "any":
        x = src.real()
    else:
        lo, hi = _FLOAT_RANGES[kind]
        x = _from_bits(src.integer(lo, hi))
    if kind != "float-negative-zero" and boolean(src, 0.3):
        x = -x
    x = stable_float(x)
    _float_tags(src, x)
    if kind in ("float-ulp", "float-negative-zero", "float-whole"):
        src.note(kind)
    return x


def _float_tags(src: Source, x: float) -> None:
    a = abs(x)
    if 0.0 < a < 2.2250738585072014e-308:
        src.note("float-subnormal")
    elif 1e-5 <= a < 1e-4:
        src.note("float-1e-5-to-1e-4")
    elif 1e-9 <= a < 1e-5:
        src.note("float-exp-small")
    elif a >= 1e16:
        src.note("float-large")


_INT_BOUNDARIES: Final = (
    0,
    I64_MAX,
    I64_MIN,
    U64_MAX,
    I64_MAX + 1,
    U64_MAX - 1,
    _P53,
    _P53 + 1,
    -_P53 - 1,
)


def _draw_int(src: Source) -> int:
    kind = weighted(src, ((4, "small"), (2, "boundary"), (1, "i64"), (1, "u64")))
    if kind == "small":
        return src.integer(-100, 100)
    if kind == "boundary":
        src.note("int-boundary")
        return choice(src, _INT_BOUNDARIES)
    if kind == "i64":
        return src.integer(I64_MIN, I64_MAX)
    src.note("int-u64")
    return src.integer(I64_MAX + 1, U64_MAX)


_KEYS: Final = ("a", "b", "id", "A", "aa", "10", "9", "", "\u00e9", "e\u0301", "\uff5e")
_SORT_TRAP: Final = ("\uff5e", "\U0001f600")  # code point order and UTF-16 order disagree


def _key(src: Source) -> str:
    key = choice(src, _KEYS) if boolean(src, 0.6) else draw_string(src, max_len=8)
    if is_sensitive_key(key):  # the server would redact the member
        key = f"k{len(key)}"
    return key


def _scalar(src: Source) -> JsonValue:
    kind = weighted(src, ((1, "null"), (1, "bool"), (3, "int"), (3, "float"), (3, "str")))
    if kind == "null":
        return None
    if kind == "bool":
        return boolean(src)
    if kind == "int":
        return _draw_int(src)
    if kind == "float":
        return draw_float(src)
    return draw_string(src)


def _chain(src: Source, depth: int) -> JsonValue:
    """``depth`` nested containers around a scalar (or an empty container at the bottom)."""
    src.note("nesting-deep")
    if depth >= VALUE_DEPTH - 1:
        src.note("nesting-at-limit")
    use_objects = choice(src, (False, True, None))
    key = _key(src) if use_objects is not False else ""
    value: JsonValue = [] if boolean(src, 0.3) else _scalar(src)
    if value == []:
        depth -= 1
    for level in range(depth):
        obj = use_objects if use_objects is not None else level % 2 == 0
        value = {key: value} if obj else [value]
    return value


def value_depth(value: JsonValue) -> int:
    """How many containers are nested in ``value`` (0 for a scalar)."""
    depth = 0
    level = [value]
    while True:
        containers = [v for v in level if isinstance(v, (dict, list))]
        if not containers:
            return depth
        depth += 1
        level = [c for v in containers for c in (v.values() if isinstance(v, dict) else v)]


def draw_value(src: Source, *, max_depth: int, max_leaves: int) -> JsonValue:
    """A JSON value as serde_json holds it: at most ``max_depth`` nested containers and
    ``max_leaves`` scalars (or empty containers)."""
    if max_depth >= 2 and boolean(src, 0.1):
        depth = weighted(src, ((3, max_depth), (1, max_depth - 1), (2, src.integer(2, max_depth))))
        return _chain(src, depth)
    return _tree(src, max_depth, max_leaves)[0]


def _tree(src: Source, depth_left: int, budget: int) -> tuple[JsonValue, int]:
    """A value with at most ``budget`` leaves, and how many it has."""
    if depth_left == 0 or budget <= 1:
        return _scalar(src), 1
    shape = weighted(src, ((9, "scalar"), (6, "array"), (6, "object")))
    if shape == "scalar":
        return _scalar(src), 1
    is_object = shape == "object"
    n = src.integer(0, min(4, budget))
    if n == 0:
        src.note("container-empty")
        return ({} if is_object else []), 1
    children: list[JsonValue] = []
    used = 0
    for i in range(n):  # leave at least one leaf for each sibling still to come
        child, leaves = _tree(src, depth_left - 1, budget - used - (n - 1 - i))
        children.append(child)
        used += leaves
    if not is_object:
        return children, used
    keys = [_key(src) for _ in range(n)]
    if n >= 2 and boolean(src, 0.15):
        src.note("key-order-utf16")
        keys[:2] = _SORT_TRAP
    obj = dict(zip(keys, children, strict=True))
    if len(obj) >= 2:
        src.note("object-keys-sorted")
    return obj, used


# ---- records -------------------------------------------------------------------------------


def draw_event(src: Source, *, max_depth: int = EVENT_DEPTH, max_leaves: int = 16) -> ExecutorEvent:
    """An ``ExecutorEvent`` anywhere in its domain, optionals present and absent."""
    event_id = draw_i64(src) if boolean(src) else None
    worker_id = draw_string(src) if boolean(src) else None
    meta = None
    if boolean(src):
        meta = draw_value(src, max_depth=max_depth, max_leaves=max_leaves)
    present = event_id is not None or worker_id is not None or meta is not None
    src.note("optionals-some" if present else "optionals-none")
    return ExecutorEvent(
        execution_id=draw_i64(src),
        event_type=_name(src, _EVENT_TYPES),
        step=_name(src, _STEPS),
        status=_name(src, _STATUSES),
        created_at=draw_timestamp(src),
        context=draw_value(src, max_depth=max_depth, max_leaves=max_leaves),
        event_id=event_id,
        worker_id=worker_id,
        meta=meta,
    )


_ID_TEXTS: Final = (
    "",
    "abc",
    " 1",
    "1 ",
    "1_000",
    "0x1f",
    "\u0661\u0662",  # Arabic-Indic digits: Python's int() takes them, Rust's parse does not
    "1.0",
    "+",
    "-",
    "+-1",
    "1e3",
    "\uff11",
)


def draw_id_text(src: Source) -> str:
    """An id as the server's lax decoder keeps it: integer-looking or not, in range or not."""
    kind = weighted(
        src, ((4, "decimal"), (1, "signed"), (1, "padded"), (1, "overflow"), (2, "junk"))
    )
    if kind == "decimal":
        src.note("id-text-integer")
        return str(draw_i64(src))
    if kind == "signed":
        src.note("id-text-plus")
        return "+" + str(src.integer(0, I64_MAX))
    if kind == "padded":
        src.note("id-text-leading-zeros")
        return "0" * src.integer(1, 3) + str(src.integer(0, 10**6))
    if kind == "overflow":
        src.note("id-text-overflow")
        if boolean(src):
            return str(src.integer(I64_MAX + 1, U64_MAX))
        return "-" + str(src.integer(-I64_MIN + 1, 10**30))
    src.note("id-text-not-integer")
    if boolean(src, 0.15):
        return ""
    return choice(src, _ID_TEXTS) if boolean(src, 0.7) else draw_string(src)


def draw_request(
    src: Source, *, max_depth: int = EVENT_DEPTH, max_leaves: int = 16
) -> EventRequest:
    """A server ``EventRequest``: ids that do and do not parse, defaults kept and changed."""
    defaults = boolean(src)
    src.note("request-defaults" if defaults else "request-non-defaults")

    def opt(build: Callable[[], T], p: float = 0.5) -> T | None:
        return build() if boolean(src, p) else None

    event_ids = None
    if boolean(src, 0.3):
        event_ids = tuple(draw_i64(src) for _ in range(src.integer(0, 3)))
    return EventRequest(
        execution_id=draw_id_text(src),
        step=_name(src, _STEPS),
        event_type=_name(src, _EVENT_TYPES),
        payload=draw_value(src, max_depth=max_depth, max_leaves=max_leaves),
        meta=opt(lambda: draw_value(src, max_depth=max_depth, max_leaves=max_leaves)),
        worker_id=opt(lambda: draw_string(src)),
        result_kind="data" if defaults else draw_string(src),
        result_uri=opt(lambda: draw_string(src), 0.2),
        event_ids=event_ids,
        actionable=True if defaults else boolean(src),
        informative=True if defaults else boolean(src),
        event_id=opt(lambda: draw_id_text(src)),
        status=opt(lambda: _name(src, _STATUSES)),
        created_at=opt(lambda: draw_timestamp(src), 0.7),
    )
