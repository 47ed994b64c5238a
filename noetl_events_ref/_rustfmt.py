"""Byte-exact Python renderings of the Rust formatting that ends up in error messages.

Everything here mirrors Rust 1.95 / serde 1.0.228 / serde_json 1.0.150 and was
checked against a real Rust probe (see tests/ref/test_rustfmt.py):

* :func:`debug_str` - ``format!("{:?}", s)`` for a ``&str``.
* :func:`debug_option_str` - ``format!("{:?}", opt)`` for an ``Option<String>``.
* :func:`display_f64` - ``format!("{}", x)`` for an ``f64``.
* :func:`unexpected_float` - serde's ``Display`` of ``Unexpected::Float(x)``
  (the ``WithDecimalPoint`` wrapper), as used by serde's generic
  ``de::Error::invalid_type`` default implementation.
* :func:`json_unexpected_float` - what a ``serde_json::Error`` actually puts
  between the backticks: serde_json overrides ``invalid_type`` /
  ``invalid_value`` and formats the float with ``zmij`` (``1e+300``, ``1e-7``),
  *not* with ``WithDecimalPoint``.
* :func:`parse_i64` - ``s.parse::<i64>()``, raising :class:`RustParseIntError`.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from typing import Final

from noetl_events_ref._rust_unicode import DEBUG_ESCAPE_ENDS, DEBUG_ESCAPE_STARTS

__all__ = [
    "RustParseIntError",
    "debug_option_str",
    "debug_str",
    "display_f64",
    "json_unexpected_float",
    "parse_i64",
    "unexpected_float",
]

# --------------------------------------------------------------------------
# str Debug
# --------------------------------------------------------------------------

_SHORT_ESCAPES: Final[dict[str, str]] = {
    "\0": "\\0",
    "\t": "\\t",
    "\r": "\\r",
    "\n": "\\n",
    "\\": "\\\\",
    '"': '\\"',
}


def _escape_char_uncached(ch: str) -> str:
    short = _SHORT_ESCAPES.get(ch)
    if short is not None:
        return short
    cp = ord(ch)
    if 0xD800 <= cp <= 0xDFFF:
        raise ValueError(
            f"lone surrogate U+{cp:04X} cannot occur in a Rust str; no Debug rendering exists"
        )
    i = bisect_right(DEBUG_ESCAPE_STARTS, cp) - 1
    if i >= 0 and cp <= DEBUG_ESCAPE_ENDS[i]:
        return f"\\u{{{cp:x}}}"
    return ch


# ASCII is looked up in a table; everything else goes through the bisect.
_ASCII_ESCAPES: Final[tuple[str, ...]] = tuple(_escape_char_uncached(chr(b)) for b in range(128))


def debug_str(s: str) -> str:
    """Rust ``format!("{:?}", s)`` for a ``&str``/``String``, quotes included.

    Rust writes ``\\t \\r \\n \\\\ \\" \\0`` as short escapes, leaves ``'``
    alone, and writes ``\\u{hex}`` (lowercase, unpadded) for every char that is
    not printable per ``core::unicode::printable`` or is grapheme-extended.
    ``impl Debug for str`` escapes grapheme-extended chars at *every*
    position (unlike ``str::escape_debug``, which does so only for the first
    char); the generator in tools/rust_unicode_tables checked this for every
    char. Raises ``ValueError`` for a lone surrogate, which no Rust string can
    hold.
    """
    # Fast path: printable ASCII (0x20..=0x7E) without quote or backslash.
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    ascii_escapes = _ASCII_ESCAPES
    out: list[str] = ['"']
    for ch in s:
        cp = ord(ch)
        out.append(ascii_escapes[cp] if cp < 128 else _escape_char_uncached(ch))
    out.append('"')
    return "".join(out)


def debug_option_str(s: str | None) -> str:
    """Rust ``format!("{:?}", opt)`` for an ``Option<String>``/``Option<&str>``."""
    if s is None:
        return "None"
    return "Some(" + debug_str(s) + ")"


# --------------------------------------------------------------------------
# f64 formatting
# --------------------------------------------------------------------------


def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-trip digits of a finite, non-zero ``abs(x)``.

    Returns ``(digits, exp)`` with no leading or trailing zeros in ``digits``,
    such that ``abs(x) == 0.<digits> * 10**exp`` (``exp`` = position of the
    decimal point relative to the start of ``digits``). ``abs(x)`` is only
    approximately that value. Python's ``repr`` picks the shortest digits that
    round-trip and, among those, the closest, breaking exact ties to the even
    digit: exactly what zmij does; Rust's ``flt2dec`` differs only on exact
    ties (see :func:`_rust_shortest_digits`). Verified against the real crates
    on 400,000+ doubles.
    """
    r = repr(abs(x))
    mantissa, _, exp_text = r.partition("e")
    exp = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    point = len(int_part) + exp
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    return stripped.rstrip("0"), point


def _rust_shortest_digits(x: float) -> tuple[str, int]:
    """Like :func:`_shortest_digits`, but with Rust ``flt2dec``'s tie-breaking.

    When the exact binary value lies exactly halfway between the two shortest
    candidates, Python's ``repr`` (and zmij) pick the even last digit while
    Rust's Dragon4 fallback rounds up (e.g. ``2**-25`` =
    ``2.98023223876953125e-8``: Python ``...95312``, Rust ``...95313``).
    Both candidates are then equally close and both round-trip, so the fix is
    to bump the last digit.
    """
    digits, point = _shortest_digits(x)
    unit_exp = point - len(digits)  # value of one unit in the last digit = 10**unit_exp
    num, den = abs(x).as_integer_ratio()  # den is a power of two
    # A tie means |x| == (2*D + 1) / 2 * 10**unit_exp, whose exact decimal
    # expansion has exactly max(0, 1 - unit_exp) fractional digits; a binary
    # fraction num / 2**k has exactly k. Cheap filter before the exact check.
    if den.bit_length() - 1 != max(0, 1 - unit_exp):
        return digits, point
    twice_next = 2 * int(digits) + 1
    if unit_exp >= 0:
        tie = 2 * num == twice_next * 10**unit_exp * den
    else:
        tie = 2 * num * 10**-unit_exp == twice_next * den
    if tie:
        # The tie partner of an even last digit is one above it: no carry.
        digits = digits[:-1] + chr(ord(digits[-1]) + 1)
    return digits, point


def _fixed(digits: str, point: int) -> str:
    """Plain decimal text of ``0.<digits> * 10**point`` (no exponent)."""
    if point <= 0:
        return "0." + "0" * (-point) + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def display_f64(x: float) -> str:
    """Rust ``format!("{}", x)`` for an ``f64``.

    Shortest round-trip digits, never exponent notation (``1e300`` is a ``1``
    and 300 zeros), no trailing ``.0`` for integral values, ``-0`` for
    negative zero, ``inf`` / ``-inf`` / ``NaN`` (never ``-NaN``).
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0"
    digits, point = _rust_shortest_digits(x)
    return sign + _fixed(digits, point)


def unexpected_float(x: float) -> str:
    """serde's ``Display`` of ``Unexpected::Float(x)``, the text between backticks.

    serde 1.0.228 formats it as ``floating point `{}``` with
    ``WithDecimalPoint(x)``: the f64 ``Display`` output, plus ``.0`` when that
    has no ``.`` and ``x`` is finite. So ``1.0`` -> ``1.0``, ``-0.0`` ->
    ``-0.0``, ``1e300`` -> ``1`` + 300 zeros + ``.0``, ``inf`` -> ``inf``.

    Note: errors built through ``serde_json::Error`` (i.e. every error of
    ``serde_json::from_str`` / ``from_value`` / ...) do *not* use this; see
    :func:`json_unexpected_float`.
    """
    text = display_f64(x)
    if math.isfinite(x) and "." not in text:
        text += ".0"
    return text


def json_unexpected_float(x: float) -> str:
    """The float text inside a ``serde_json::Error`` "invalid type/value" message.

    serde_json 1.0.150 overrides ``de::Error::invalid_type`` and
    ``invalid_value`` and writes ``floating point `{}``` with
    ``zmij::Buffer::new().format(x)``. zmij uses plain notation when the
    decimal exponent of the first significant digit is in ``-5..=15``
    (appending ``.0`` to integral values: ``2.0``, ``1000000000000000.0``,
    ``0.00001``) and scientific notation otherwise (``1e+16``, ``1e-6``,
    ``1.5e-7``, ``1e+300``; no exponent padding, ``.`` dropped for a single
    digit); zero is ``0.0`` / ``-0.0``; non-finite values are ``NaN``, ``inf``,
    ``-inf``. For finite ``x`` this is also exactly ``serde_json::to_string(&x)``.
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0.0"
    digits, point = _shortest_digits(x)
    sci_exp = point - 1  # value = d.ddd * 10**sci_exp
    if -5 <= sci_exp <= 15:
        text = _fixed(digits, point)
        if "." not in text:
            text += ".0"
        return sign + text
    mantissa = digits if len(digits) == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if sci_exp >= 0 else '-'}{abs(sci_exp)}"


# --------------------------------------------------------------------------
# str::parse::<i64>
# --------------------------------------------------------------------------

_EMPTY: Final = "cannot parse integer from empty string"
_INVALID_DIGIT: Final = "invalid digit found in string"
_POS_OVERFLOW: Final = "number too large to fit in target type"
_NEG_OVERFLOW: Final = "number too small to fit in target type"

_KIND_BY_REASON: Final[dict[str, str]] = {
    _EMPTY: "Empty",
    _INVALID_DIGIT: "InvalidDigit",
    _POS_OVERFLOW: "PosOverflow",
    _NEG_OVERFLOW: "NegOverflow",
}

_I64_MAX: Final = (1 << 63) - 1
_I64_MIN_MAGNITUDE: Final = 1 << 63
_I64_MAX_DIGITS: Final = 19  # len(str(2**63)) == 19
_ASCII_DIGITS_RE: Final = re.compile(r"[0-9]*")  # str pattern: [0-9] is ASCII only


class RustParseIntError(ValueError):
    """Rust's ``core::num::ParseIntError``.

    ``reason`` is its ``Display`` text (``str(err)`` is the same);
    ``kind`` is the ``IntErrorKind`` variant name (``Empty``, ``InvalidDigit``,
    ``PosOverflow``, ``NegOverflow``), so ``ParseIntError { kind: ... }`` is
    its ``Debug``.
    """

    reason: str
    kind: str

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = _KIND_BY_REASON.get(reason, "")

    def __str__(self) -> str:
        return self.reason


def parse_i64(s: str) -> int:
    """Rust ``s.parse::<i64>()``: the value, or :class:`RustParseIntError`.

    One optional leading ``+`` or ``-``; then one or more ASCII digits only
    (no whitespace, ``_``, or non-ASCII digits, all of which Python's ``int``
    would accept). A lone sign is an invalid digit. Rust scans left to right
    and checks each char for being a digit before checking for overflow, so
    the error is whichever comes first. Runs in linear time on any input size
    and never trips Python's int/str conversion limit.
    """
    if not s:
        raise RustParseIntError(_EMPTY)
    negative = False
    digits = s
    if s[0] == "+" or s[0] == "-":
        if len(s) == 1:
            raise RustParseIntError(_INVALID_DIGIT)
        negative = s[0] == "-"
        digits = s[1:]
    match = _ASCII_DIGITS_RE.match(digits)
    valid_len = match.end() if match is not None else 0
    # The value of the valid digit prefix decides whether overflow happens
    # before the first invalid char (prefix values only grow as digits are added).
    valid = digits[:valid_len].lstrip("0")
    if len(valid) > _I64_MAX_DIGITS:
        overflow = True
        value = 0
    else:
        value = int(valid) if valid else 0
        overflow = value > (_I64_MIN_MAGNITUDE if negative else _I64_MAX)
    if overflow:
        raise RustParseIntError(_NEG_OVERFLOW if negative else _POS_OVERFLOW)
    if valid_len != len(digits):
        raise RustParseIntError(_INVALID_DIGIT)
    return -value if negative else value
