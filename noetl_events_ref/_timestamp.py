"""A byte-exact twin of chrono's ``DateTime<Utc>`` as it goes through serde.

The Rust envelope of ``noetl-events`` holds ``created_at: chrono::DateTime<Utc>``
(chrono 0.4.45, serde feature).  Under ``serde_json`` that field

* is read by ``<DateTime<FixedOffset> as FromStr>::from_str`` (chrono's *relaxed*
  RFC 3339 parser, ``format/parse.rs`` ``parse_rfc3339_relaxed``) and then
  converted to UTC with ``with_timezone(&Utc)``;
* is written by ``write_rfc3339(.., SecondsFormat::AutoSi, use_z = true)``.

:class:`Timestamp` holds exactly what chrono's ``NaiveDateTime`` holds: a
proleptic-Gregorian date in chrono's range (``-262143-01-01`` ..=
``+262142-12-31``), a time of day and a nanosecond field that is
``>= 1_000_000_000`` during a leap second (which chrono only allows in second
59 of a minute).  Ordering and equality compare these fields, like chrono.

:meth:`Timestamp.parse` accepts exactly the strings that chrono accepts and, on
rejection, raises :class:`TimestampParseError` whose message is chrono's
``ParseError`` ``Display`` text.  The common canonical shapes go through a
compiled regular expression; everything else (and every rejection) goes through
a faithful port of chrono's scanner that works on the UTF-8 bytes, as chrono
does, so byte-length checks behave identically for non-ASCII input.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import TYPE_CHECKING, Final, NoReturn

__all__ = ["Timestamp", "TimestampParseError"]

# --------------------------------------------------------------------------
# chrono's ParseError Display texts (format/mod.rs)
# --------------------------------------------------------------------------
OUT_OF_RANGE: Final = "input is out of range"
IMPOSSIBLE: Final = "no possible date and time matching input"
NOT_ENOUGH: Final = "input is not enough for unique date and time"
INVALID: Final = "input contains invalid characters"
TOO_SHORT: Final = "premature end of input"
TOO_LONG: Final = "trailing input"
BAD_FORMAT: Final = "bad or unsupported format string"


class TimestampParseError(ValueError):
    """A string chrono would reject; ``message`` is chrono's error text."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _fail(message: str) -> NoReturn:
    raise TimestampParseError(message)


# --------------------------------------------------------------------------
# Calendar arithmetic (proleptic Gregorian, any integer year)
# --------------------------------------------------------------------------
# NaiveDate's range in chrono 0.4.45: MAX_YEAR = (i32::MAX >> 13) - 1 and
# MIN_YEAR = (i32::MIN >> 13) + 1, every day of both years included.
MIN_YEAR: Final = -262143
MAX_YEAR: Final = 262142

_I32_MIN: Final = -(2**31)
_I32_MAX: Final = 2**31 - 1
_I64_MIN: Final = -(2**63)
_I64_MAX: Final = 2**63 - 1
_NANOS: Final = 1_000_000_000
_SECS_PER_DAY: Final = 86_400

_MONTH_DAYS: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# 10 ** (9 - n) for a fraction of n digits (chrono's SCALE table, scan.rs).
_SCALE: Final = (
    0,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
)

# "00".."99" -> int, cheaper than int() on the fast path.
_TWO: Final = {f"{i:02d}": i for i in range(100)}


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _month_len(year: int, month: int) -> int:
    if month == 2 and _is_leap(year):
        return 29
    return _MONTH_DAYS[month]


def _valid_date(year: int, month: int, day: int) -> bool:
    """``NaiveDate::from_ymd_opt(year, month, day).is_some()``."""
    return MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12 and 1 <= day <= _month_len(year, month)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 (H. Hinnant's algorithm; floor division throughout)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    mp = month - 3 if month > 2 else month + 9
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Inverse of :func:`_days_from_civil`."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


_MIN_DAYS: Final = _days_from_civil(MIN_YEAR, 1, 1)
_MAX_DAYS: Final = _days_from_civil(MAX_YEAR, 12, 31)


def _shift_day(year: int, month: int, day: int, delta: int) -> tuple[int, int, int] | None:
    """``pred_opt`` (delta -1) / ``succ_opt`` (delta +1).

    ``None`` past chrono's range."""
    if delta < 0:
        if day > 1:
            return year, month, day - 1
        if month > 1:
            return year, month - 1, _month_len(year, month - 1)
        if year <= MIN_YEAR:
            return None
        return year - 1, 12, 31
    if day < _month_len(year, month):
        return year, month, day + 1
    if month < 12:
        return year, month + 1, 1
    if year >= MAX_YEAR:
        return None
    return year + 1, 1, 1


_Key = tuple[int, int, int, int, int, int, int]


def _local_to_utc(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    nano: int,
    offset: int,
) -> _Key | None:
    """``NaiveDateTime::checked_sub_offset`` for a whole-minute ``|offset| < 86400``."""
    secs = hour * 3600 + minute * 60 + second - offset
    delta, secs = divmod(secs, _SECS_PER_DAY)
    if delta:
        shifted = _shift_day(year, month, day, delta)
        if shifted is None:
            return None
        year, month, day = shifted
    minute, second = divmod(secs, 60)
    hour, minute = divmod(minute, 60)
    return (year, month, day, hour, minute, second, nano)


# --------------------------------------------------------------------------
# Faithful port of chrono's relaxed RFC 3339 parser, on UTF-8 bytes
# --------------------------------------------------------------------------
# Rust's `char::is_whitespace` (Unicode White_Space), as UTF-8 byte sequences.
# Note it does NOT include U+001C..U+001F, which Python's str.isspace() does.
_WS_ALT: Final = (
    rb"[\t\n\x0b\x0c\r ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]"
    rb"|\xe2\x81\x9f|\xe3\x80\x80"
)
_skip_ws = re.compile(rb"(?:" + _WS_ALT + rb")*").match
_skip_colon_ws = re.compile(rb"(?::|" + _WS_ALT + rb")*").match
_skip_ascii_digits = re.compile(rb"[0-9]*").match

_DIGITS: Final = frozenset(b"0123456789")
_MINUS_SIGN: Final = "\u2212".encode()  # accepted as a negative offset sign


def _trim_start(s: bytes, pos: int) -> int:
    m = _skip_ws(s, pos)
    assert m is not None  # a starred pattern always matches
    return m.end()


def _number(s: bytes, pos: int, min_digits: int, max_digits: int) -> tuple[int, int]:
    """``scan::number``: ``min..=max`` ASCII digits as a non-negative i64."""
    n = len(s)
    if n - pos < min_digits:
        _fail(TOO_SHORT)
    value = 0
    end = min(n, pos + max_digits)
    i = pos
    while i < end:
        c = s[i]
        if c not in _DIGITS:
            if i - pos < min_digits:
                _fail(INVALID)
            return i, value
        value = value * 10 + (c - 48)
        if value > _I64_MAX:
            _fail(OUT_OF_RANGE)
        i += 1
    return end, value


def _numeric(s: bytes, pos: int, width: int, *, signed: bool = False) -> tuple[int, int]:
    """``Item::Numeric`` in ``parse_internal``: leading whitespace, optional sign."""
    pos = _trim_start(s, pos)
    if signed:
        first = s[pos : pos + 1]
        if first == b"-":
            pos, value = _number(s, pos + 1, 1, _I64_MAX)
            return pos, -value
        if first == b"+":
            return _number(s, pos + 1, 1, _I64_MAX)
    return _number(s, pos, 1, width)


def _literal(s: bytes, pos: int, char: int) -> int:
    """``Item::Literal`` of one ASCII character."""
    if pos >= len(s):
        _fail(TOO_SHORT)
    if s[pos] != char:
        _fail(INVALID)
    return pos + 1


def _timezone_offset(s: bytes, pos: int) -> tuple[int, int]:
    """``scan::timezone_offset(s, colon_or_space, allow_zulu=true,
    allow_missing_minutes=false, allow_tz_minus_sign=true)``."""
    n = len(s)
    if pos < n and s[pos] in b"Zz":
        return pos + 1, 0
    if pos >= n:
        _fail(TOO_SHORT)
    c = s[pos]
    if c == 0x2B:  # '+'
        negative = False
        pos += 1
    elif c == 0x2D:  # '-'
        negative = True
        pos += 1
    elif s.startswith(_MINUS_SIGN, pos):
        negative = True
        pos += len(_MINUS_SIGN)
    else:
        _fail(INVALID)
    # hours (00--99)
    if n - pos < 2:
        _fail(TOO_SHORT)
    h1, h2 = s[pos], s[pos + 1]
    if h1 not in _DIGITS or h2 not in _DIGITS:
        _fail(INVALID)
    hours = (h1 - 48) * 10 + (h2 - 48)
    pos += 2
    m = _skip_colon_ws(s, pos)
    assert m is not None
    pos = m.end()
    # minutes (00--59); missing minutes are not allowed here
    if n - pos < 2:
        _fail(TOO_SHORT)
    m1, m2 = s[pos], s[pos + 1]
    if m2 not in _DIGITS or m1 not in _DIGITS:
        _fail(INVALID)
    if m1 >= 0x36:  # '6'..='9'
        _fail(OUT_OF_RANGE)
    minutes = (m1 - 48) * 10 + (m2 - 48)
    seconds = hours * 3600 + minutes * 60
    return pos + 2, -seconds if negative else seconds


def _parse_slow(text: str) -> _Key:
    """chrono's ``DateTime<FixedOffset>::from_str``, then ``with_timezone(&Utc)``."""
    s = text.encode("utf-8", "surrogatepass")
    n = len(s)

    # ---- DATE_ITEMS: Year, Space, "-", Month, Space, "-", Day
    pos, year = _numeric(s, 0, 4, signed=True)
    if not _I32_MIN <= year <= _I32_MAX:  # Parsed::set_year
        _fail(OUT_OF_RANGE)
    pos = _literal(s, _trim_start(s, pos), 0x2D)
    pos, month = _numeric(s, pos, 2)
    if not 1 <= month <= 12:
        _fail(OUT_OF_RANGE)
    pos = _literal(s, _trim_start(s, pos), 0x2D)
    pos, day = _numeric(s, pos, 2)
    if not 1 <= day <= 31:
        _fail(OUT_OF_RANGE)

    # ---- separator
    if pos >= n:
        _fail(TOO_SHORT)
    if s[pos] not in b"tT ":
        _fail(INVALID)
    pos += 1

    # ---- TIME_ITEMS: Hour, Space, ":", Minute, Space, ":", Second, Nanosecond, Space
    pos, hour = _numeric(s, pos, 2)
    if not 0 <= hour <= 23:
        _fail(OUT_OF_RANGE)
    pos = _literal(s, _trim_start(s, pos), 0x3A)
    pos, minute = _numeric(s, pos, 2)
    if not 0 <= minute <= 59:
        _fail(OUT_OF_RANGE)
    pos = _literal(s, _trim_start(s, pos), 0x3A)
    pos, second = _numeric(s, pos, 2)
    if not 0 <= second <= 60:
        _fail(OUT_OF_RANGE)
    nano = 0
    if pos < n and s[pos] == 0x2E:  # Fixed::Nanosecond: "." then 1+ digits
        start = pos + 1
        pos, value = _number(s, start, 1, 9)
        nano = value * _SCALE[pos - start]
        m = _skip_ascii_digits(s, pos)
        assert m is not None
        pos = m.end()
    pos = _trim_start(s, pos)

    # ---- offset
    pos = _trim_start(s, pos)
    if n - pos >= 3 and s[pos : pos + 3].upper() == b"UTC":
        pos += 3
        offset = 0
    else:
        pos, offset = _timezone_offset(s, pos)

    # ---- FromStr: only whitespace may follow
    if _trim_start(s, pos) != n:
        _fail(TOO_LONG)

    # ---- Parsed::to_datetime
    if not _valid_date(year, month, day):
        _fail(OUT_OF_RANGE)
    if second == 60:  # leap second
        second = 59
        nano += _NANOS
    if not -_SECS_PER_DAY < offset < _SECS_PER_DAY:  # FixedOffset::east_opt
        _fail(OUT_OF_RANGE)
    key = _local_to_utc(year, month, day, hour, minute, second, nano, offset)
    if key is None:  # MappedLocalTime::None
        _fail(IMPOSSIBLE)
    return key


# --------------------------------------------------------------------------
# Fast path for the canonical shapes
# --------------------------------------------------------------------------
_fast_match = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
).fullmatch


def _is_output_form(text: str, frac: str | None) -> bool:
    """True when ``text`` (matched by ``_fast_match``, no offset) is already exactly what
    ``format`` writes for it: ``T``, ``Z``, and a fraction of 0/3/6/9 digits that is not
    shortened by trailing zeros."""
    return (
        text[10] == "T"
        and text[-1] == "Z"
        and (frac is None or (len(frac) in (3, 6, 9) and frac[-3:] != "000"))
    )


def _parse(text: str) -> _Key:
    return _parse_with_form(text)[0]


def _parse_with_form(text: str) -> tuple[_Key, bool]:
    """The instant, and whether ``text`` is already in the output form."""
    m = _fast_match(text)
    if m is None:
        return _parse_slow(text), False
    ys, mos, ds, hs, mis, ss, frac, sign, ohs, oms = m.groups()
    year = int(ys)
    month = _TWO[mos]
    day = _TWO[ds]
    hour = _TWO[hs]
    minute = _TWO[mis]
    second = _TWO[ss]
    if not (
        1 <= month <= 12
        and 1 <= day <= (_MONTH_DAYS[month] if month != 2 or not _is_leap(year) else 29)
        and hour < 24
        and minute < 60
        and second <= 60
    ):
        return _parse_slow(text), False  # for chrono's exact error
    nano = 0 if frac is None else int(frac) * _SCALE[len(frac)]
    if second == 60:
        second = 59
        nano += _NANOS
    if sign is None:
        return (year, month, day, hour, minute, second, nano), _is_output_form(text, frac)
    oh = _TWO[ohs]
    om = _TWO[oms]
    if oh > 23 or om > 59:
        return _parse_slow(text), False
    offset = oh * 3600 + om * 60
    if not offset:
        return (year, month, day, hour, minute, second, nano), False
    # Years 0..=9999 can never leave chrono's range by a < 24 h shift.
    key = _local_to_utc(
        year, month, day, hour, minute, second, nano, -offset if sign == "-" else offset
    )
    assert key is not None
    return key, False


# --------------------------------------------------------------------------
# The value type
# --------------------------------------------------------------------------
def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


_UTC: Final = _dt.UTC


class Timestamp:
    """A UTC instant with nanosecond precision, as chrono's ``DateTime<Utc>``.

    Immutable and hashable.  Fields follow chrono: ``second`` is 0..=59 and a
    leap second is ``second == 59`` with ``nanosecond >= 1_000_000_000``.
    """

    # `_text`: the formatted text, cached (set at parse time when the input was already
    # in output form, else on first `format`).
    __slots__ = ("_key", "_text")

    _key: _Key
    _text: str

    # -- construction ------------------------------------------------------
    def __init__(self) -> None:
        raise TypeError("use Timestamp.parse, from_parts, from_unix_nanos or from_datetime")

    if not TYPE_CHECKING:  # hidden from type checkers so they still flag unknown attributes

        def __setattr__(self, name: str, value: object) -> None:
            raise AttributeError("Timestamp is immutable")

        def __delattr__(self, name: str) -> None:
            raise AttributeError("Timestamp is immutable")

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """What ``serde_json::from_str::<DateTime<Utc>>`` accepts for a JSON
        string holding ``text``; raises :class:`TimestampParseError` with
        chrono's message otherwise."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        obj = object.__new__(cls)
        key, is_output_form = _parse_with_form(text)
        _set_key(obj, key)
        if is_output_form:
            object.__setattr__(obj, "_text", text)
        return obj

    @classmethod
    def from_parts(
        cls,
        year: int,
        month: int,
        day: int,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        nanosecond: int = 0,
    ) -> Timestamp:
        """Validated like ``NaiveDate::from_ymd_opt`` and
        ``NaiveTime::from_hms_nano_opt``: ``second`` 0..=59, ``nanosecond``
        below 2e9 and ``>= 1e9`` (a leap second) only when ``second == 59``."""
        values = (year, month, day, hour, minute, second, nanosecond)
        names = ("year", "month", "day", "hour", "minute", "second", "nanosecond")
        for name, value in zip(names, values, strict=True):
            _check_int(name, value)
        if not _valid_date(year, month, day):
            raise ValueError(f"invalid or out-of-range date: {year}-{month}-{day}")
        if (
            not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60)
            or not 0 <= nanosecond < 2 * _NANOS
            or (nanosecond >= _NANOS and second != 59)
        ):
            raise ValueError(f"invalid time: {hour}:{minute}:{second} and {nanosecond} ns")
        obj = object.__new__(cls)
        _set_key(obj, (year, month, day, hour, minute, second, nanosecond))
        return obj

    @classmethod
    def from_unix_nanos(cls, nanos: int) -> Timestamp:
        """``DateTime::from_timestamp(nanos.div_euclid(1e9), nanos.rem_euclid(1e9))``
        (never a leap second).  Any int whose instant lies in chrono's range is
        accepted (chrono's ``from_timestamp_nanos`` takes an i64, a subset);
        ``ValueError`` outside it."""
        _check_int("nanos", nanos)
        secs, nano = divmod(nanos, _NANOS)
        days, secs = divmod(secs, _SECS_PER_DAY)
        if not _MIN_DAYS <= days <= _MAX_DAYS:
            raise ValueError(f"unix nanos {nanos} out of chrono's date range")
        year, month, day = _civil_from_days(days)
        minute, second = divmod(secs, 60)
        hour, minute = divmod(minute, 60)
        obj = object.__new__(cls)
        _set_key(obj, (year, month, day, hour, minute, second, nano))
        return obj

    @classmethod
    def from_datetime(cls, dt: _dt.datetime, nanosecond: int | None = None) -> Timestamp:
        """An aware ``datetime`` converted to UTC (naive ones: ``ValueError``).

        ``nanosecond`` (0..=999_999_999), when given, is the full sub-second
        part in place of ``dt.microsecond``; it must agree with it
        (``nanosecond // 1000 == dt.microsecond``), else ``ValueError``.
        """
        if not isinstance(dt, _dt.datetime):
            raise TypeError(f"dt must be a datetime, not {type(dt).__name__}")
        offset = dt.utcoffset()
        if offset is None:
            raise ValueError("naive datetime: a timezone-aware datetime is required")
        if nanosecond is None:
            sub = dt.microsecond * 1000
        else:
            _check_int("nanosecond", nanosecond)
            if not 0 <= nanosecond < _NANOS:
                raise ValueError(f"nanosecond {nanosecond} not in 0..=999999999")
            if nanosecond // 1000 != dt.microsecond:
                msg = f"nanosecond {nanosecond} disagrees with dt.microsecond"
                raise ValueError(f"{msg} {dt.microsecond}")
            sub = nanosecond
        local_secs = (
            _days_from_civil(dt.year, dt.month, dt.day) * _SECS_PER_DAY
            + dt.hour * 3600
            + dt.minute * 60
            + dt.second
        )
        offset_us = (offset.days * _SECS_PER_DAY + offset.seconds) * 1_000_000 + offset.microseconds
        return cls.from_unix_nanos(local_secs * _NANOS + sub - offset_us * 1000)

    # -- conversion --------------------------------------------------------
    def format(self) -> str:
        """chrono's serde serialization (RFC 3339, ``Z``, AutoSi fraction)."""
        try:
            return self._text
        except AttributeError:
            pass
        text = self._format()
        object.__setattr__(self, "_text", text)
        return text

    def _format(self) -> str:
        year, month, day, hour, minute, second, nano = self._key
        if nano >= _NANOS:  # leap second
            second += 1
            nano -= _NANOS
        if nano == 0:
            frac = ""
        elif nano % 1_000_000 == 0:
            frac = f".{nano // 1_000_000:03d}"
        elif nano % 1000 == 0:
            frac = f".{nano // 1000:06d}"
        else:
            frac = f".{nano:09d}"
        if 0 <= year <= 9999:
            return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac}Z"
        return f"{year:+05d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac}Z"

    __str__ = format

    def unix_seconds(self) -> int:
        """chrono's ``timestamp()``: whole non-leap seconds since the epoch."""
        year, month, day, hour, minute, second, _ = self._key
        return (
            _days_from_civil(year, month, day) * _SECS_PER_DAY + hour * 3600 + minute * 60 + second
        )

    def to_unix_nanos(self) -> int:
        """chrono's ``timestamp_nanos_opt``: ``timestamp() * 1e9 + nanosecond``
        (so a leap second reads as the first second after it); raises
        ``OverflowError`` where chrono returns ``None`` (outside i64)."""
        value = self.unix_seconds() * _NANOS + self._key[6]
        if not _I64_MIN <= value <= _I64_MAX:
            raise OverflowError("timestamp in nanoseconds does not fit an i64")
        return value

    def to_datetime(self) -> _dt.datetime:
        """A UTC-aware ``datetime`` truncated to microseconds.

        A leap second folds into the following second (as chrono's
        ``SystemTime`` conversion does); a year outside 1..=9999 after that
        raises ``ValueError``.
        """
        year, month, day, hour, minute, second, nano = self._key
        if nano >= _NANOS:
            nano -= _NANOS
            second = 60
        if second == 60:
            secs = hour * 3600 + minute * 60 + second
            delta, secs = divmod(secs, _SECS_PER_DAY)
            if delta:
                shifted = _shift_day(year, month, day, delta)
                if shifted is None:
                    raise ValueError("timestamp out of range for datetime")
                year, month, day = shifted
            minute, second = divmod(secs, 60)
            hour, minute = divmod(minute, 60)
        if not 1 <= year <= 9999:
            raise ValueError(f"year {year} is out of range for datetime")
        return _dt.datetime(year, month, day, hour, minute, second, nano // 1000, tzinfo=_UTC)

    # -- fields ------------------------------------------------------------
    @property
    def year(self) -> int:
        return self._key[0]

    @property
    def month(self) -> int:
        return self._key[1]

    @property
    def day(self) -> int:
        return self._key[2]

    @property
    def hour(self) -> int:
        return self._key[3]

    @property
    def minute(self) -> int:
        return self._key[4]

    @property
    def second(self) -> int:
        return self._key[5]

    @property
    def nanosecond(self) -> int:
        """0..=999_999_999, or 1e9.. during a leap second (chrono's convention)."""
        return self._key[6]

    # -- comparison --------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Timestamp):
            return self._key == other._key
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Timestamp):
            return self._key != other._key
        return NotImplemented

    def __lt__(self, other: Timestamp) -> bool:
        if isinstance(other, Timestamp):
            return self._key < other._key
        return NotImplemented

    def __le__(self, other: Timestamp) -> bool:
        if isinstance(other, Timestamp):
            return self._key <= other._key
        return NotImplemented

    def __gt__(self, other: Timestamp) -> bool:
        if isinstance(other, Timestamp):
            return self._key > other._key
        return NotImplemented

    def __ge__(self, other: Timestamp) -> bool:
        if isinstance(other, Timestamp):
            return self._key >= other._key
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"Timestamp({self.format()!r})"

    # -- copying / pickling (immutable: copies are the same object) ---------
    def __copy__(self) -> Timestamp:
        return self

    def __deepcopy__(self, memo: object) -> Timestamp:
        return self

    def __reduce__(self) -> tuple[object, tuple[int, ...]]:
        return (Timestamp.from_parts, self._key)


# The slot's own descriptor: writes the field without going through __setattr__.
_set_key = Timestamp.__dict__["_key"].__set__
