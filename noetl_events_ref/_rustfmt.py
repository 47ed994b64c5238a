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

import re
from bisect import bisect_right
from typing import Final

from noetl_events_ref._rust_unicode import DEBUG_ESCAPE_ENDS, DEBUG_ESCAPE_STARTS

__all__ = [
    "RustParseIntError",
    "debug_option_str",
    "debug_str",
    "parse_i64",
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
