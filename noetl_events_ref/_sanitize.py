"""noetl-server's redaction of a stored row's ``result`` and ``meta`` (``sanitize_sensitive_data``).

Walking the value from its root at depth 0, the server stops at depth 20: the value found there
is kept whole, secrets and all. Above that depth

- an object member whose key is *sensitive* gets the string ``"[REDACTED]"`` (its value is not
  walked);
- a string that *looks like a credential* becomes ``"[REDACTED]"``;
- objects come out with their keys in ``serde_json::Map`` order (sorted), numbers and the rest
  unchanged.

A key is sensitive when its lowercase form (Rust's full Unicode ``to_lowercase``), with every
``-`` read as ``_``, contains one of :data:`SENSITIVE_KEY_PARTS`. A string looks like a credential
when its lowercase form starts with ``bearer `` or ``basic ``; when it starts ``eyJ``, holds exactly
two ``.`` and is over 50 UTF-8 bytes; when it holds both ``-----BEGIN`` and ``PRIVATE KEY-----``;
or when it is at least 40 UTF-8 bytes long and made only of chars for which Rust's
``char::is_alphanumeric`` holds and of ``+``, ``/``, ``=``. The character tables are Rust's own
(generated into ``_rust_unicode``), not Python's Unicode database.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Final

from ._json import JsonValue
from ._rust_unicode import ALPHANUMERIC_ENDS, ALPHANUMERIC_STARTS, LOWERCASE_WITH_ASCII
from ._sensitive import SENSITIVE_KEY_PARTS

__all__ = [
    "MAX_DEPTH",
    "REDACTED",
    "SENSITIVE_KEY_PARTS",
    "is_sensitive_key",
    "is_sensitive_value",
    "sanitize_value",
]

REDACTED: Final = "[REDACTED]"
MAX_DEPTH: Final = 20
"""The value at this depth (the root is at depth 0) is kept whole, unredacted."""


_LONG_VALUE_BYTES: Final = 40
_JWT_MIN_BYTES: Final = 51  # "over 50 bytes"
_NOT_ASCII: Final = "\x80"  # stands for any lowercase that holds no ASCII char


def _ascii_lowercase_view(s: str) -> str:
    """Rust's ``s.to_lowercase()`` as far as ASCII substrings can tell: ASCII chars exactly,
    every non-ASCII char that lowercases to non-ASCII chars only as one placeholder char (it can
    only break an ASCII match, whatever it becomes), the others from Rust's own table."""
    if s.isascii():
        return s.lower()
    out = []
    for ch in s:
        code = ord(ch)
        if code < 0x80:
            out.append(ch.lower())
        else:
            out.append(LOWERCASE_WITH_ASCII.get(code, _NOT_ASCII))
    return "".join(out)


def _is_alphanumeric(ch: str) -> bool:
    code = ord(ch)
    if code < 0x80:
        return ch.isalnum()
    i = bisect_right(ALPHANUMERIC_STARTS, code) - 1
    return i >= 0 and code <= ALPHANUMERIC_ENDS[i]


def _utf8_len(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


_ANY_PART: Final = re.compile("|".join(map(re.escape, SENSITIVE_KEY_PARTS)))
"""Finds a part in a text exactly when one of the parts is a substring of it (an alternation is
tried at every position), in one pass of the regex engine instead of one ``in`` per part."""


def is_sensitive_key(key: str) -> bool:
    """Would the server redact the value stored under ``key``?"""
    folded = _ascii_lowercase_view(key).replace("-", "_")
    return _ANY_PART.search(folded) is not None


def is_sensitive_value(value: str) -> bool:
    """Would the server redact this string where it stands (above the depth limit)?"""
    lowered = _ascii_lowercase_view(value[:7])
    if lowered.startswith(("bearer ", "basic ")):
        return True
    if value.startswith("eyJ") and value.count(".") == 2 and _utf8_len(value) >= _JWT_MIN_BYTES:
        return True
    if "-----BEGIN" in value and "PRIVATE KEY-----" in value:
        return True
    return _utf8_len(value) >= _LONG_VALUE_BYTES and all(
        ch in "+/=" or _is_alphanumeric(ch) for ch in value
    )


def _sanitize(value: JsonValue, depth: int) -> JsonValue:
    if depth >= MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {
            key: REDACTED if is_sensitive_key(key) else _sanitize(member, depth + 1)
            for key, member in value.items()
        }
    if isinstance(value, list):
        return [_sanitize(item, depth + 1) for item in value]
    if isinstance(value, str) and is_sensitive_value(value):
        return REDACTED
    return value


def sanitize_value(value: JsonValue) -> JsonValue:
    """The value the server stores for ``value`` (a parsed JSON value): a new value, the input is
    left alone. Key order is not changed here; the encoder writes objects sorted, as the server's
    ``serde_json::Map`` does."""
    return _sanitize(value, 0)
