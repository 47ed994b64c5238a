"""``noetl_events_ref.sanitize_value``: the server's redaction, with Rust's own char tables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from noetl_events_ref import sanitize_value
from noetl_events_ref._ops import run_op
from noetl_events_ref._rust_unicode import (
    ALPHANUMERIC_ENDS,
    ALPHANUMERIC_STARTS,
    LOWERCASE_WITH_ASCII,
)
from noetl_events_ref._sanitize import (
    MAX_DEPTH,
    REDACTED,
    SENSITIVE_KEY_PARTS,
    _is_alphanumeric,
    is_sensitive_key,
    is_sensitive_value,
)


def test_the_tables_are_sorted_disjoint_ranges() -> None:
    assert len(ALPHANUMERIC_STARTS) == len(ALPHANUMERIC_ENDS)
    previous_end = -2
    for start, end in zip(ALPHANUMERIC_STARTS, ALPHANUMERIC_ENDS, strict=True):
        assert previous_end + 1 < start <= end
        previous_end = end


@pytest.mark.parametrize(
    ("ch", "expected"),
    [
        ("a", True),
        ("9", True),
        ("é", True),
        ("Ⅻ", True),  # Nl: numeric
        ("\u0345", True),  # a combining mark with Other_Alphabetic
        ("ⓐ", True),  # So, but Other_Alphabetic
        ("٣", True),  # Nd
        ("\u00ad", False),  # soft hyphen
        ("-", False),
        ("_", False),
        (" ", False),
        ("€", False),
    ],
)
def test_alphanumeric_is_rusts(ch: str, expected: bool) -> None:
    assert _is_alphanumeric(ch) is expected


def test_only_two_non_ascii_chars_lowercase_to_ascii() -> None:
    # The Kelvin sign and capital I with dot: every other lowercase of a non-ASCII char is
    # non-ASCII, so it can only break an ASCII match.
    assert LOWERCASE_WITH_ASCII == {0x130: "i\u0307", 0x212A: "k"}
    assert is_sensitive_key("\u212aey_api\u212aey")  # lowercases to key_apikey
    assert not is_sensitive_key("\u0130d_key")
    assert is_sensitive_key("\u0130d_token")  # still holds "token"
    assert not is_sensitive_key("\u0440assword")  # Cyrillic er


def test_value_rules_count_utf8_bytes() -> None:
    assert is_sensitive_value("é" * 20)  # 40 bytes
    assert not is_sensitive_value("é" * 19)  # 38 bytes
    assert is_sensitive_value("BeArEr x")
    assert not is_sensitive_value("Bearerx")


def _nest(depth: int, leaf: object) -> object:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def test_the_depth_limit_keeps_a_deep_secret() -> None:
    assert sanitize_value(_nest(MAX_DEPTH - 1, "Bearer x")) == _nest(MAX_DEPTH - 1, REDACTED)
    assert sanitize_value(_nest(MAX_DEPTH, "Bearer x")) == _nest(MAX_DEPTH, "Bearer x")


def test_the_input_is_left_alone() -> None:
    value = {"password": "p", "list": ["Bearer y"]}
    assert sanitize_value(value) == {"password": REDACTED, "list": [REDACTED]}
    assert value == {"password": "p", "list": ["Bearer y"]}


def test_the_op_writes_sorted_keys_and_rejects_bad_json() -> None:
    assert run_op("sanitize_value", '{"b":"Basic x","a":1}').output == '{"a":1,"b":"[REDACTED]"}'
    bad = run_op("sanitize_value", '{"a":}')
    assert (bad.ok, bad.kind) == (False, "syntax")


_key_pieces = st.one_of(
    st.sampled_from(SENSITIVE_KEY_PARTS).map(lambda p: p.upper() if len(p) % 2 else p),
    st.sampled_from(SENSITIVE_KEY_PARTS).map(lambda p: p.replace("_", "-")[1:]),
    st.text(alphabet="-_aAkKeEyYtTo\u0130\u212a\u00e9", max_size=4),
)


@given(st.lists(_key_pieces, max_size=4).map("".join))
def test_a_key_is_sensitive_when_a_part_is_in_its_folded_form(key: str) -> None:
    folded = "".join(
        {"\u0130": "i\u0307", "\u212a": "k"}.get(c, c.lower() if c.isascii() else "\x80")
        for c in key
    ).replace("-", "_")
    assert is_sensitive_key(key) == any(part in folded for part in SENSITIVE_KEY_PARTS)
