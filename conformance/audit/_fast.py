"""Proofs of validity with orjson: the auditor's fast path.

A prover takes a block of lines (bytes, without their newlines) and returns the event types of
the lines it *proved* ``noetl_events_ref`` (hence serde_json) accepts, and the indices of the
others. Not proved never means invalid, only "ask the exact reference": nothing here ever
rejects a line.

orjson parses JSON almost as serde_json does. Where they differ, a guard sends the line on:

=================================  =============================================================
orjson vs serde_json               guard
=================================  =============================================================
a repeated key: orjson keeps the   no member was dropped: ``dumps(loads(line)) == line`` (for a
last one, serde rejects a          batch at once: the dump of the list of objects equals the
repeated field                     lines joined by commas), or else the line has as many ``:``
                                   as the dump (one per member; string contents keep theirs)
                                   and no ``\\u003a`` escape
nesting: orjson allows far         the dump above is made with the objects inside enough lists
deeper than serde's 127 levels     that orjson's own writer fails past 100 levels (measured
                                   when this module loads); line by line: at most 100
                                   ``[``/``{`` bytes
floats: orjson rounds correctly,   no float at or above 1e308 in the dump
serde's inexact arithmetic can     (``1.7976931348623158e308``: finite to orjson, out of range
overflow near f64::MAX             to serde)
``-0`` is orjson's integer 0       ids are proved only when positive (an id of 0 is left to
                                   the reference)
lone surrogates, NaN, a BOM,       orjson rejects them itself: checked when this module loads
control characters, bad UTF-8,     (the fast path stays off if the installed orjson does not)
trailing commas, leading zeros
=================================  =============================================================

Then the fields are checked against serde derive's rules for the record, conservatively:
a leap second, February 29, an offset other than ``Z``, a negative id, the array form... are
left to the reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Final

from noetl_events_ref._json import I64_MAX, U64_MAX

__all__ = ["BlockProver", "available", "event_prover", "request_prover"]

BlockProver = Callable[[Sequence[bytes]], tuple[list[str], list[int]]]
"""``lines -> (event types of the proved lines, ascending indices of the others)``."""

_MAX_DEPTH: Final = 100  # serde_json allows 127 nested arrays/objects: a wide margin
_BATCH: Final = 64  # lines proved together: small enough to stay in the CPU caches

_TIMESTAMP_PATTERN: Final = (
    # chrono's RFC 3339 in its plainest spelling, every field in range; no Feb 29, no leap second
    r"[0-9]{4}-(?:"
    r"(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8])"
    r")T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?Z"
)
_timestamp_ok: Final = re.compile(_TIMESTAMP_PATTERN).fullmatch
_timestamps_ok: Final = re.compile(f"(?:{_TIMESTAMP_PATTERN}\n)*{_TIMESTAMP_PATTERN}").fullmatch


def _import_orjson() -> Any:
    try:
        import orjson
    except ImportError:  # the base install: no fast path
        return None
    return orjson


_orjson: Final[Any] = _import_orjson()

_MUST_REJECT: Final = (
    b'"\\ud800"',
    b'"\\udc00"',
    b'"\\ud800\\u0041"',
    b'"\\ud800x"',
    b'"\\udbff\\ud800"',
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"\xef\xbb\xbf{}",
    b'"\x01"',
    b'"\x1f"',
    b'"\xff"',
    b'"\xed\xa0\x80"',
    b'"\xc0\xaf"',
    b"1e400",
    b"1" + b"0" * 400,
    b"[1,]",
    b'{"a":1,}',
    b"01",
    b"-01",
    b"1.",
    b".5",
    b"+1",
    b"1e",
    b"\x0c{}",
    b"{} x",
    b"{}{}",
    b"",
    b" ",
    b'"\\x"',
    b'"\\u12"',
    b"'a'",
    b"{a:1}",
)


def _nesting_lists() -> int:
    """How many lists must wrap the list of objects so that ``orjson.dumps`` fails exactly
    when an object nests deeper than ``_MAX_DEPTH`` (whatever the innermost value)."""
    assert _orjson is not None

    def nested(depth: int, kind: str, core: Any) -> Any:
        """An object ``depth`` levels deep: ``kind`` containers around ``core``."""
        v = core
        for _ in range(depth - 1 - isinstance(core, (list, dict))):
            v = [v] if kind == "[" else {"k": v}
        return {"k": v}

    def dumps_ok(wraps: int, obj: Any) -> bool:
        v: Any = [obj]
        for _ in range(wraps):
            v = [v]
        try:
            _orjson.dumps(v)
        except _orjson.JSONEncodeError:
            return False
        return True

    cores: tuple[Any, ...] = (0, [], {}, "s")
    kinds = [(kind, core) for kind in "[{" for core in cores]
    too_deep = [nested(_MAX_DEPTH + 1, kind, core) for kind, core in kinds]
    shallow = [nested(_MAX_DEPTH - 10, kind, core) for kind, core in kinds]
    # the fewest wraps that make every too-deep shape fail (more wraps: fails sooner)
    low, high = 0, 400
    while low < high:
        mid = (low + high) // 2
        if all(not dumps_ok(mid, obj) for obj in too_deep):
            high = mid
        else:
            low = mid + 1
    if low == 400 or not all(dumps_ok(low, obj) for obj in shallow):
        return -1
    return low


def _orjson_settings() -> tuple[bytes, int | None, int] | None:
    """Check the installed orjson behaves as the guards assume. Returns how it spells 1e308
    (found in every dump of a float at or above it), a byte every such spelling holds but few
    lines do (or None), and the nesting wraps; None means the fast path must stay off."""
    if _orjson is None:
        return None
    for text in _MUST_REJECT:
        try:
            _orjson.loads(text)
        except _orjson.JSONDecodeError:
            continue
        return None
    try:
        huge = _orjson.dumps(1e308)
        top = _orjson.dumps(1.7976931348623157e308)
        colon = _orjson.dumps({"a:b": "c:d", "e": [1.5, -0.0, "\x7f\u2028\U0001f600"]})
    except _orjson.JSONEncodeError:
        return None
    marker = huge[1:]  # b"e308" or b"e+308"
    if not huge.startswith(b"1e") or not top.endswith(marker) or colon.count(b":") != 4:
        return None
    wraps = _nesting_lists()
    if wraps < 0:
        return None
    return marker, (0x2B if b"+" in marker else None), wraps


_SETTINGS: Final = _orjson_settings()


def available() -> bool:
    """Whether the fast path is on (orjson installed and behaving as the guards assume)."""
    return _SETTINGS is not None


def _line_guard() -> Callable[[Any, bytes], bool]:
    """``(object, line) -> True`` when serde_json reads the same members from ``line`` as
    orjson did: nothing dropped, no huge float, shallow enough. One line at a time."""
    assert _orjson is not None
    assert _SETTINGS is not None
    dumps = _orjson.dumps
    marker, prefilter, _ = _SETTINGS

    def guard(obj: Any, line: bytes) -> bool:
        if len(line) - len(line.replace(b"{", b"").replace(b"[", b"")) > _MAX_DEPTH:
            return False  # (and orjson could not dump it)
        dumped = dumps(obj)
        if dumped != line and (
            line.count(b":") != dumped.count(b":")
            or (0x5C in line and (b"\\u003a" in line or b"\\u003A" in line))
        ):
            return False
        return not ((prefilter is None or prefilter in dumped) and marker in dumped)

    return guard


def _batch_guard() -> Callable[[list[Any], Sequence[bytes]], bool]:
    """``(objects, their lines) -> True`` when every line is exactly orjson's own writing of
    its object (so nothing was dropped), no object nests deeper than ``_MAX_DEPTH`` and no
    float is huge.

    Each line parsed alone into one value, so no line can start with the end of another: when
    the dump of the list equals ``[`` + the lines joined by commas + ``]``, each line equals
    the dump of its own object."""
    assert _orjson is not None
    assert _SETTINGS is not None
    dumps, encode_error = _orjson.dumps, _orjson.JSONEncodeError
    marker, prefilter, wraps = _SETTINGS
    opening, closing = b"[" * (wraps + 1), b"]" * (wraps + 1)
    # The objects go into `holder`, at the bottom of `wraps` lists made once (not per batch).
    holder: list[Any] = []
    wrapped: Any = holder
    for _ in range(wraps):
        wrapped = [wrapped]

    def guard(objs: list[Any], lines: Sequence[bytes]) -> bool:
        holder[:] = objs
        try:
            dumped = dumps(wrapped)
        except encode_error:
            return False  # too deep somewhere
        finally:
            holder.clear()
        parts = list(lines)
        parts[0] = opening + parts[0]
        parts[-1] = parts[-1] + closing
        if dumped != b",".join(parts):
            return False
        return not ((prefilter is None or prefilter in dumped) and marker in dumped)

    return guard


def _settle(
    chunk: Sequence[bytes],
    start: int,
    slow: list[int],
    first_slow: int,
    objs: list[Any],
    stamps: list[str],
    types: list[str],
    batch_guard: Callable[[list[Any], Sequence[bytes]], bool],
    line_guard: Callable[[Any, bytes], bool],
    proved: list[str],
) -> None:
    """Finish a batch: the candidates (lines that passed the field checks) are proved at once
    when possible, else one by one; the failures join ``slow`` in ascending order."""
    if not objs:
        return
    indices: Sequence[int] = range(start, start + len(chunk))
    lines = chunk
    if len(objs) != len(chunk):
        skipped = set(slow[first_slow:])
        indices = [i for i in indices if i not in skipped]
        lines = [chunk[i - start] for i in indices]
    joined_stamps = "\n".join(stamps)
    if (
        joined_stamps.count("\n") == len(stamps) - 1
        and _timestamps_ok(joined_stamps) is not None
        and batch_guard(objs, lines)
    ):
        proved.extend(types)
        return
    # Some line failed: prove them one by one.
    failed: list[int] = []
    for i, obj, line, stamp, event_type in zip(indices, objs, lines, stamps, types, strict=True):
        if _timestamp_ok(stamp) is not None and line_guard(obj, line):
            proved.append(event_type)
        else:
            failed.append(i)
    if failed:
        slow[first_slow:] = sorted([*slow[first_slow:], *failed])


def event_prover() -> BlockProver | None:
    """A prover for ``ExecutorEvent`` lines, or None when orjson cannot be used."""
    if _orjson is None or _SETTINGS is None:
        return None
    loads, decode_error = _orjson.loads, _orjson.JSONDecodeError
    batch_guard, line_guard = _batch_guard(), _line_guard()
    i64_max = I64_MAX

    def prove(lines: Sequence[bytes]) -> tuple[list[str], list[int]]:
        proved: list[str] = []
        slow: list[int] = []
        defer = slow.append
        for start in range(0, len(lines), _BATCH):
            chunk = lines[start : start + _BATCH]
            first_slow = len(slow)
            objs: list[Any] = []
            stamps: list[str] = []
            types: list[str] = []
            add_obj, add_stamp, add_type = objs.append, stamps.append, types.append
            for i, line in enumerate(chunk, start):
                try:
                    obj = loads(line)
                    # (a line that is not an object raises TypeError here)
                    v = obj["execution_id"]
                    event_type = obj["event_type"]
                    step = obj["step"]
                    status = obj["status"]
                    stamp = obj["created_at"]
                except (decode_error, KeyError, TypeError):
                    defer(i)
                    continue
                if (
                    type(v) is not int
                    or not 0 < v <= i64_max
                    or type(event_type) is not str
                    or type(step) is not str
                    or type(status) is not str
                    or type(stamp) is not str
                    or ("context" in obj) is ("payload" in obj)  # both (repeated), or missing
                ):
                    defer(i)
                    continue
                get = obj.get
                v = get("event_id")
                if v is not None and (type(v) is not int or not 0 < v <= i64_max):
                    defer(i)
                    continue
                v = get("worker_id")
                if v is not None and type(v) is not str:
                    defer(i)
                    continue
                add_obj(obj)  # meta: any JSON value
                add_stamp(stamp)
                add_type(event_type)
            _settle(
                chunk,
                start,
                slow,
                first_slow,
                objs,
                stamps,
                types,
                batch_guard,
                line_guard,
                proved,
            )
        return proved, slow

    return prove


def _request_fields(obj: dict[str, Any]) -> tuple[str, str | None] | None:
    """``(event_type, created_at or None)`` when the fields of an ``EventRequest`` object read as
    serde reads them (timestamps checked by the caller), else None."""
    get = obj.get
    v = get("execution_id")
    if not (type(v) is str or (type(v) is int and 0 < v <= U64_MAX)):
        return None
    if type(get("step")) is not str:
        return None
    if "name" in obj:
        if "event_type" in obj:
            return None  # a duplicate to serde
        event_type = obj["name"]
    else:
        event_type = get("event_type")
    if type(event_type) is not str or ("payload" in obj and "context" in obj):
        return None
    for key in ("worker_id", "result_uri", "status"):
        v = get(key)
        if v is not None and type(v) is not str:
            return None
    if type(get("result_kind", "")) is not str:
        return None
    if type(get("actionable", True)) is not bool or type(get("informative", True)) is not bool:
        return None
    ids = get("event_ids")
    if ids is not None:
        if type(ids) is not list:
            return None
        for v in ids:
            if type(v) is not int or not 0 < v <= I64_MAX:
                return None
    v = get("event_id")
    if v is not None and not (type(v) is str or (type(v) is int and 0 < v <= U64_MAX)):
        return None
    stamp = get("created_at")
    if stamp is not None and type(stamp) is not str:
        return None
    return event_type, stamp  # payload, meta: any JSON value


def request_prover() -> BlockProver | None:
    """A prover for the server's ``EventRequest`` lines, or None when orjson cannot be used."""
    if _orjson is None or _SETTINGS is None:
        return None
    loads, decode_error = _orjson.loads, _orjson.JSONDecodeError
    line_guard = _line_guard()

    def prove(lines: Sequence[bytes]) -> tuple[list[str], list[int]]:
        proved: list[str] = []
        slow: list[int] = []
        for i, line in enumerate(lines):
            try:
                obj = loads(line)
            except decode_error:
                slow.append(i)
                continue
            fields = _request_fields(obj) if type(obj) is dict else None
            if (
                fields is None
                or (fields[1] is not None and _timestamp_ok(fields[1]) is None)
                or not line_guard(obj, line)
            ):
                slow.append(i)
                continue
            proved.append(fields[0])
        return proved, slow

    return prove
