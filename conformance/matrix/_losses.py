"""What one hop lost: the producer's text against what the consumer kept, field by field.

Both sides are read with a parser that keeps what a hop can change: every number's spelling
and every object's key order. For each canonical envelope field the hop either kept it as it
was, or:

- ``dropped``: the producer wrote it, the consumer kept nothing of it;
- ``derived``: ``defaulted`` when the consumer has it though the producer did not write it;
  ``re-derived`` when it has another value and declared that it re-derives that field;
- ``renamed``: the value was dropped here but kept under another key;
- ``changed``: kept with another value; the kind says how (``number-to-string``,
  ``precision-lost``, ``float-respelled``, ``timestamp-truncated``, ``timestamp-respelled``,
  ``key-order``, ``type``, ``value``), and ``at`` where, for a change inside the field.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import struct
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from conformance.runner._models import CANONICAL_FIELDS
from noetl_events_ref import Timestamp
from noetl_events_ref._timestamp import TimestampParseError

__all__ = ["CHANGE_KINDS", "LOSS_KINDS", "Loss", "compare", "read_envelope"]

LOSS_KINDS: Final = ("dropped", "derived", "changed", "renamed")
CHANGE_KINDS: Final = (
    "number-to-string",
    "precision-lost",
    "float-respelled",
    "timestamp-truncated",
    "timestamp-respelled",
    "key-order",
    "type",
    "value",
)
_SYNONYMS: Final = {"payload": "context"}
_NULL_IS_ABSENT: Final = frozenset({"event_id", "worker_id", "meta"})
_TIMESTAMP: Final = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)


class _Num(str):
    """A JSON number as spelled; never equal to a string (so ``==`` on parsed trees is exact)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is _Num and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


class _Obj(list[tuple[str, Any]]):
    """A JSON object as its members, in order."""


def _read(text: str) -> Any:
    return json.loads(
        text,
        object_pairs_hook=_Obj,
        parse_int=_Num,
        parse_float=_Num,
        parse_constant=_Num,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Loss:
    field: str
    loss: str  # one of LOSS_KINDS
    # changed: one of CHANGE_KINDS; renamed: the new key; derived: defaulted or re-derived
    kind: str | None = None
    at: str | None = None  # for changed: the JSON path inside the envelope

    @property
    def label(self) -> str:
        return self.loss if self.kind is None else f"{self.loss}:{self.kind}"

    @property
    def loses_data(self) -> bool:
        """Everything but a default for a field the producer did not write."""
        return self.kind != "defaulted"


@functools.lru_cache(maxsize=1 << 16)
def read_envelope(text: str) -> dict[str, Any] | None:
    """The top-level members of an envelope text by canonical name (``payload`` read as
    ``context``; a ``null`` optional as absent; an array, the sequence form, by position), or
    ``None`` if it is neither an object nor an array.
    Cached: the caller must not change what it returns."""
    try:
        value = _read(text)
    except ValueError:
        return None
    if isinstance(value, _Obj):
        members: Iterable[tuple[str, Any]] = value
    elif isinstance(value, list):  # the sequence form: serde reads it in field order
        members = zip(CANONICAL_FIELDS, value, strict=False)
    else:
        return None
    out: dict[str, Any] = {}
    for key, member in members:
        name = _SYNONYMS.get(key, key)
        if name in _NULL_IS_ABSENT and member is None:
            continue
        out.setdefault(name, member)
    return out


def compare(produced: str, kept: str, *, derives: Iterable[str] = ()) -> list[Loss]:
    """The losses of one accepted hop, in canonical field order (empty: lossless)."""
    if produced == kept:
        return []
    before = read_envelope(produced) or {}
    after = read_envelope(kept) or {}
    derived = frozenset(derives)
    losses: list[Loss] = []
    extra = {k: v for k, v in after.items() if k not in before}
    for name in CANONICAL_FIELDS:
        if name in before and name not in after:
            moved = next(
                (k for k, v in extra.items() if _change(before[name], v, "$") is None), None
            )
            losses.append(Loss(name, "renamed", moved) if moved else Loss(name, "dropped"))
        elif name in after and name not in before:
            losses.append(Loss(name, "derived", "defaulted"))
        elif name in before:
            change = _change(before[name], after[name], f"$.{name}")
            if change is None:
                continue
            if name in derived:
                losses.append(Loss(name, "derived", "re-derived", change[1]))
            else:
                losses.append(Loss(name, "changed", change[0], change[1]))
    return losses


def _change(a: Any, b: Any, at: str) -> tuple[str, str] | None:
    """``(kind, path)`` of the first difference of ``b`` from ``a``, or ``None``."""
    if type(a) is type(b) and a == b:  # the common case, at C speed
        return None
    if isinstance(a, _Num) or isinstance(b, _Num):
        if isinstance(a, _Num) and isinstance(b, _Num):
            return None if a == b else (_number_change(a, b), at)
        if isinstance(a, _Num) and isinstance(b, str):
            return ("number-to-string", at) if str.__eq__(a, b) else ("type", at)
        return ("type", at)
    if isinstance(a, str) and isinstance(b, str):
        return None if a == b else (_string_change(a, b), at)
    if isinstance(a, _Obj) or isinstance(b, _Obj):
        if not (isinstance(a, _Obj) and isinstance(b, _Obj)):
            return ("type", at)
        da, db = dict(a), dict(b)
        if set(da) != set(db) or len(da) != len(a) or len(db) != len(b):
            return ("value", at)
        for key, value in a:
            inner = _change(value, db[key], f"{at}.{key}")
            if inner is not None:
                return inner
        if [k for k, _ in a] != [k for k, _ in b]:
            return ("key-order", at)
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return ("value", at)
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            inner = _change(x, y, f"{at}[{index}]")
            if inner is not None:
                return inner
        return None
    if type(a) is not type(b):
        return ("type", at)
    return None if a == b else ("value", at)


def _number_change(a: str, b: str) -> str:
    """``float-respelled`` for the same value, ``precision-lost`` when ``b`` is ``a`` rounded
    (:func:`_rounded`), else ``value``."""
    try:
        x, y = Decimal(a), Decimal(b)
    except InvalidOperation:
        return "value"
    if x == y:
        return "float-respelled"
    return "precision-lost" if _rounded(a, b, y) else "value"


MAX_ULPS: Final = 4


def _rounded(a: str, b: str, y: Decimal) -> bool:
    """Whether the kept number ``b`` (value ``y``) is the produced number ``a`` rounded: both
    read as finite doubles; ``b`` is spelled as a double is written (at most 17 significant
    digits, or exactly the value of a double); and the two doubles are the same, or, unless
    both are spelled as integers, at most :data:`MAX_ULPS` units in the last place apart (a
    parser or printer off by an ULP or two, as serde_json without ``float_roundtrip``). An
    integer read through a double keeps that double: two integers on two doubles differ."""
    fa, fb = float(a), float(b)
    if not (math.isfinite(fa) and math.isfinite(fb)):
        return False
    if _significant_digits(y) > 17 and y != Decimal(fb):
        return False
    if fa == fb:
        return True
    if _integer(a) and _integer(b):
        return False
    return abs(_ordered(fa) - _ordered(fb)) <= MAX_ULPS


def _significant_digits(value: Decimal) -> int:
    digits = "".join(map(str, value.as_tuple().digits)).strip("0")
    return max(1, len(digits))


def _integer(spelling: str) -> bool:
    return not any(c in spelling for c in ".eE")


def _ordered(value: float) -> int:
    """``value``'s bits as an integer that counts doubles in order (adjacent doubles differ by
    one, ``-0.0`` and ``0.0`` are both 0)."""
    bits = int.from_bytes(struct.pack("<d", value), "little", signed=True)
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def _string_change(a: str, b: str) -> str:
    ma, mb = _TIMESTAMP.match(a), _TIMESTAMP.match(b)
    if ma is None or mb is None:
        return "value"
    instant = _instant_change(a, b, len(mb.group(2) or ""))
    if instant is not None:
        return instant
    fa, fb = (ma.group(2) or "").rstrip("0"), (mb.group(2) or "").rstrip("0")
    zone_a, zone_b = _zone(ma.group(3)), _zone(mb.group(3))
    if ma.group(1).upper().replace(" ", "T") != mb.group(1).upper().replace(" ", "T"):
        return "value"
    if zone_a != zone_b:
        return "value"
    if fa == fb:
        return "timestamp-respelled"
    if fa.startswith(fb):
        return "timestamp-truncated"
    return "value"


def _instant_change(a: str, b: str, digits: int) -> str | None:
    """Two timestamps as instants (chrono's reading, so any offset): the same instant is a
    respelling, ``b`` (with ``digits`` fraction digits) the instant of ``a`` cut to those
    digits a truncation. ``None`` when either is not a timestamp chrono reads."""
    try:
        x, y = Timestamp.parse(a).to_unix_nanos(), Timestamp.parse(b).to_unix_nanos()
    except TimestampParseError:
        return None
    if x == y:
        return "timestamp-respelled"
    step = 10 ** (9 - min(digits, 9))
    if y == x - x % step:
        return "timestamp-truncated"
    return "value"


def _zone(zone: str) -> str:
    return "+00:00" if zone in ("Z", "z", "-00:00") else zone
