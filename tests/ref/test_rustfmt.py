"""Tests for ``noetl_events_ref._rustfmt``: Rust formatting reproduced byte for byte.

The expected values in the ``*_CASES`` tables below are literal data produced by
running a real Rust probe (rustc 1.95.0, serde 1.0.228, serde_json 1.0.150): for
each input it printed ``format!("{:?}", s)``, ``s.parse::<i64>()`` (value or
error ``Display``), ``format!("{}", x)``, serde's ``Unexpected::Float(x)``
``Display`` and the backtick text of ``serde_json::Error::invalid_type(
Unexpected::Float(x), ..)``. They are embedded so this suite needs no cargo.
Do not edit them by hand; re-run a probe instead.
"""

from __future__ import annotations

import math
import sys
import time

import pytest

from noetl_events_ref import _rust_unicode
from noetl_events_ref._json import format_f64
from noetl_events_ref._rustfmt import (
    RustParseIntError,
    debug_option_str,
    debug_str,
    parse_i64,
)

# fmt: off
# ---------------------------------------------------------------------------
# Literal data produced by the real Rust probe (see module docstring).
# ---------------------------------------------------------------------------
# --- debug_str ---
DEBUG_STR_CASES: list[tuple[str, str]] = [
    ('', '""'),
    ('hello', '"hello"'),
    ("it's", '"it\'s"'),
    ('say "hi"', '"say \\"hi\\""'),
    ('back\\slash', '"back\\\\slash"'),
    ('\t\r\n\x00', '"\\t\\r\\n\\0"'),
    ('\x01\x1b\x1f\x7f', '"\\u{1}\\u{1b}\\u{1f}\\u{7f}"'),
    ('\x80\x9f', '"\\u{80}\\u{9f}"'),
    ('\xa0\xad', '"\\u{a0}\\u{ad}"'),
    ('caf\xe9', '"caf\xe9"'),
    ('e\u0301', '"e\\u{301}"'),
    ('\u0301e', '"\\u{301}e"'),
    ('a\u0301\u0302b', '"a\\u{301}\\u{302}b"'),
    ('\u0301', '"\\u{301}"'),
    ('x\u200dy', '"x\\u{200d}y"'),
    ('\u200d', '"\\u{200d}"'),
    (
        '\U0001f468\u200d\U0001f469\u200d\U0001f467',
        '"\U0001f468\\u{200d}\U0001f469\\u{200d}\U0001f467"',
    ),
    ('\U0001f1fa\U0001f1f8', '"\U0001f1fa\U0001f1f8"'),
    ('\U0001f44d\U0001f3fd', '"\U0001f44d\U0001f3fd"'),
    ('\U0001f600', '"\U0001f600"'),
    ('\u2028\u2029', '"\\u{2028}\\u{2029}"'),
    ('\ufeff', '"\\u{feff}"'),
    ('\u200b', '"\\u{200b}"'),
    ('\u3000', '"\\u{3000}"'),
    ('\u061c', '"\\u{61c}"'),
    ('\u202e', '"\\u{202e}"'),
    ('\u034f', '"\\u{34f}"'),
    ('\u2764\ufe0f', '"\u2764\\u{fe0f}"'),
    ('\U000e0001', '"\\u{e0001}"'),
    ('tag\U000e0020', '"tag\\u{e0020}"'),
    ('\U0010ffff', '"\\u{10ffff}"'),
    ('\ue000', '"\\u{e000}"'),
    ('\U000f0000', '"\\u{f0000}"'),
    ('\ufdd0', '"\\u{fdd0}"'),
    ('\ufffe\uffff', '"\\u{fffe}\\u{ffff}"'),
    ('\ufffd', '"\ufffd"'),
    ('\u0378', '"\\u{378}"'),
    ('\u20c1', '"\u20c1"'),
    ('\u1c89', '"\u1c89"'),
    ('\u088f', '"\u088f"'),
    ('\uff9e', '"\\u{ff9e}"'),
    ('\u09be', '"\\u{9be}"'),
    ('\u0903', '"\u0903"'),
    ('\u0928\u092e\u0938\u094d\u0924\u0947', '"\u0928\u092e\u0938\\u{94d}\u0924\\u{947}"'),
    ('\u65e5\u672c\u8a9e', '"\u65e5\u672c\u8a9e"'),
    ('\u1e01', '"\u1e01"'),
    ('\u0e33', '"\u0e33"'),
    ('\xe9\u0301', '"\xe9\\u{301}"'),
    ('x"\\\'\n\u0301', '"x\\"\\\\\'\\n\\u{301}"'),
    ("'single'", '"\'single\'"'),
    ('{"a":1}', '"{\\"a\\":1}"'),
    ('~ !#$%&()*+,-./:;<=>?@[]^_`{|}', '"~ !#$%&()*+,-./:;<=>?@[]^_`{|}"'),
]
# --- parse_i64 ---
PARSE_I64_CASES: list[tuple[str, int | str]] = [
    ('', 'cannot parse integer from empty string'),
    ('+', 'invalid digit found in string'),
    ('-', 'invalid digit found in string'),
    ('+-1', 'invalid digit found in string'),
    ('--1', 'invalid digit found in string'),
    ('-+1', 'invalid digit found in string'),
    ('++1', 'invalid digit found in string'),
    (' 1', 'invalid digit found in string'),
    ('1 ', 'invalid digit found in string'),
    ('1_000', 'invalid digit found in string'),
    ('\u0663', 'invalid digit found in string'),
    ('12\u0663', 'invalid digit found in string'),
    ('\uff11', 'invalid digit found in string'),
    ('0x10', 'invalid digit found in string'),
    ('1e3', 'invalid digit found in string'),
    ('1.0', 'invalid digit found in string'),
    ('0', 0),
    ('-0', 0),
    ('+0', 0),
    ('007', 7),
    ('-007', -7),
    ('42', 42),
    ('+42', 42),
    ('-42', -42),
    ('9223372036854775807', 9223372036854775807),
    ('+9223372036854775807', 9223372036854775807),
    ('9223372036854775808', 'number too large to fit in target type'),
    ('-9223372036854775808', -9223372036854775808),
    ('-9223372036854775809', 'number too small to fit in target type'),
    ('9223372036854775806', 9223372036854775806),
    ('-9223372036854775807', -9223372036854775807),
    ('18446744073709551615', 'number too large to fit in target type'),
    ('99999999999999999999', 'number too large to fit in target type'),
    ('-99999999999999999999', 'number too small to fit in target type'),
    ('10000000000000000000', 'number too large to fit in target type'),
    ('0009223372036854775807', 9223372036854775807),
    ('-0009223372036854775808', -9223372036854775808),
    ('0009223372036854775808', 'number too large to fit in target type'),
    ('9223372036854775807x', 'invalid digit found in string'),
    ('9223372036854775808x', 'number too large to fit in target type'),
    ('92233720368547758070', 'number too large to fit in target type'),
    ('-92233720368547758090', 'number too small to fit in target type'),
    ('x9223372036854775808', 'invalid digit found in string'),
    ('9999999999999999999_', 'number too large to fit in target type'),
    ('9' * 1000, 'number too large to fit in target type'),
    ('-' + '9' * 1000, 'number too small to fit in target type'),
    ('0' * 1000 + '1', 1),
    ('-' + '0' * 1000 + '5', -5),
    ('9' * 1000 + 'x', 'number too large to fit in target type'),
    ('x' + '9' * 1000, 'invalid digit found in string'),
    ('11111111111111111111\u0663', 'number too large to fit in target type'),
]
# --- floats: (value, Display, serde Unexpected::Float, serde_json error text) ---
FLOAT_CASES: list[tuple[float, str, str, str]] = [
    (0.0, '0', '0.0', '0.0'),
    (-0.0, '-0', '-0.0', '-0.0'),
    (1.0, '1', '1.0', '1.0'),
    (-1.0, '-1', '-1.0', '-1.0'),
    (1.5, '1.5', '1.5', '1.5'),
    (0.1, '0.1', '0.1', '0.1'),
    (0.30000000000000004, '0.30000000000000004', '0.30000000000000004', '0.30000000000000004'),
    (100.0, '100', '100.0', '100.0'),
    (1234.5, '1234.5', '1234.5', '1234.5'),
    (123456789.0, '123456789', '123456789.0', '123456789.0'),
    (0.000123, '0.000123', '0.000123', '0.000123'),
    (-2.5e-05, '-0.000025', '-0.000025', '-0.000025'),
    (1e-05, '0.00001', '0.00001', '0.00001'),
    (1e-06, '0.000001', '0.000001', '1e-6'),
    (1e-07, '0.0000001', '0.0000001', '1e-7'),
    (1.5e-07, '0.00000015', '0.00000015', '1.5e-7'),
    (1000000000000000.0, '1000000000000000', '1000000000000000.0', '1000000000000000.0'),
    (1e+16, '1' + "0" * 16, '1' + "0" * 16 + '.0', '1e+16'),
    (1.5e+16, '15000000000000000', '15000000000000000.0', '1.5e+16'),
    (1e+21, '1' + "0" * 21, '1' + "0" * 21 + '.0', '1e+21'),
    (1e+22, '1' + "0" * 22, '1' + "0" * 22 + '.0', '1e+22'),
    (1e+23, '1' + "0" * 23, '1' + "0" * 23 + '.0', '1e+23'),
    (9007199254740992.0, '9007199254740992', '9007199254740992.0', '9007199254740992.0'),
    (9007199254740994.0, '9007199254740994', '9007199254740994.0', '9007199254740994.0'),
    (
        9.223372036854776e+18,
        '9223372036854776000',
        '9223372036854776000.0',
        '9.223372036854776e+18',
    ),
    (
        1.8446744073709552e+19,
        '18446744073709552000',
        '18446744073709552000.0',
        '1.8446744073709552e+19',
    ),
    (1e+300, '1' + "0" * 300, '1' + "0" * 300 + '.0', '1e+300'),
    (-1e+300, '-1' + "0" * 300, '-1' + "0" * 300 + '.0', '-1e+300'),
    (5e-324, '0.' + "0" * 323 + '5', '0.' + "0" * 323 + '5', '5e-324'),
    (-5e-324, '-0.' + "0" * 323 + '5', '-0.' + "0" * 323 + '5', '-5e-324'),
    (1.5e-323, '0.' + "0" * 322 + '15', '0.' + "0" * 322 + '15', '1.5e-323'),
    (
        2.2250738585072014e-308,
        '0.' + "0" * 307 + '22250738585072014',
        '0.' + "0" * 307 + '22250738585072014',
        '2.2250738585072014e-308',
    ),
    (
        2.225073858507201e-308,
        '0.' + "0" * 307 + '2225073858507201',
        '0.' + "0" * 307 + '2225073858507201',
        '2.225073858507201e-308',
    ),
    (
        1.7976931348623157e+308,
        '17976931348623157' + "0" * 292,
        '17976931348623157' + "0" * 292 + '.0',
        '1.7976931348623157e+308',
    ),
    (
        -1.7976931348623157e+308,
        '-17976931348623157' + "0" * 292,
        '-17976931348623157' + "0" * 292 + '.0',
        '-1.7976931348623157e+308',
    ),
    (
        2.9802322387695312e-08,
        '0.000000029802322387695313',
        '0.000000029802322387695313',
        '2.9802322387695312e-8',
    ),
    (1189304497682732.2, '1189304497682732.3', '1189304497682732.3', '1189304497682732.2'),
    (-1833163950304765.2, '-1833163950304765.3', '-1833163950304765.3', '-1833163950304765.2'),
    (34097192270039.312, '34097192270039.313', '34097192270039.313', '34097192270039.312'),
    (-180377662945743.12, '-180377662945743.13', '-180377662945743.13', '-180377662945743.12'),
    (142154539792387.62, '142154539792387.63', '142154539792387.63', '142154539792387.62'),
    (float("inf"), 'inf', 'inf', 'inf'),
    (float("-inf"), '-inf', '-inf', '-inf'),
    (float("nan"), 'NaN', 'NaN', 'NaN'),
    (
        -1.989032661366619e+244,
        '-1989032661366619' + "0" * 229,
        '-1989032661366619' + "0" * 229 + '.0',
        '-1.989032661366619e+244',
    ),
    (
        7.761117632285041e+178,
        '7761117632285041' + "0" * 163,
        '7761117632285041' + "0" * 163 + '.0',
        '7.761117632285041e+178',
    ),
    (
        3.980498358697587e-249,
        '0.' + "0" * 248 + '3980498358697587',
        '0.' + "0" * 248 + '3980498358697587',
        '3.980498358697587e-249',
    ),
    (
        -1.5432835417340557e+88,
        '-15432835417340557' + "0" * 72,
        '-15432835417340557' + "0" * 72 + '.0',
        '-1.5432835417340557e+88',
    ),
    (
        1.3647584518757569e-192,
        '0.' + "0" * 191 + '13647584518757569',
        '0.' + "0" * 191 + '13647584518757569',
        '1.3647584518757569e-192',
    ),
    (
        -1.3701135617873088e-206,
        '-0.' + "0" * 205 + '13701135617873088',
        '-0.' + "0" * 205 + '13701135617873088',
        '-1.3701135617873088e-206',
    ),
    (
        -1.7160537630466207e+197,
        '-17160537630466207' + "0" * 181,
        '-17160537630466207' + "0" * 181 + '.0',
        '-1.7160537630466207e+197',
    ),
    (
        6.294675241195386e-44,
        '0.' + "0" * 43 + '6294675241195386',
        '0.' + "0" * 43 + '6294675241195386',
        '6.294675241195386e-44',
    ),
    (
        1.0613447212142254e-202,
        '0.' + "0" * 201 + '10613447212142254',
        '0.' + "0" * 201 + '10613447212142254',
        '1.0613447212142254e-202',
    ),
    (
        4.708325160387546e+207,
        '4708325160387546' + "0" * 192,
        '4708325160387546' + "0" * 192 + '.0',
        '4.708325160387546e+207',
    ),
    (
        6.387016158513563e-12,
        '0.000000000006387016158513563',
        '0.000000000006387016158513563',
        '6.387016158513563e-12',
    ),
    (
        -9.973130378568733e-246,
        '-0.' + "0" * 245 + '9973130378568733',
        '-0.' + "0" * 245 + '9973130378568733',
        '-9.973130378568733e-246',
    ),
    (
        8.779753225680271e-236,
        '0.' + "0" * 235 + '8779753225680271',
        '0.' + "0" * 235 + '8779753225680271',
        '8.779753225680271e-236',
    ),
    (
        -5.795503248498993e-228,
        '-0.' + "0" * 227 + '5795503248498993',
        '-0.' + "0" * 227 + '5795503248498993',
        '-5.795503248498993e-228',
    ),
    (
        -5.988180159386011e+243,
        '-5988180159386011' + "0" * 228,
        '-5988180159386011' + "0" * 228 + '.0',
        '-5.988180159386011e+243',
    ),
    (
        -1.306052388527796e-147,
        '-0.' + "0" * 146 + '1306052388527796',
        '-0.' + "0" * 146 + '1306052388527796',
        '-1.306052388527796e-147',
    ),
    (
        -2.436117699484841e-206,
        '-0.' + "0" * 205 + '2436117699484841',
        '-0.' + "0" * 205 + '2436117699484841',
        '-2.436117699484841e-206',
    ),
    (
        2.233386999150174e-232,
        '0.' + "0" * 231 + '2233386999150174',
        '0.' + "0" * 231 + '2233386999150174',
        '2.233386999150174e-232',
    ),
    (
        -3.51527970626667e-203,
        '-0.' + "0" * 202 + '351527970626667',
        '-0.' + "0" * 202 + '351527970626667',
        '-3.51527970626667e-203',
    ),
    (
        1.5987381841032883e-247,
        '0.' + "0" * 246 + '15987381841032883',
        '0.' + "0" * 246 + '15987381841032883',
        '1.5987381841032883e-247',
    ),
    (
        4.6678633181812096e-36,
        '0.' + "0" * 35 + '46678633181812096',
        '0.' + "0" * 35 + '46678633181812096',
        '4.6678633181812096e-36',
    ),
    (
        -8.441872792105456e-239,
        '-0.' + "0" * 238 + '8441872792105456',
        '-0.' + "0" * 238 + '8441872792105456',
        '-8.441872792105456e-239',
    ),
    (
        1.9015657400796622e-144,
        '0.' + "0" * 143 + '19015657400796622',
        '0.' + "0" * 143 + '19015657400796622',
        '1.9015657400796622e-144',
    ),
    (
        7.370437700706684e+208,
        '7370437700706684' + "0" * 193,
        '7370437700706684' + "0" * 193 + '.0',
        '7.370437700706684e+208',
    ),
]
# fmt: on


def _short_id(value: object) -> str:
    text = ascii(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------------------
# debug_str / debug_option_str
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"), DEBUG_STR_CASES, ids=[_short_id(c[0]) for c in DEBUG_STR_CASES]
)
def test_debug_str_matches_rust(s: str, expected: str) -> None:
    assert debug_str(s) == expected


_SHORT_ESCAPES = {"\0": "\\0", "\t": "\\t", "\r": "\\r", "\n": "\\n", "\\": "\\\\", '"': '\\"'}


def test_debug_str_ascii_fast_path_agrees_with_per_char_path() -> None:
    # The all-printable-ASCII fast path must give what the per-char path gives.
    printable = "".join(chr(b) for b in range(0x20, 0x7F) if chr(b) not in '"\\')
    assert debug_str(printable) == '"' + printable + '"'
    # Forcing the slow path (a trailing escape) must not change the prefix.
    assert debug_str(printable + "\n") == '"' + printable + '\\n"'
    for b in range(128):
        ch = chr(b)
        rendered = debug_str(ch)[1:-1]
        if 0x20 <= b <= 0x7E and ch not in '"\\':
            assert rendered == ch
        elif ch in _SHORT_ESCAPES:
            assert rendered == _SHORT_ESCAPES[ch]
        else:
            assert rendered == f"\\u{{{b:x}}}"


def test_debug_str_escapes_grapheme_extend_at_every_position() -> None:
    # `impl Debug for str` passes escape_grapheme_extended: true for every char,
    # unlike `str::escape_debug()` which only escapes them as the first char.
    starts = _rust_unicode.GRAPHEME_EXTEND_PRINTABLE_STARTS
    ends = _rust_unicode.GRAPHEME_EXTEND_PRINTABLE_ENDS
    for lo, hi in zip(starts, ends, strict=True):
        for cp in {lo, (lo + hi) // 2, hi}:
            esc = f"\\u{{{cp:x}}}"
            ch = chr(cp)
            assert debug_str(ch) == f'"{esc}"'
            assert debug_str("a" + ch + "b") == f'"a{esc}b"'
            assert debug_str("a" + ch) == f'"a{esc}"'


def test_debug_str_uses_rust_unicode_not_python_unicodedata() -> None:
    # Assigned after Python 3.11's Unicode 14: printable for Rust 1.95.
    for ch in ("\u20c1", "\u1c89", "\u088f", "\U0001fae8"):
        assert not ch.isprintable()
        assert debug_str(ch) == '"' + ch + '"'


def test_debug_str_rejects_lone_surrogate() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        debug_str("a\ud800b")


def test_debug_str_long_mixed_string() -> None:
    s = 'h\xe9llo "w\u0301rld"\n\U0001f600' * 1000
    unit = 'h\xe9llo \\"w\\u{301}rld\\"\\n\U0001f600'
    assert debug_str(s) == '"' + unit * 1000 + '"'


def test_debug_option_str() -> None:
    assert debug_option_str(None) == "None"
    assert debug_option_str("") == 'Some("")'
    assert debug_option_str('a"b') == 'Some("a\\"b")'
    assert debug_option_str("e\u0301") == 'Some("e\\u{301}")'


def test_unicode_tables_are_well_formed() -> None:
    starts = _rust_unicode.DEBUG_ESCAPE_STARTS
    ends = _rust_unicode.DEBUG_ESCAPE_ENDS
    assert len(starts) == len(ends)
    assert all(s <= e for s, e in zip(starts, ends, strict=True))
    # Sorted, disjoint and not adjacent (adjacent ranges would have been merged).
    assert all(ends[i] + 1 < starts[i + 1] for i in range(len(starts) - 1))
    assert sum(e - s + 1 for s, e in zip(starts, ends, strict=True)) == (
        _rust_unicode.DEBUG_ESCAPED_CHAR_COUNT
    )
    assert not any(s <= 0xDFFF and e >= 0xD800 for s, e in zip(starts, ends, strict=True))
    assert _rust_unicode.STR_DEBUG_ESCAPE_DEPENDS_ON_POSITION is False
    assert _rust_unicode.RUSTC_VERSION.startswith("rustc 1.95.")


# ---------------------------------------------------------------------------
# parse_i64
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"), PARSE_I64_CASES, ids=[_short_id(c[0]) for c in PARSE_I64_CASES]
)
def test_parse_i64_matches_rust(s: str, expected: int | str) -> None:
    if isinstance(expected, int):
        assert parse_i64(s) == expected
    else:
        with pytest.raises(RustParseIntError) as info:
            parse_i64(s)
        assert info.value.reason == expected
        assert str(info.value) == expected


def test_parse_int_error_shape() -> None:
    kinds = {
        "": "Empty",
        "x": "InvalidDigit",
        "9223372036854775808": "PosOverflow",
        "-9223372036854775809": "NegOverflow",
    }
    for s, kind in kinds.items():
        with pytest.raises(ValueError) as info:
            parse_i64(s)
        assert isinstance(info.value, RustParseIntError)
        assert info.value.kind == kind


@pytest.mark.parametrize("sign", ["", "+", "-"])
def test_parse_i64_million_digits_is_fast_and_never_hits_int_limit(sign: str) -> None:
    digits = "7" * 1_000_000
    reason = "number too small" if sign == "-" else "number too large"
    saved_limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(4300)  # CPython's default int/str conversion limit
    try:
        start = time.perf_counter()
        with pytest.raises(RustParseIntError, match=reason):
            parse_i64(sign + digits)
        with pytest.raises(RustParseIntError, match=reason):
            parse_i64(sign + digits + "x")  # overflow is reached before the bad char
        with pytest.raises(RustParseIntError, match="invalid digit"):
            parse_i64(sign + "x" + digits)
        assert parse_i64(sign + "0" * 1_000_000 + "42") == (-42 if sign == "-" else 42)
        assert time.perf_counter() - start < 2.0
    finally:
        sys.set_int_max_str_digits(saved_limit)


# ---------------------------------------------------------------------------
# f64 formatting
# ---------------------------------------------------------------------------

_FLOAT_IDS = [_short_id(c[0]) for c in FLOAT_CASES]


@pytest.mark.parametrize(("x", "display", "serde", "json"), FLOAT_CASES, ids=_FLOAT_IDS)
def test_format_f64_matches_serde_json(x: float, display: str, serde: str, json: str) -> None:
    """serde_json writes floats, and the floats in its error messages, with zmij: the
    ``json`` column is what the real serde_json printed (the other columns, Rust's Display
    and serde's WithDecimalPoint, are kept as data: serde_json never uses them)."""
    if math.isfinite(x):
        assert format_f64(x) == json


def test_exact_ties_round_to_even_like_zmij() -> None:
    # 2**-25 == 2.98023223876953125e-8 exactly: both 17-digit candidates are equally close;
    # zmij (and Python's repr) pick the even digit, unlike Rust's Display which rounds up.
    assert format_f64(2.0**-25) == "2.9802322387695312e-8"
