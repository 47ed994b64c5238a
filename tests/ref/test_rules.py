"""The wire contract's rules, one test each, with the exact bytes or error the spec states."""

from __future__ import annotations

import pytest

from noetl_events_ref import (
    EnvelopeError,
    EventRequest,
    ExecutorEvent,
    Timestamp,
    decode_event,
    decode_request,
    encode_event,
    encode_request,
    event_to_request,
    request_to_event,
    status_from_event_name,
)
from noetl_events_ref._ops import run_op

FULL = (
    '{"execution_id":478775660589088776,"event_type":"command.completed",'
    '"step":"fetch_calendar","status":"COMPLETED","created_at":"2026-05-31T03:14:15Z",'
    '"context":{"result":{"items":42}},"event_id":478775660589088777,'
    '"worker_id":"worker-prod-7","meta":{"attempts":3,"parent_event_id":"478775660589088770"}}'
)
HEAD = (
    '{"execution_id":5,"event_type":"step.enter","step":"s","status":"STARTED",'
    '"created_at":"2026-05-31T00:00:00Z"'
)


def ev(rest: str) -> str:
    return HEAD + "," + rest + "}"


def canonical(text: str) -> str:
    out = run_op("canonical_value", text)
    assert out.ok, out
    assert out.output is not None
    return out.output


def rejection(op: str, text: str, now: str | None = None) -> tuple[str | None, str | None]:
    out = run_op(op, text, now)
    assert not out.ok, out
    return out.kind, out.message


# ---- section 1: ExecutorEvent --------------------------------------------------------------


def test_full_fidelity_event_is_written_exactly() -> None:
    assert encode_event(decode_event(FULL)) == FULL


def test_optionals_are_omitted_when_none_and_null_reads_as_none() -> None:
    e = decode_event(ev('"context":{},"event_id":null,"worker_id":null,"meta":null'))
    assert (e.event_id, e.worker_id, e.meta) == (None, None, None)
    assert encode_event(e) == HEAD + ',"context":{}}'


def test_payload_alias_is_read_into_context_and_never_written() -> None:
    out = encode_event(decode_event(ev('"payload":{"foo":"bar"}')))
    assert out == HEAD + ',"context":{"foo":"bar"}}'
    assert "payload" not in out


def test_context_null_is_a_value_but_absent_context_is_an_error() -> None:
    assert encode_event(decode_event(ev('"context":null'))).endswith('"context":null}')
    with pytest.raises(EnvelopeError) as e:
        decode_event(HEAD + "}")
    assert e.value.kind == "missing_field"
    assert e.value.message.startswith("missing field `context`")


def test_keys_are_case_sensitive_so_wrong_case_context_is_missing() -> None:
    kind, message = rejection("decode_event", ev('"Context":{}'))
    assert kind == "missing_field"
    assert message is not None and message.startswith("missing field `context`")


def test_unknown_keys_are_skipped() -> None:
    out = encode_event(decode_event(ev('"context":1,"extra":[1,{"x":2}],"z":null')))
    assert out == HEAD + ',"context":1}'


@pytest.mark.parametrize(
    ("rest", "field"),
    [
        ('"context":1,"step":"t"', "step"),
        ('"context":1,"payload":2', "context"),
        ('"payload":1,"context":2', "context"),
        ('"payload":1,"payload":2', "context"),
    ],
)
def test_duplicate_fields_name_the_primary_field(rest: str, field: str) -> None:
    kind, message = rejection("decode_event", ev(rest))
    assert kind == "duplicate_field"
    assert message is not None and message.startswith(f"duplicate field `{field}`")


def test_first_missing_field_in_declaration_order_is_reported() -> None:
    kind, message = rejection("decode_event", '{"step":"s","context":1}')
    assert kind == "missing_field"
    assert message is not None and message.startswith("missing field `execution_id`")


def test_array_form_takes_six_to_nine_elements() -> None:
    six = '[1,"e","s","x","2026-05-31T00:00:00Z",{"a":1}]'
    assert encode_event(decode_event(six)) == (
        '{"execution_id":1,"event_type":"e","step":"s","status":"x",'
        '"created_at":"2026-05-31T00:00:00Z","context":{"a":1}}'
    )
    kind, message = rejection("decode_event", '[1,"e","s","x","2026-05-31T00:00:00Z"]')
    assert kind == "invalid_length"
    assert message is not None
    assert message.startswith("invalid length 5, expected struct ExecutorEvent with 9 elements")
    kind, message = rejection(
        "decode_event", '[1,"e","s","x","2026-05-31T00:00:00Z",{},7,"w",{},10]'
    )
    assert kind == "syntax"
    assert message is not None and message.startswith("trailing characters")


def test_lone_surrogate_is_accepted_in_an_unknown_key_but_not_in_context() -> None:
    decode_event(ev('"context":{},"unknown":"\\ud800"'))
    kind, _ = rejection("decode_event", ev('"context":"\\ud800"'))
    assert kind == "invalid_string"


def test_execution_id_must_be_a_json_integer_in_i64() -> None:
    for bad, kind in [
        ('"5"', "invalid_type"),
        ("5.0", "invalid_type"),
        ("9223372036854775808", "invalid_value"),
    ]:
        text = HEAD.replace('"execution_id":5', f'"execution_id":{bad}') + ',"context":0}'
        assert rejection("decode_event", text)[0] == kind


# ---- section 2: EventRequest ---------------------------------------------------------------


def test_request_defaults_are_written_and_ids_are_strings() -> None:
    out = encode_request(decode_request('{"execution_id":1,"step":"s","event_type":"e"}'))
    assert out == (
        '{"execution_id":"1","step":"s","event_type":"e","payload":null,'
        '"result_kind":"data","actionable":true,"informative":true}'
    )


@pytest.mark.parametrize(
    ("raw", "as_string"),
    [
        ('"abc"', "abc"),
        ('""', ""),
        ("18446744073709551615", "18446744073709551615"),
        ("-9223372036854775808", "-9223372036854775808"),
    ],
)
def test_lax_ids_take_strings_verbatim_and_integers_as_decimal(raw: str, as_string: str) -> None:
    r = decode_request(f'{{"execution_id":{raw},"step":"s","event_type":"e","event_id":{raw}}}')
    assert (r.execution_id, r.event_id) == (as_string, as_string)


@pytest.mark.parametrize("raw", ["1.5", "true", "[1]", "{}", "18446744073709551616", "null"])
def test_lax_id_rejects_everything_else(raw: str) -> None:
    kind, message = rejection(
        "decode_request", f'{{"execution_id":{raw},"step":"s","event_type":"e"}}'
    )
    assert kind == "invalid_type"
    assert message is not None
    assert "expected a string or signed/unsigned integer representing a snowflake id" in message


def test_optional_lax_id_has_its_own_expectation_and_takes_null() -> None:
    assert (
        decode_request('{"execution_id":1,"step":"s","event_type":"e","event_id":null}').event_id
        is None
    )
    _, message = rejection(
        "decode_request", '{"execution_id":1,"step":"s","event_type":"e","event_id":2.5}'
    )
    assert message is not None
    assert message.startswith(
        "invalid type: floating point `2.5`, expected null, a string, or a signed/unsigned "
        "integer representing an optional snowflake id"
    )


@pytest.mark.parametrize("field", ["result_kind", "actionable", "informative"])
def test_defaulted_fields_reject_null(field: str) -> None:
    kind, _ = rejection(
        "decode_request", f'{{"execution_id":1,"step":"s","event_type":"e","{field}":null}}'
    )
    assert kind == "invalid_type"


def test_request_aliases_and_their_duplicates() -> None:
    r = decode_request('{"execution_id":1,"step":"s","name":"n","context":{"a":1}}')
    assert (r.event_type, r.payload) == ("n", {"a": 1})
    for rest, field in [
        (',"name":"n","event_type":"e"', "event_type"),
        (',"event_type":"e","payload":1,"context":2', "payload"),
    ]:
        kind, message = rejection("decode_request", '{"execution_id":1,"step":"s"' + rest + "}")
        assert kind == "duplicate_field"
        assert message is not None and message.startswith(f"duplicate field `{field}`")


# ---- section 3: conversions -----------------------------------------------------------------


def test_from_event_to_request() -> None:
    r = event_to_request(decode_event(FULL))
    assert encode_request(r) == (
        '{"execution_id":"478775660589088776","step":"fetch_calendar","event_type":"command.completed",'
        '"payload":{"result":{"items":42}},"meta":{"attempts":3,"parent_event_id":"478775660589088770"},'
        '"worker_id":"worker-prod-7","result_kind":"data","actionable":true,"informative":true,'
        '"event_id":"478775660589088777","status":"COMPLETED","created_at":"2026-05-31T03:14:15Z"}'
    )


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("step.enter", "RUNNING"),
        ("call.done", "COMPLETED"),
        ("step.exit", "COMPLETED"),
        ("command.completed", "COMPLETED"),
        ("command.failed", "FAILED"),
        ("call.error", "FAILED"),
        ("x.failed.done", "COMPLETED"),
        ("Step.DONE", "RUNNING"),
        ("", "RUNNING"),
    ],
)
def test_status_from_event_name(event_type: str, status: str) -> None:
    assert status_from_event_name(event_type) == status


NOW = Timestamp.parse("2026-01-02T03:04:05Z")


@pytest.mark.parametrize(
    ("execution_id", "message"),
    [
        ("abc", 'execution_id "abc" not parseable as i64: invalid digit found in string'),
        ("", 'execution_id "" not parseable as i64: cannot parse integer from empty string'),
        (" 1", 'execution_id " 1" not parseable as i64: invalid digit found in string'),
        ("1_000", 'execution_id "1_000" not parseable as i64: invalid digit found in string'),
        ("0x10", 'execution_id "0x10" not parseable as i64: invalid digit found in string'),
        ("\u0663", 'execution_id "\u0663" not parseable as i64: invalid digit found in string'),
        (
            "9223372036854775808",
            'execution_id "9223372036854775808" not parseable as i64: number too large to fit in target type',
        ),
        (
            "-9223372036854775809",
            'execution_id "-9223372036854775809" not parseable as i64: number too small to fit in target type',
        ),
        (
            'a"b\\c\nd\te',
            'execution_id "a\\"b\\\\c\\nd\\te" not parseable as i64: invalid digit found in string',
        ),
        ("\u200b", 'execution_id "\\u{200b}" not parseable as i64: invalid digit found in string'),
    ],
)
def test_try_from_reports_rust_parse_errors_with_debug_quoting(
    execution_id: str, message: str
) -> None:
    with pytest.raises(EnvelopeError) as e:
        request_to_event(EventRequest(execution_id=execution_id, step="s", event_type="e"), now=NOW)
    assert (e.value.kind, e.value.message, e.value.path) == (
        "conversion",
        message,
        "$.execution_id",
    )


def test_try_from_prints_the_event_id_option() -> None:
    with pytest.raises(EnvelopeError) as e:
        request_to_event(
            EventRequest(execution_id="1", step="s", event_type="e", event_id="abc"), now=NOW
        )
    assert (
        e.value.message
        == 'event_id Some("abc") not parseable as i64: invalid digit found in string'
    )


def test_try_from_uses_now_only_without_created_at() -> None:
    r = EventRequest(execution_id="+7", step="s", event_type="step.enter")
    assert encode_event(request_to_event(r, now=NOW)) == (
        '{"execution_id":7,"event_type":"step.enter","step":"s","status":"RUNNING",'
        '"created_at":"2026-01-02T03:04:05Z","context":null}'
    )
    stamped = EventRequest(
        execution_id="7",
        step="s",
        event_type="e",
        created_at=Timestamp.parse("2026-05-31T00:00:00Z"),
    )
    assert request_to_event(stamped).created_at.format() == "2026-05-31T00:00:00Z"
    with pytest.raises(ValueError, match="now"):
        request_to_event(r)


# ---- section 4: timestamps ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("2026-05-31T03:14:15Z", "2026-05-31T03:14:15Z"),
        ("2026-05-31T03:14:15.5Z", "2026-05-31T03:14:15.500Z"),
        ("2026-05-31T03:14:15.000001Z", "2026-05-31T03:14:15.000001Z"),
        ("2026-05-31T03:14:15.0000001Z", "2026-05-31T03:14:15.000000100Z"),
        ("2026-05-31T03:14:15.123456789999Z", "2026-05-31T03:14:15.123456789Z"),
        ("2026-05-31t03:14:15z", "2026-05-31T03:14:15Z"),
        ("2026-05-31 03:14:15 UTC", "2026-05-31T03:14:15Z"),
        ("2026-05-31T03:14:15+02:00", "2026-05-31T01:14:15Z"),
        ("2026-05-31T03:14:15+0200", "2026-05-31T01:14:15Z"),
        ("2026-05-31T03:14:15-00:00", "2026-05-31T03:14:15Z"),
        ("2026-5-31T1:0:0Z", "2026-05-31T01:00:00Z"),
        ("2026-05-31T23:59:60Z", "2026-05-31T23:59:60Z"),
        (" 2026-05-31T03:14:15Z ", "2026-05-31T03:14:15Z"),
        ("+12026-05-31T03:14:15Z", "+12026-05-31T03:14:15Z"),
        ("-0001-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"),
    ],
)
def test_timestamp_spellings_and_output(text: str, written: str) -> None:
    assert Timestamp.parse(text).format() == written


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-05-31T03:14:15", "premature end of input"),
        ("2026-05-31T03:14:15+05", "premature end of input"),
        ("2026-05-31T03:14:15+05:30:00", "trailing input"),
        ("2026-05-31T03:14:15GMT", "input contains invalid characters"),
        ("2026-05-31T03:14:15.Z", "input contains invalid characters"),
        ("2026-05-31T03:14:15,5Z", "input contains invalid characters"),
        ("2026-05-31T03:14:15+24:00", "input is out of range"),
        ("2026-02-30T03:14:15Z", "input is out of range"),
        ("2026-05-31T24:00:00Z", "input is out of range"),
        ("12026-05-31T03:14:15Z", "input contains invalid characters"),
    ],
)
def test_rejected_timestamps_carry_chronos_message(text: str, message: str) -> None:
    kind, got = rejection("decode_event", ev('"context":0').replace("2026-05-31T00:00:00Z", text))
    assert kind == "invalid_timestamp"
    assert got is not None and got.startswith(message + " at line 1 column ")


def test_a_non_string_timestamp_is_an_invalid_type() -> None:
    _, message = rejection("decode_event", ev('"context":0').replace('"2026-05-31T00:00:00Z"', "1"))
    assert message is not None
    assert message.startswith(
        "invalid type: integer `1`, expected an RFC 3339 formatted date and time string"
    )


# ---- section 5: Value fidelity --------------------------------------------------------------


def test_nested_keys_are_sorted_by_code_point_and_last_duplicate_wins() -> None:
    assert canonical('{"b":1,"a":{"z":1,"a":2},"b":3}') == '{"a":{"a":2,"z":1},"b":3}'
    assert (
        canonical('{"\uff5e":1,"\U0001f600":2,"é":3,"z":4}')
        == '{"z":4,"é":3,"\uff5e":1,"\U0001f600":2}'
    )


def test_top_level_fields_keep_wire_order() -> None:
    text = '{"meta":{"b":1,"a":2},"context":[],"created_at":"2026-05-31T00:00:00Z","status":"x","step":"s","event_type":"e","execution_id":1}'
    assert encode_event(decode_event(text)) == (
        '{"execution_id":1,"event_type":"e","step":"s","status":"x",'
        '"created_at":"2026-05-31T00:00:00Z","context":[],"meta":{"a":2,"b":1}}'
    )


@pytest.mark.parametrize(
    ("literal", "written"),
    [
        ("1e-5", "0.00001"),
        ("0.00001", "0.00001"),
        ("1e-6", "1e-6"),
        ("1e-7", "1e-7"),
        ("1e16", "1e+16"),
        ("1e15", "1000000000000000.0"),
        ("1.5e300", "1.5e+300"),
        ("5e-324", "5e-324"),
        ("7e-81", "7.000000000000001e-81"),
        ("-0", "-0.0"),
        ("-0.0", "-0.0"),
        ("100e-2", "1.0"),
        ("18446744073709551615", "18446744073709551615"),
        ("18446744073709551616", "1.8446744073709552e+19"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("-9223372036854775809", "-9.223372036854776e+18"),
    ],
)
def test_number_spelling(literal: str, written: str) -> None:
    assert canonical(literal) == written


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("NaN", "syntax", "expected value at line 1 column 1"),
        ("Infinity", "syntax", "expected value at line 1 column 1"),
        ("1e400", "number_out_of_range", "number out of range at line 1 column 5"),
        ('"\\ud800"', "invalid_string", "unexpected end of hex escape at line 1 column 8"),
        ('"\\udc00"', "invalid_string", "lone leading surrogate in hex escape at line 1 column 7"),
        (
            '"a\x01"',
            "invalid_string",
            "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3",
        ),
        ('"\\x"', "invalid_string", "invalid escape at line 1 column 3"),
        ("[1,]", "syntax", "trailing comma at line 1 column 4"),
        ("[1] x", "syntax", "trailing characters at line 1 column 5"),
        ("", "syntax", "EOF while parsing a value at line 1 column 0"),
        ('"\\ud83d', "syntax", "EOF while parsing a string at line 1 column 7"),
        ("[" * 128 + "]" * 128, "recursion_limit", "recursion limit exceeded at line 1 column 128"),
    ],
)
def test_rejected_values(text: str, kind: str, message: str) -> None:
    assert rejection("canonical_value", text) == (kind, message)


def test_nesting_limit_is_127_and_context_can_nest_126_inside_an_event() -> None:
    canonical("[" * 127 + "]" * 127)
    decode_event(ev('"context":' + "[" * 126 + "]" * 126))
    assert (
        rejection("decode_event", ev('"context":' + "[" * 127 + "]" * 127))[0] == "recursion_limit"
    )


def test_string_escapes_are_serde_jsons() -> None:
    assert (
        canonical('"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\\\/"')
        == '"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/"'
    )
    assert canonical('"\x7f\u2028\\ud83d\\ude00"') == '"\x7f\u2028\U0001f600"'


# ---- section 6 and the error object ------------------------------------------------------------


def test_envelope_error_is_a_value_error_with_structured_fields() -> None:
    with pytest.raises(ValueError) as caught:
        decode_event(ev('"context":{"a":[1,2,{"b":"\\ud800"}]}'))
    err = caught.value
    assert isinstance(err, EnvelopeError)
    assert err.kind == "invalid_string"
    assert err.path == "$.context.a[2].b"
    assert (err.line, err.column) == (1, err.column) and err.column > 0
    assert err.message in str(err) and "$.context.a[2].b" in str(err)


def test_missing_field_names_the_field_in_the_path() -> None:
    with pytest.raises(EnvelopeError) as e:
        decode_event(HEAD + "}")
    assert e.value.path == "$.context"


# ---- bytes ----------------------------------------------------------------------------------


def test_bytes_and_str_decode_alike() -> None:
    assert decode_event(FULL.encode()) == decode_event(FULL)


def test_invalid_utf8_in_a_value_is_an_invalid_code_point() -> None:
    text = ev('"context":"x"').encode().replace(b'"x"', b'"\xff"')
    with pytest.raises(EnvelopeError) as e:
        decode_event(text)
    assert e.value.kind == "invalid_string"
    assert e.value.message.startswith("invalid unicode code point")


def test_records_are_frozen_and_strictly_equal() -> None:
    e = decode_event(FULL)
    with pytest.raises(AttributeError):
        e.step = "x"  # type: ignore[misc]
    one = ExecutorEvent(1, "e", "s", "x", NOW, {"a": 1})
    assert one == ExecutorEvent(1, "e", "s", "x", NOW, {"a": 1})
    assert one != ExecutorEvent(1, "e", "s", "x", NOW, {"a": 1.0})
    assert one != ExecutorEvent(1, "e", "s", "x", NOW, {"a": True})


def test_constructors_copy_and_check_their_inputs() -> None:
    context = {"a": [1]}
    e = ExecutorEvent(1, "e", "s", "x", NOW, context)
    context["a"].append(2)
    assert e.context == {"a": [1]}
    with pytest.raises(ValueError, match="i64"):
        ExecutorEvent(1 << 63, "e", "s", "x", NOW, None)
    with pytest.raises(TypeError):
        ExecutorEvent(True, "e", "s", "x", NOW, None)
    with pytest.raises(ValueError):
        ExecutorEvent(1, "e", "s", "x", NOW, float("nan"))
    with pytest.raises(TypeError):
        ExecutorEvent(1, "e", "s", "x", NOW, {1: 2})
