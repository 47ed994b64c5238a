"""No input, however hostile, raises anything but EnvelopeError or hangs; each gets
serde_json's kind and message."""

from __future__ import annotations

import sys

import pytest

from noetl_events_ref import EnvelopeError, decode_event, decode_request
from noetl_events_ref._ops import run_op

HEAD = (
    '{"execution_id":1,"event_type":"e","step":"s","status":"x",'
    '"created_at":"2026-05-31T00:00:00Z","context":'
)


def reject(text: str | bytes, op: str = "decode_event") -> EnvelopeError:
    decode = decode_event if op == "decode_event" else decode_request
    with pytest.raises(EnvelopeError) as e:
        decode(text)
    return e.value


def test_a_million_nested_brackets() -> None:
    err = reject(HEAD + "[" * 1_000_000)
    assert (err.kind, err.message) == (
        "recursion_limit",
        f"recursion limit exceeded at line 1 column {len(HEAD) + 127}",
    )
    out = run_op("canonical_value", "[" * 1_000_000)
    assert (out.kind, out.message) == (
        "recursion_limit",
        "recursion limit exceeded at line 1 column 128",
    )


def test_a_million_nested_brackets_inside_an_unknown_key_are_skipped_without_limit() -> None:
    decode_event(HEAD + '0,"x":' + "[" * 1_000_000 + "]" * 1_000_000 + "}")


def test_a_million_digit_number_is_an_f64_overflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "set_int_max_str_digits", sys.set_int_max_str_digits)
    sys.set_int_max_str_digits(4300)
    digits = "1" + "0" * 999_999
    err = reject(HEAD + digits + "}")
    assert (err.kind, err.message) == (
        "number_out_of_range",
        f"number out of range at line 1 column {len(HEAD) + len(digits)}",
    )
    assert run_op("canonical_value", "0." + "0" * 999_999 + "1").output == "0.0"
    err2 = reject(HEAD.replace('"execution_id":1', '"execution_id":' + digits) + "0}")
    assert err2.kind == "number_out_of_range"


def test_invalid_utf8_outside_strings_is_expected_value() -> None:
    err = reject(b"\xff")
    assert (err.kind, err.message) == ("syntax", "expected value at line 1 column 1")


def test_invalid_utf8_inside_an_unknown_key_is_not_checked() -> None:
    decode_event(HEAD.encode() + b'0,"x":"\xff\xfe"}')


def test_a_100_megabyte_string() -> None:
    big = "a" * 100_000_000
    assert decode_event(HEAD + '"' + big + '"}').context == big
    err = reject(HEAD + '"' + big)
    assert (err.kind, err.message) == (
        "syntax",
        f"EOF while parsing a string at line 1 column {len(HEAD) + 1 + len(big)}",
    )


def test_nul_bytes() -> None:
    err = reject(HEAD + '"a\x00b"}')
    assert err.kind == "invalid_string"
    err = reject("\x00")
    assert (err.kind, err.message) == ("syntax", "expected value at line 1 column 1")


def test_a_byte_order_mark_is_not_skipped() -> None:
    for text in ("\ufeff" + HEAD + "0}", b"\xef\xbb\xbf" + (HEAD + "0}").encode()):
        err = reject(text)
        assert (err.kind, err.message) == ("syntax", "expected value at line 1 column 1")


def test_lone_surrogate_characters_in_a_str_are_invalid_utf8() -> None:
    err = reject(HEAD + '"\ud800"}')
    assert err.kind == "invalid_string"
    assert err.message.startswith("invalid unicode code point")


def test_other_input_types_are_a_type_error_not_a_crash() -> None:
    with pytest.raises(TypeError):
        decode_event(123)  # type: ignore[arg-type]
