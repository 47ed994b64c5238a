"""Text as reports show it: characters that would be obeyed rather than seen (line breaks,
terminal escapes) escaped, and lone surrogates made encodable. Light on purpose: ``check``
loads it on every run."""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["escape_surrogates", "no_json_constant", "visible"]

_INVISIBLE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""C0 and C1 controls (U+009B is a terminal's CSI), line separators and lone surrogates."""
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """``text`` with every lone surrogate written as its ``\\uXXXX`` escape: any string an
    implementation answers can then be encoded, printed and sent between processes. Inside a
    JSON string literal the escape means the same string."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def visible(text: str) -> str:
    """``text`` with control and line-breaking characters escaped, everything else raw."""
    return _INVISIBLE.sub(
        lambda m: f"\\u{ord(m.group()):04x}" if m.group() not in "\n\t" else repr(m.group())[1:-1],
        text,
    )


def no_json_constant(name: str) -> Any:
    """``json.loads``'s ``parse_constant``: ``NaN``, ``Infinity`` and ``-Infinity``, which
    Python's json reads, are no JSON (serde_json and every other reader refuse them)."""
    raise ValueError(f"{name} is not JSON")
