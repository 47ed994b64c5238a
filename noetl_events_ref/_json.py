"""A serde_json 1.0.150 twin: its parser (with its errors and positions) and its writer.

The parser follows serde_json's ``Deserializer`` step by step, over UTF-8 bytes, so that
every error carries serde_json's exact text and `` at line L column C``. Its control flow
mirrors the Rust code on purpose (the position of an error depends on which bytes were
consumed when it was raised); the comments name the Rust function each method stands for.

Values are plain Python JSON values: ``None``, ``bool``, ``int`` (within
``[i64::MIN, u64::MAX]``), ``float`` (finite), ``str``, ``list`` and ``dict`` with ``str``
keys. They are written back the way ``serde_json::to_string`` writes a ``Value``: compact,
object keys sorted by code point, floats in serde_json's spelling.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias

from ._errors import EnvelopeError, kind_of_syntax_message
from ._rustfmt import debug_str

__all__ = [
    "I64_MAX",
    "I64_MIN",
    "U64_MAX",
    "Fallback",
    "Field",
    "JsonLike",
    "JsonValue",
    "Parser",
    "SerdeError",
    "StructSpec",
    "encode_str",
    "encode_value",
    "format_f64",
    "has_nonportable_float",
    "key_step",
    "parse_value",
    "serde_float",
]

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
# What the records accept and expose: read-only and covariant, so `{"a": [1]}` fits. A
# record keeps a private dict/list copy (`_check_json`); the encoders see only those.
JsonLike: TypeAlias = (
    "bool | int | float | str | Sequence[JsonLike] | Mapping[str, JsonLike] | None"
)

I64_MIN: Final = -(1 << 63)
I64_MAX: Final = (1 << 63) - 1
U64_MAX: Final = (1 << 64) - 1
_U64_TENTH: Final = U64_MAX // 10  # 1844674407370955161
_U64_LAST: Final = U64_MAX % 10  # 5
_I32_MAX: Final = (1 << 31) - 1
_I32_MIN: Final = -(1 << 31)
_I32_TENTH: Final = _I32_MAX // 10
_I32_LAST: Final = _I32_MAX % 10
_POW10: Final = tuple(float(f"1e{k}") for k in range(309))
_RECURSION_LIMIT: Final = 128

_WS: Final = re.compile(rb"[ \t\n\r]*")
_DIGITS: Final = re.compile(rb"[0-9]*")
_STR_STOP: Final = re.compile(rb'["\\\x00-\x1f]')
_HEX: Final = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}

# byte values
_QUOTE, _BSLASH, _LBRACK, _RBRACK, _LBRACE, _RBRACE = 0x22, 0x5C, 0x5B, 0x5D, 0x7B, 0x7D
_COMMA, _COLON, _MINUS, _PLUS, _DOT, _ZERO, _NINE = 0x2C, 0x3A, 0x2D, 0x2B, 0x2E, 0x30, 0x39
_SIMPLE_ESCAPES: Final = {
    ord('"'): '"',
    ord("\\"): "\\",
    ord("/"): "/",
    ord("b"): "\b",
    ord("f"): "\f",
    ord("n"): "\n",
    ord("r"): "\r",
    ord("t"): "\t",
}

# serde_json ErrorCode texts
EOF_LIST: Final = "EOF while parsing a list"
EOF_OBJECT: Final = "EOF while parsing an object"
EOF_STRING: Final = "EOF while parsing a string"
EOF_VALUE: Final = "EOF while parsing a value"
EXPECTED_COLON: Final = "expected `:`"
EXPECTED_LIST_COMMA_OR_END: Final = "expected `,` or `]`"
EXPECTED_OBJECT_COMMA_OR_END: Final = "expected `,` or `}`"
EXPECTED_IDENT: Final = "expected ident"
EXPECTED_VALUE: Final = "expected value"
INVALID_ESCAPE: Final = "invalid escape"
INVALID_NUMBER: Final = "invalid number"
NUMBER_OUT_OF_RANGE: Final = "number out of range"
INVALID_CODE_POINT: Final = "invalid unicode code point"
CONTROL_CHARACTER: Final = "control character (\\u0000-\\u001F) found while parsing a string"
KEY_MUST_BE_A_STRING: Final = "key must be a string"
LONE_SURROGATE: Final = "lone leading surrogate in hex escape"
TRAILING_COMMA: Final = "trailing comma"
TRAILING_CHARACTERS: Final = "trailing characters"
UNEXPECTED_END_OF_HEX_ESCAPE: Final = "unexpected end of hex escape"
RECURSION_LIMIT: Final = "recursion limit exceeded"


class Fallback(Exception):
    """The fast path cannot prove its answer equals serde_json's: use the exact parser."""


class SerdeError(Exception):
    """An error in flight, shaped like serde_json's ``Error`` (line 0 = not yet positioned)."""

    __slots__ = ("code", "column", "expected", "got", "kind", "line", "path", "trace")

    def __init__(
        self,
        kind: str,
        code: str,
        line: int,
        column: int,
        path: str,
        expected: str | None = None,
        got: str | None = None,
        trace: str | None = None,
    ) -> None:
        super().__init__(code)
        self.kind = kind
        self.code = code
        self.line = line
        self.column = column
        self.path = path
        self.expected = expected
        self.got = got
        # Where serde_path_to_error (axum's `Json`) places the error; None: no path shown.
        self.trace = trace

    @property
    def message(self) -> str:
        if self.line == 0:
            return self.code
        return f"{self.code} at line {self.line} column {self.column}"

    def to_envelope_error(self) -> EnvelopeError:
        return EnvelopeError(
            self.kind,
            self.message,
            path=self.path,
            expected=self.expected,
            got=self.got,
            line=self.line,
            column=self.column,
        )


def _unexpected(value: object) -> str:
    """serde's ``Unexpected`` display for a decoded scalar."""
    if value is None:
        return "null"
    if value is True:
        return "boolean `true`"
    if value is False:
        return "boolean `false`"
    if isinstance(value, float):
        # serde_json's JsonUnexpected: its own float spelling, not serde's Display
        return f"floating point `{format_f64(value)}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, str):
        return f"string {debug_str(value)}"
    raise AssertionError(value)


_SEQUENCE: Final = object()
_MAP: Final = object()


class Field:
    """One struct field as serde derive sees it: wire name, aliases, how to read it, default.

    ``map_only``: the default is serde's implicit one for an ``Option`` field without
    ``#[serde(default)]``: it fills a missing key of the object form, but the array form must
    still carry the element (a short array is an invalid length).
    """

    __slots__ = ("aliases", "default", "fast", "keys", "map_only", "name", "read")

    def __init__(
        self,
        name: str,
        read: Callable[[Parser], Any],
        fast: Callable[[Any], Any],
        *,
        aliases: Sequence[str] = (),
        default: Callable[[], Any] | None = None,
        map_only: bool = False,
    ) -> None:
        self.name = name
        self.map_only = map_only
        self.read = read
        self.fast = fast  # converts a value Python's json decoded, or raises Fallback
        self.aliases = tuple(aliases)
        self.keys = (name, *self.aliases)
        self.default = default


class StructSpec:
    """A struct's fields in declaration order, with serde derive's error wording."""

    __slots__ = ("expecting", "fields", "index", "length_expecting", "name", "quoted_names")

    def __init__(self, name: str, fields: Sequence[Field]) -> None:
        self.name = name
        self.fields = tuple(fields)
        self.index: dict[str, int] = {}
        for i, f in enumerate(self.fields):
            for key in (f.name, *f.aliases):
                self.index[key] = i
        self.quoted_names = tuple(f'"{k}"' for k in self.index)  # aliases included
        self.expecting = f"struct {name}"
        self.length_expecting = f"struct {name} with {len(self.fields)} elements"


_UNSET: Final = object()


class _WireKey(str):
    """A struct field's name on the path, remembering the key the input spelled it with (an
    alias such as ``name`` for ``event_type``)."""

    wire: str

    def __new__(cls, name: str, wire: str) -> _WireKey:
        obj = super().__new__(cls, name)
        obj.wire = wire
        return obj


_UNKNOWN: Final = None  # serde_path_to_error's `?`: a map entry whose key was not read


def key_step(key: str) -> str:
    """A key as a step of a JSON path, as the kit spells every path (findings, hazards,
    differences): ``.key`` when it is an identifier, else the key as a JSON string in
    brackets (``["a b"]``)."""
    return f".{key}" if key.isidentifier() else f"[{json.dumps(key, ensure_ascii=False)}]"


def trace_text(segments: Sequence[str | int | None]) -> str | None:
    """serde_path_to_error's ``Path`` display: ``a.b[0].c``; ``None`` when no segment is known
    (it then shows no path). An empty key is a known segment that displays as nothing."""
    if all(seg is None for seg in segments):
        return None
    out: list[str] = []
    separator = ""
    for seg in segments:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        else:
            out.append(separator)
            out.append("?" if seg is None else seg)
        separator = "."
    return "".join(out)


class Parser:
    """serde_json's ``Deserializer<SliceRead>`` over one document."""

    __slots__ = ("buf", "depth", "i", "n", "path")

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.n = len(buf)
        self.i = 0
        self.depth = _RECURSION_LIMIT
        self.path: list[str | int] = []

    # ---- positions and errors -------------------------------------------------------

    def _position(self, i: int) -> tuple[int, int]:
        start = self.buf.rfind(b"\n", 0, i) + 1
        return 1 + self.buf.count(b"\n", 0, start), i - start

    def json_path(self) -> str:
        out = ["$"]
        for part in self.path:
            out.append(f"[{part}]" if isinstance(part, int) else key_step(part))
        return "".join(out)

    def trace(self, *extra: str | int | None) -> str | None:
        """The path serde_path_to_error reports for an error raised here (wire keys)."""
        return trace_text([getattr(p, "wire", p) for p in self.path] + list(extra))

    def error(self, code: str) -> SerdeError:
        """``Deserializer::error``: positioned at the last consumed byte."""
        line, col = self._position(self.i)
        kind = kind_of_syntax_message(code)
        return SerdeError(kind, code, line, col, self.json_path(), trace=self.trace())

    def peek_error(self, code: str) -> SerdeError:
        """``Deserializer::peek_error``: positioned at the peeked byte."""
        line, col = self._position(min(self.n, self.i + 1))
        kind = kind_of_syntax_message(code)
        return SerdeError(kind, code, line, col, self.json_path(), trace=self.trace())

    def data_error(
        self, kind: str, code: str, expected: str | None = None, got: str | None = None
    ) -> SerdeError:
        """A ``de::Error`` raised by a visitor: unpositioned until ``fix_position``."""
        return SerdeError(kind, code, 0, 0, self.json_path(), expected, got, self.trace())

    def invalid_type(self, got: str, expected: str) -> SerdeError:
        return self.data_error(
            "invalid_type", f"invalid type: {got}, expected {expected}", expected, got
        )

    def fix_position(self, err: SerdeError) -> SerdeError:
        if err.line == 0:
            err.line, err.column = self._position(self.i)
        return err

    # ---- bytes -----------------------------------------------------------------------

    def peek(self) -> int:
        return self.buf[self.i] if self.i < self.n else -1

    def ws(self) -> int:
        """``parse_whitespace``: skip whitespace, return the next byte (-1 at EOF)."""
        i = self.i
        if i < self.n and self.buf[i] in b" \t\n\r":
            i = _WS.match(self.buf, i).end()  # type: ignore[union-attr]
            self.i = i
        return self.buf[i] if i < self.n else -1

    def end(self) -> None:
        """``Deserializer::end``: only whitespace may follow the value."""
        if self.ws() >= 0:
            raise self.peek_error(TRAILING_CHARACTERS)

    def parse_ident(self, ident: bytes) -> None:
        for expected in ident:
            if self.i >= self.n:
                raise self.error(EOF_VALUE)
            got = self.buf[self.i]
            self.i += 1
            if got != expected:
                raise self.error(EXPECTED_IDENT)

    # ---- numbers (default features: not float_roundtrip) -------------------------------

    def parse_integer(self, positive: bool) -> int | float:
        if self.i >= self.n:
            raise self.error(EOF_VALUE)
        c = self.buf[self.i]
        self.i += 1
        if c == _ZERO:
            if _ZERO <= self.peek() <= _NINE:
                raise self.peek_error(INVALID_NUMBER)
            return self.parse_number(positive, 0)
        if not _ZERO <= c <= _NINE:
            raise self.error(INVALID_NUMBER)
        end = _DIGITS.match(self.buf, self.i).end()  # type: ignore[union-attr]
        significand = c - _ZERO
        i = self.i
        while i < end:
            digit = self.buf[i] - _ZERO
            if significand >= _U64_TENTH and (significand > _U64_TENTH or digit > _U64_LAST):
                # parse_long_integer: further integer digits only raise the exponent
                self.i = end
                exponent = end - i
                nxt = self.peek()
                if nxt == _DOT:
                    return self.parse_decimal(positive, significand, exponent)
                if nxt in (0x65, 0x45):
                    return self.parse_exponent(positive, significand, exponent)
                return self.f64_from_parts(positive, significand, exponent)
            significand = significand * 10 + digit
            i += 1
        self.i = end
        return self.parse_number(positive, significand)

    def parse_number(self, positive: bool, significand: int) -> int | float:
        nxt = self.peek()
        if nxt == _DOT:
            return self.parse_decimal(positive, significand, 0)
        if nxt in (0x65, 0x45):
            return self.parse_exponent(positive, significand, 0)
        if positive:
            return significand
        if significand == 0 or significand > (1 << 63):
            return -float(significand)
        return -significand

    def parse_decimal(self, positive: bool, significand: int, exponent_before: int) -> float:
        self.i += 1  # the '.'
        exponent_after = 0
        buf = self.buf
        while self.i < self.n and _ZERO <= buf[self.i] <= _NINE:
            digit = buf[self.i] - _ZERO
            if significand >= _U64_TENTH and (significand > _U64_TENTH or digit > _U64_LAST):
                return self.parse_decimal_overflow(
                    positive, significand, exponent_before + exponent_after
                )
            self.i += 1
            significand = significand * 10 + digit
            exponent_after -= 1
        if exponent_after == 0:
            if self.i < self.n:
                raise self.peek_error(INVALID_NUMBER)
            raise self.peek_error(EOF_VALUE)
        exponent = exponent_before + exponent_after
        if self.peek() in (0x65, 0x45):
            return self.parse_exponent(positive, significand, exponent)
        return self.f64_from_parts(positive, significand, exponent)

    def parse_decimal_overflow(self, positive: bool, significand: int, exponent: int) -> float:
        self.i = _DIGITS.match(self.buf, self.i).end()  # type: ignore[union-attr]
        if self.peek() in (0x65, 0x45):
            return self.parse_exponent(positive, significand, exponent)
        return self.f64_from_parts(positive, significand, exponent)

    def parse_exponent(self, positive: bool, significand: int, starting_exp: int) -> float:
        self.i += 1  # the 'e'
        nxt = self.peek()
        positive_exp = True
        if nxt == _PLUS:
            self.i += 1
        elif nxt == _MINUS:
            self.i += 1
            positive_exp = False
        if self.i >= self.n:
            raise self.error(EOF_VALUE)
        c = self.buf[self.i]
        self.i += 1
        if not _ZERO <= c <= _NINE:
            raise self.error(INVALID_NUMBER)
        exp = c - _ZERO
        buf = self.buf
        while self.i < self.n and _ZERO <= buf[self.i] <= _NINE:
            digit = buf[self.i] - _ZERO
            self.i += 1
            if exp >= _I32_TENTH and (exp > _I32_TENTH or digit > _I32_LAST):
                return self.parse_exponent_overflow(positive, significand == 0, positive_exp)
            exp = exp * 10 + digit
        final = starting_exp + exp if positive_exp else starting_exp - exp
        final = max(_I32_MIN, min(_I32_MAX, final))  # saturating i32 arithmetic
        return self.f64_from_parts(positive, significand, final)

    def parse_exponent_overflow(
        self, positive: bool, zero_significand: bool, positive_exp: bool
    ) -> float:
        if not zero_significand and positive_exp:
            raise self.error(NUMBER_OUT_OF_RANGE)
        self.i = _DIGITS.match(self.buf, self.i).end()  # type: ignore[union-attr]
        return 0.0 if positive else -0.0

    def f64_from_parts(self, positive: bool, significand: int, exponent: int) -> float:
        f = float(significand)
        while True:
            magnitude = -exponent if exponent < 0 else exponent
            if magnitude < len(_POW10):
                if exponent >= 0:
                    f *= _POW10[magnitude]
                    if math.isinf(f):
                        raise self.error(NUMBER_OUT_OF_RANGE)
                else:
                    f /= _POW10[magnitude]
                break
            if f == 0.0:
                break
            if exponent >= 0:
                raise self.error(NUMBER_OUT_OF_RANGE)
            f /= 1e308
            exponent += 308
        return f if positive else -f

    # ---- strings -----------------------------------------------------------------------

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error(INVALID_CODE_POINT) from None

    def parse_str(self) -> str:
        """``SliceRead::parse_str`` (validating); the opening quote is already consumed."""
        buf = self.buf
        start = self.i
        raw: list[bytes] = []
        while True:
            m = _STR_STOP.search(buf, self.i)
            if m is None:
                self.i = self.n
                raise self.error(EOF_STRING)
            j = m.start()
            c = buf[j]
            if c == _QUOTE:
                self.i = j + 1
                if not raw:
                    return self._decode(buf[start:j])
                raw.append(buf[start:j])
                return self._decode(b"".join(raw))
            if c == _BSLASH:
                raw.append(buf[start:j])
                self.i = j + 1
                self._parse_escape(raw)
                start = self.i
                continue
            self.i = j + 1
            raise self.error(CONTROL_CHARACTER)

    def _decode_hex_escape(self) -> int:
        i = self.i
        if i + 4 > self.n:
            self.i = self.n
            raise self.error(EOF_STRING)
        self.i = i + 4
        value = 0
        for c in self.buf[i : i + 4]:
            d = _HEX.get(c)
            if d is None:
                raise self.error(INVALID_ESCAPE)
            value = value * 16 + d
        return value

    def _parse_escape(self, raw: list[bytes]) -> None:
        if self.i >= self.n:
            raise self.error(EOF_STRING)
        ch = self.buf[self.i]
        self.i += 1
        simple = _SIMPLE_ESCAPES.get(ch)
        if simple is not None:
            raw.append(simple.encode())
            return
        if ch != 0x75:  # 'u'
            raise self.error(INVALID_ESCAPE)
        n = self._decode_hex_escape()
        if 0xDC00 <= n <= 0xDFFF:
            raise self.error(LONE_SURROGATE)
        if n < 0xD800 or n > 0xDBFF:
            raw.append(chr(n).encode())
            return
        for expected in (_BSLASH, 0x75):
            if self.i >= self.n:
                raise self.error(EOF_STRING)
            got = self.buf[self.i]
            self.i += 1
            if got != expected:
                raise self.error(UNEXPECTED_END_OF_HEX_ESCAPE)
        n2 = self._decode_hex_escape()
        if n2 < 0xDC00 or n2 > 0xDFFF:
            raise self.error(LONE_SURROGATE)
        raw.append(chr((((n - 0xD800) << 10) | (n2 - 0xDC00)) + 0x10000).encode())

    def ignore_str(self) -> None:
        """``SliceRead::ignore_str``: checks escapes' shape only, and no UTF-8."""
        buf = self.buf
        while True:
            m = _STR_STOP.search(buf, self.i)
            if m is None:
                self.i = self.n
                raise self.error(EOF_STRING)
            j = m.start()
            c = buf[j]
            if c == _QUOTE:
                self.i = j + 1
                return
            if c == _BSLASH:
                self.i = j + 1
                if self.i >= self.n:
                    raise self.error(EOF_STRING)
                ch = buf[self.i]
                self.i += 1
                if ch in _SIMPLE_ESCAPES:
                    continue
                if ch != 0x75:
                    raise self.error(INVALID_ESCAPE)
                self._decode_hex_escape()
                continue
            self.i = j
            raise self.error(CONTROL_CHARACTER)

    # ---- ignored values (unknown fields) -------------------------------------------------

    def ignore_value(self) -> None:
        """``Deserializer::ignore_value``: iterative, no recursion limit, no UTF-8 check."""
        stack: list[int] = []
        enclosing: int | None = None
        while True:
            c = self.ws()
            if c < 0:
                raise self.peek_error(EOF_VALUE)
            frame: int | None = None
            if c == 0x6E:
                self.i += 1
                self.parse_ident(b"ull")
            elif c == 0x74:
                self.i += 1
                self.parse_ident(b"rue")
            elif c == 0x66:
                self.i += 1
                self.parse_ident(b"alse")
            elif c == _MINUS:
                self.i += 1
                self._ignore_integer()
            elif _ZERO <= c <= _NINE:
                self._ignore_integer()
            elif c == _QUOTE:
                self.i += 1
                self.ignore_str()
            elif c in (_LBRACK, _LBRACE):
                if enclosing is not None:
                    stack.append(enclosing)
                    enclosing = None
                self.i += 1
                frame = c
            else:
                raise self.peek_error(EXPECTED_VALUE)

            if frame is not None:
                accept_comma = False
            elif enclosing is not None:
                frame, enclosing, accept_comma = enclosing, None, True
            elif stack:
                frame, accept_comma = stack.pop(), True
            else:
                return

            while True:
                c = self.ws()
                if c == _COMMA and accept_comma:
                    self.i += 1
                    break
                if (c == _RBRACK and frame == _LBRACK) or (c == _RBRACE and frame == _LBRACE):
                    pass
                elif c >= 0:
                    if accept_comma:
                        raise self.peek_error(
                            EXPECTED_LIST_COMMA_OR_END
                            if frame == _LBRACK
                            else EXPECTED_OBJECT_COMMA_OR_END
                        )
                    break
                else:
                    raise self.peek_error(EOF_LIST if frame == _LBRACK else EOF_OBJECT)
                self.i += 1
                if not stack:
                    return
                frame = stack.pop()
                accept_comma = True

            if frame == _LBRACE:
                c = self.ws()
                if c == _QUOTE:
                    self.i += 1
                elif c >= 0:
                    raise self.peek_error(KEY_MUST_BE_A_STRING)
                else:
                    raise self.peek_error(EOF_OBJECT)
                self.ignore_str()
                c = self.ws()
                if c == _COLON:
                    self.i += 1
                elif c >= 0:
                    raise self.peek_error(EXPECTED_COLON)
                else:
                    raise self.peek_error(EOF_OBJECT)
            enclosing = frame

    def _ignore_integer(self) -> None:
        c = self.buf[self.i] if self.i < self.n else 0
        if self.i < self.n:
            self.i += 1
        if c == _ZERO:
            if _ZERO <= self.peek() <= _NINE:
                raise self.peek_error(INVALID_NUMBER)
        elif _ZERO < c <= _NINE:
            self.i = _DIGITS.match(self.buf, self.i).end()  # type: ignore[union-attr]
        else:
            raise self.error(INVALID_NUMBER)
        nxt = self.peek()
        if nxt == _DOT:
            self.i += 1
            end = _DIGITS.match(self.buf, self.i).end()  # type: ignore[union-attr]
            if end == self.i:
                raise self.peek_error(INVALID_NUMBER)
            self.i = end
            nxt = self.peek()
        if nxt in (0x65, 0x45):
            self.i += 1
            if self.peek() in (_PLUS, _MINUS):
                self.i += 1
            c = self.buf[self.i] if self.i < self.n else 0
            if self.i < self.n:
                self.i += 1
            if not _ZERO <= c <= _NINE:
                raise self.error(INVALID_NUMBER)
            self.i = _DIGITS.match(self.buf, self.i).end()  # type: ignore[union-attr]

    # ---- sequences and maps ----------------------------------------------------------------

    def _enter(self) -> None:
        """``check_recursion!`` entry, before the bracket is consumed."""
        self.depth -= 1
        if self.depth == 0:
            raise self.peek_error(RECURSION_LIMIT)
        self.i += 1

    def has_next_element(self, first: bool) -> bool:
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_LIST)
        if c == _RBRACK:
            return False
        if first:
            return True
        if c == _COMMA:
            self.i += 1
            c = self.ws()
            if c == _RBRACK:
                raise self.peek_error(TRAILING_COMMA)
            if c < 0:
                raise self.peek_error(EOF_VALUE)
            return True
        raise self.peek_error(EXPECTED_LIST_COMMA_OR_END)

    def next_key(self, first: bool) -> str | None:
        """``MapAccess::next_key_seed`` for a string key; ``None`` at the closing brace."""
        try:
            return self._next_key(first)
        except SerdeError as e:
            e.trace = self.trace(_UNKNOWN)  # no key was read: serde_path_to_error's `?`
            raise

    def _next_key(self, first: bool) -> str | None:
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_OBJECT)
        if c == _RBRACE:
            return None
        if first:
            if c != _QUOTE:
                raise self.peek_error(KEY_MUST_BE_A_STRING)
        elif c == _COMMA:
            self.i += 1
            c = self.ws()
            if c == _RBRACE:
                raise self.peek_error(TRAILING_COMMA)
            if c < 0:
                raise self.peek_error(EOF_VALUE)
            if c != _QUOTE:
                raise self.peek_error(KEY_MUST_BE_A_STRING)
        else:
            raise self.peek_error(EXPECTED_OBJECT_COMMA_OR_END)
        self.i += 1
        return self.parse_str()

    def parse_object_colon(self) -> None:
        c = self.ws()
        if c == _COLON:
            self.i += 1
        elif c >= 0:
            raise self.peek_error(EXPECTED_COLON)
        else:
            raise self.peek_error(EOF_OBJECT)

    def end_seq(self) -> None:
        c = self.ws()
        if c == _RBRACK:
            self.i += 1
            return
        if c == _COMMA:
            self.i += 1
            if self.ws() == _RBRACK:
                raise self.peek_error(TRAILING_COMMA)
            raise self.peek_error(TRAILING_CHARACTERS)
        if c >= 0:
            raise self.peek_error(TRAILING_CHARACTERS)
        raise self.peek_error(EOF_LIST)

    def end_map(self) -> None:
        c = self.ws()
        if c == _RBRACE:
            self.i += 1
            return
        if c == _COMMA:
            raise self.peek_error(TRAILING_COMMA)
        if c >= 0:
            raise self.peek_error(TRAILING_CHARACTERS)
        raise self.peek_error(EOF_OBJECT)

    def _container(self, opener: int, visit: Callable[[], Any]) -> Any:
        """The ``[``/``{`` arm of serde_json's deserialize_*: visit, then always end_seq/end_map."""
        self._enter()
        err: SerdeError | None = None
        result: Any = None
        try:
            result = visit()
        except SerdeError as e:
            err = e
        self.depth += 1
        if err is not None:
            # serde_json still runs end_seq/end_map and drops its error: only how far it reads
            # matters (fix_position), so the error is not built (it would cost a path per
            # level: quadratic on a deep value).
            c = self.ws()
            if c == (_RBRACK if opener == _LBRACK else _RBRACE):
                self.i += 1
            elif c == _COMMA and opener == _LBRACK:  # end_seq reads on past a comma
                self.i += 1
                self.ws()
            raise self.fix_position(err)
        self.end_seq() if opener == _LBRACK else self.end_map()
        return result

    # ---- serde_json::Value ------------------------------------------------------------------

    def value(self) -> JsonValue:
        """``Value::deserialize`` (``deserialize_any`` with the Value visitor)."""
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_VALUE)
        if c == _QUOTE:
            self.i += 1
            return self.parse_str()
        if c == _MINUS:
            self.i += 1
            return self.parse_integer(False)
        if _ZERO <= c <= _NINE:
            return self.parse_integer(True)
        if c == _LBRACE:
            return self._container(_LBRACE, self._visit_value_map)  # type: ignore[no-any-return]
        if c == _LBRACK:
            return self._container(_LBRACK, self._visit_value_seq)  # type: ignore[no-any-return]
        if c == 0x6E:
            self.i += 1
            self.parse_ident(b"ull")
            return None
        if c == 0x74:
            self.i += 1
            self.parse_ident(b"rue")
            return True
        if c == 0x66:
            self.i += 1
            self.parse_ident(b"alse")
            return False
        raise self.peek_error(EXPECTED_VALUE)

    def _visit_value_seq(self) -> list[JsonValue]:
        out: list[JsonValue] = []
        path = self.path
        while self.has_next_element(not out):
            path.append(len(out))
            out.append(self.value())
            path.pop()
        return out

    def _visit_value_map(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {}
        path = self.path
        first = True
        while (key := self.next_key(first)) is not None:
            first = False
            self.parse_object_colon()
            path.append(key)
            out[key] = self.value()
            path.pop()
        return out

    # ---- typed reads (serde's primitive visitors) -------------------------------------------

    def peek_invalid_type(self, expected: str) -> SerdeError:
        """``Deserializer::peek_invalid_type``: consume the offending value, describe it."""
        c = self.peek()
        got: str
        try:
            if c == 0x6E:
                self.i += 1
                self.parse_ident(b"ull")
                got = "null"
            elif c == 0x74:
                self.i += 1
                self.parse_ident(b"rue")
                got = "boolean `true`"
            elif c == 0x66:
                self.i += 1
                self.parse_ident(b"alse")
                got = "boolean `false`"
            elif c == _MINUS:
                self.i += 1
                got = _unexpected(self.parse_integer(False))
            elif _ZERO <= c <= _NINE:
                got = _unexpected(self.parse_integer(True))
            elif c == _QUOTE:
                self.i += 1
                got = _unexpected(self.parse_str())
            elif c == _LBRACK:
                got = "sequence"
            elif c == _LBRACE:
                got = "map"
            else:
                return self.peek_error(EXPECTED_VALUE)
        except SerdeError as e:
            return e
        return self.fix_position(self.invalid_type(got, expected))

    def read_i64(self) -> int:
        """``i64::deserialize`` (``deserialize_number``)."""
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_VALUE)
        if c == _MINUS:
            self.i += 1
            v = self.parse_integer(False)
        elif _ZERO <= c <= _NINE:
            v = self.parse_integer(True)
        else:
            raise self.peek_invalid_type("i64")
        if isinstance(v, float):
            raise self.fix_position(self.invalid_type(_unexpected(v), "i64"))
        if v > I64_MAX:
            raise self.fix_position(
                self.data_error(
                    "invalid_value",
                    f"invalid value: integer `{v}`, expected i64",
                    "i64",
                    f"integer `{v}`",
                )
            )
        return v

    def read_str(self, expected: str = "a string") -> str:
        """``String::deserialize`` (``deserialize_str``)."""
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_VALUE)
        if c == _QUOTE:
            self.i += 1
            return self.parse_str()
        raise self.peek_invalid_type(expected)

    def read_bool(self) -> bool:
        """``bool::deserialize``."""
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_VALUE)
        if c == 0x74:
            self.i += 1
            self.parse_ident(b"rue")
            return True
        if c == 0x66:
            self.i += 1
            self.parse_ident(b"alse")
            return False
        raise self.peek_invalid_type("a boolean")

    def read_null_or(self, read: Callable[[Parser], Any]) -> Any:
        """``Option::<T>::deserialize`` (``deserialize_option``)."""
        if self.ws() == 0x6E:
            self.i += 1
            self.parse_ident(b"ull")
            return None
        return read(self)

    def read_any(self, expected: str, accept: Callable[[JsonValue], Any]) -> Any:
        """``deserialize_any`` with a visitor that takes scalars only (``accept`` returns the
        value, or raises ``TypeError`` to reject it as the wrong type)."""
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_VALUE)
        if c in (_LBRACK, _LBRACE):
            got = "sequence" if c == _LBRACK else "map"

            def reject() -> None:
                raise self.invalid_type(got, expected)

            self._container(c, reject)
            raise AssertionError("unreachable")
        scalar = self.value()
        try:
            return accept(scalar)
        except TypeError:
            raise self.fix_position(self.invalid_type(_unexpected(scalar), expected)) from None

    def read_seq(self, read: Callable[[Parser], Any]) -> list[Any]:
        """``Vec::<T>::deserialize`` (``deserialize_seq``)."""
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_VALUE)
        if c != _LBRACK:
            raise self.peek_invalid_type("a sequence")

        def visit() -> list[Any]:
            out: list[Any] = []
            while self.has_next_element(not out):
                self.path.append(len(out))
                out.append(read(self))
                self.path.pop()
            return out

        return self._container(_LBRACK, visit)  # type: ignore[no-any-return]

    # ---- structs (serde derive) --------------------------------------------------------------

    def read_struct(self, spec: StructSpec) -> list[Any]:
        """``deserialize_struct`` with serde derive's visitor; field values in declaration order."""
        c = self.ws()
        if c < 0:
            raise self.peek_error(EOF_VALUE)
        if c == _LBRACE:
            return self._container(_LBRACE, lambda: self._visit_struct_map(spec))  # type: ignore[no-any-return]
        if c == _LBRACK:
            return self._container(_LBRACK, lambda: self._visit_struct_seq(spec))  # type: ignore[no-any-return]
        raise self.peek_invalid_type(spec.expecting)

    def _visit_struct_map(self, spec: StructSpec) -> list[Any]:
        values: list[Any] = [_UNSET] * len(spec.fields)
        path = self.path
        first = True
        while (key := self.next_key(first)) is not None:
            first = False
            index = spec.index.get(key)
            if index is None:
                self.parse_object_colon()
                path.append(key)
                self.ignore_value()
                path.pop()
                continue
            field = spec.fields[index]
            if values[index] is not _UNSET:
                path.append(field.name)
                err = self.data_error("duplicate_field", f"duplicate field `{field.name}`")
                path.pop()
                err.trace = self.trace()  # raised by the struct's visitor, not by the field
                raise err
            self.parse_object_colon()
            path.append(field.name if key == field.name else _WireKey(field.name, key))
            values[index] = field.read(self)
            path.pop()
        for index, field in enumerate(spec.fields):
            if values[index] is _UNSET:
                if field.default is None:
                    path.append(field.name)
                    err = self.data_error("missing_field", f"missing field `{field.name}`")
                    path.pop()
                    err.trace = self.trace()
                    raise err
                values[index] = field.default()
        return values

    def _visit_struct_seq(self, spec: StructSpec) -> list[Any]:
        values: list[Any] = []
        path = self.path
        exhausted = False
        for index, field in enumerate(spec.fields):
            if not exhausted and self.has_next_element(index == 0):
                path.append(index)
                values.append(field.read(self))
                path.pop()
                continue
            exhausted = True
            if field.default is None or field.map_only:
                raise self.data_error(
                    "invalid_length",
                    f"invalid length {index}, expected {spec.length_expecting}",
                    spec.length_expecting,
                    str(index),
                )
            values.append(field.default())
        return values


def parse_value(buf: bytes) -> JsonValue:
    """``serde_json::from_slice::<Value>``; raises :class:`SerdeError`."""
    p = Parser(buf)
    v = p.value()
    p.end()
    return v


def serde_float(literal: str) -> float:
    """The f64 serde_json reads from a JSON number literal (not correctly rounded)."""
    p = Parser(literal.encode("ascii"))
    if literal.startswith("-"):
        p.i = 1
        v = p.parse_integer(False)
    else:
        v = p.parse_integer(True)
    return float(v)


# ---- writing ----------------------------------------------------------------------------------

_ENCODE_STR: Final = json.encoder.encode_basestring


def _make_dumps() -> Callable[[Any], str]:
    """Python's C encoder, built once: compact, sorted keys, no NaN, no cycle check (values
    are trees). Floats come out in Python's spelling, so callers check them first."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pure-Python json
        return json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
        ).encode

    def default(o: Any) -> Any:
        raise TypeError(f"{type(o).__name__} is not a JSON value")

    encoder = make(None, default, _ENCODE_STR, None, ":", ",", True, False, False)

    def dumps(value: Any) -> str:
        if isinstance(value, str):
            return _ENCODE_STR(value)
        return "".join(encoder(value, 0))

    return dumps


_dumps: Final = _make_dumps()


def encode_str(s: str) -> str:
    """serde_json's string literal: escapes `"`, `\\` and U+0000..U+001F only."""
    return _ENCODE_STR(s)


def format_f64(x: float) -> str:
    """serde_json's float spelling (shortest round-trip digits; decimal iff 1e-5 <= |x| < 1e16)."""
    r = repr(x)
    if "e" not in r:
        if "n" in r:  # inf, nan
            raise ValueError(f"{r} is not a JSON number")
        if x == 0.0 or abs(x) >= 1e-4:
            return r  # Python and serde_json agree on this range
    sign, body = ("-", r[1:]) if r.startswith("-") else ("", r)
    mantissa, _, exp_text = body.partition("e")
    if exp_text:  # d[.ddd]e±N: the point sits after the first digit
        digits, point = mantissa.replace(".", ""), 1 + int(exp_text)
    else:  # 0.000ddd
        frac = mantissa.partition(".")[2]
        digits = frac.lstrip("0")
        point = len(digits) - len(frac)
    digits = digits.rstrip("0") or "0"
    if -5 < point <= 16:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}.0"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    e = point - 1
    return f"{sign}{mant}e{'+' if e >= 0 else '-'}{abs(e)}"


def has_nonportable_float(value: JsonLike) -> bool:
    """True when ``value`` holds a float whose Python ``repr`` differs from serde_json's text."""
    stack: list[JsonLike] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float):
            # Python's repr writes 1e-05..9.9e-05 and e-06..e-09 differently
            if 1e-9 <= abs(v) < 1e-4 or not math.isfinite(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _encode_slow(value: JsonLike, out: list[str]) -> None:
    if isinstance(value, float):
        out.append(format_f64(value))
    elif isinstance(value, dict):
        out.append("{")
        for n, key in enumerate(sorted(value)):
            if n:
                out.append(",")
            out.append(encode_str(key))
            out.append(":")
            _encode_slow(value[key], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for n, item in enumerate(value):
            if n:
                out.append(",")
            _encode_slow(item, out)
        out.append("]")
    else:
        out.append(_dumps(value))


def encode_value(value: JsonLike, *, checked: bool = False) -> str:
    """``serde_json::to_string(&Value)``. ``checked=True`` promises no float needs serde's
    own spelling (a decoder proved it), which allows the C encoder straight away."""
    if checked or not has_nonportable_float(value):
        return _dumps(value)
    out: list[str] = []
    _encode_slow(value, out)
    return "".join(out)
