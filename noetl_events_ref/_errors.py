"""The one error the reference raises, with the kinds of the wire contract (spec section 6)."""

from __future__ import annotations

from typing import Final

__all__ = ["KINDS", "EnvelopeError", "kind_of_syntax_message"]

KINDS: Final = (
    "syntax",
    "missing_field",
    "duplicate_field",
    "invalid_type",
    "invalid_value",
    "invalid_length",
    "invalid_timestamp",
    "number_out_of_range",
    "recursion_limit",
    "invalid_string",
    "conversion",
    "other",
)

# serde_json's Syntax/Eof errors are `syntax` except these (by message text).
_SYNTAX_KINDS: Final = {
    "recursion limit exceeded": "recursion_limit",
    "number out of range": "number_out_of_range",
    "lone leading surrogate in hex escape": "invalid_string",
    "unexpected end of hex escape": "invalid_string",
    "invalid escape": "invalid_string",
    "invalid unicode code point": "invalid_string",
    "control character (\\u0000-\\u001F) found while parsing a string": "invalid_string",
}


def kind_of_syntax_message(code: str) -> str:
    """The error kind of a serde_json syntax error, from its message (without position)."""
    return _SYNTAX_KINDS.get(code, "syntax")


class EnvelopeError(ValueError):
    """Rejection of an envelope, a request or a conversion, as the Rust side rejects it.

    ``kind`` is one of :data:`KINDS`; ``message`` is the exact text the Rust side gives
    (serde_json's, including `` at line L column C``); ``path`` is the JSON path of the
    offending value (``$`` for the document); ``expected``/``got`` describe the mismatch
    when there is one; ``line``/``column`` are serde_json's position (0 when none).
    """

    kind: str
    message: str
    path: str
    expected: str | None
    got: str | None
    line: int
    column: int

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        path: str = "$",
        expected: str | None = None,
        got: str | None = None,
        line: int = 0,
        column: int = 0,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.path = path
        self.expected = expected
        self.got = got
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.message} [{self.kind} at {self.path}]"

    def __repr__(self) -> str:
        return f"EnvelopeError(kind={self.kind!r}, path={self.path!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild,
            (self.kind, self.message, self.path, self.expected, self.got, self.line, self.column),
        )


def _rebuild(
    kind: str,
    message: str,
    path: str,
    expected: str | None,
    got: str | None,
    line: int,
    column: int,
) -> EnvelopeError:
    return EnvelopeError(
        kind, message, path=path, expected=expected, got=got, line=line, column=column
    )
