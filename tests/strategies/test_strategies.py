"""The strategies' output, checked by properties; their variety, measured; their checks, shown
to catch broken implementations; and a run through the real Rust adapter."""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from conformance import strategies
from conformance.generation._domain import (
    I64_MAX,
    I64_MIN,
    MAX_YEAR,
    MIN_YEAR,
    U64_MAX,
    value_depth,
)
from conformance.strategies import (
    AdapterOp,
    InvalidEnvelope,
    PropertyFailure,
    WireEnvelope,
    check_conversion_round_trip,
    check_idempotent_encoding,
    check_invalid_envelope,
    check_payload_alias,
    check_request_conversion,
    check_round_trip,
    check_wire_envelope,
    event_requests,
    executor_events,
    invalid_envelopes,
    json_values,
    promote_command,
    reference_op,
    wire_envelopes,
)
from noetl_events_ref import (
    EventRequest,
    ExecutorEvent,
    Timestamp,
    decode_event,
    decode_request,
    encode_event,
    encode_request,
)
from noetl_events_ref._json import encode_value, format_f64, parse_value, serde_float
from noetl_events_ref._model import json_equal
from noetl_events_ref._ops import Outcome
from tests._rust_adapter import rust_adapter_path

ROOT = Path(__file__).resolve().parents[2]
RUST_ADAPTER = rust_adapter_path()
KINDS = (
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
)
NOW = Timestamp.parse("2026-05-31T03:14:15.5Z")

PROPERTY = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
FAILING = settings(  # no shrinking (slow on these shapes) and no explain phase (writes patches)
    max_examples=200, deadline=None, database=None, phases=[Phase.generate]
)
SAMPLE = settings(
    max_examples=1000,
    deadline=None,
    database=None,
    derandomize=True,  # the same 1,000 examples on every run: variety is a property of the strategy
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


# ---- the public surface --------------------------------------------------------------------


def test_public_names_are_listed_and_documented() -> None:
    assert strategies.__all__ == sorted(strategies.__all__)
    for name in strategies.__all__:
        assert getattr(strategies, name).__doc__, name


@pytest.mark.parametrize(
    "factory", [json_values, executor_events, event_requests, wire_envelopes, invalid_envelopes]
)
def test_options_are_keyword_only(factory: Callable[..., Any]) -> None:
    with pytest.raises(TypeError):
        factory(3)


def test_import_does_no_io() -> None:
    probe = (
        "import sys, hypothesis.strategies, noetl_events_ref\n"
        "seen = []\n"
        "def hook(event, args):\n"
        "    if event in ('open', 'subprocess.Popen', 'socket.connect', 'os.mkdir', 'os.remove'):\n"
        "        path = str(args[0]) if args else ''\n"
        "        if not path.endswith(('.py', '.pyc', '.so')):\n"
        "            seen.append((event, path))\n"
        "sys.addaudithook(hook)\n"
        "import conformance.strategies\n"
        "print(seen)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def test_types_are_registered() -> None:
    @PROPERTY
    @given(st.from_type(ExecutorEvent), st.from_type(EventRequest))
    def drawn(event: ExecutorEvent, request: EventRequest) -> None:
        assert isinstance(event, ExecutorEvent)
        assert isinstance(request, EventRequest)

    drawn()


@pytest.mark.parametrize(
    ("factory", "options"),
    [
        (json_values, {"max_depth": -1}),
        (json_values, {"max_depth": 128}),
        (json_values, {"max_depth": True}),
        (json_values, {"max_leaves": 0}),
        (executor_events, {"max_depth": 127}),
        (executor_events, {"max_leaves": "3"}),
        (event_requests, {"max_depth": 1.5}),
        (wire_envelopes, {"max_depth": None}),
        (invalid_envelopes, {"kinds": ["nope"]}),
        (invalid_envelopes, {"kinds": "syntax"}),
        (invalid_envelopes, {"kinds": []}),
    ],
)
def test_bad_options_fail_when_drawn_not_when_built(
    factory: Callable[..., st.SearchStrategy[Any]], options: dict[str, Any]
) -> None:
    strategy = factory(**options)  # building never raises

    @settings(max_examples=1, database=None)
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        with pytest.raises(InvalidArgument, match=next(iter(options))):
            data.draw(strategy)

    draw()


def test_repr_names_the_factory_and_its_options() -> None:
    assert repr(json_values(max_depth=3)) == "json_values(max_depth=3, max_leaves=16)"
    assert repr(invalid_envelopes()) == "invalid_envelopes()"


# ---- properties of the output ----------------------------------------------------------------


@PROPERTY
@given(executor_events())
def test_events_round_trip(event: ExecutorEvent) -> None:
    assert decode_event(encode_event(event)) == event
    check_round_trip(reference_op, event)
    check_idempotent_encoding(reference_op, encode_event(event))


@PROPERTY
@given(executor_events())
def test_events_convert_to_requests_and_back(event: ExecutorEvent) -> None:
    check_conversion_round_trip(reference_op, event)


@PROPERTY
@given(executor_events())
def test_payload_is_read_and_never_written(event: ExecutorEvent) -> None:
    check_payload_alias(reference_op, event)


@PROPERTY
@given(wire_envelopes())
def test_wire_texts_decode_to_their_event(envelope: WireEnvelope) -> None:
    assert isinstance(envelope, WireEnvelope)
    assert decode_event(envelope.text) == envelope.event
    check_wire_envelope(reference_op, envelope)
    check_idempotent_encoding(reference_op, envelope.text)


@PROPERTY
@given(invalid_envelopes())
def test_invalid_texts_fail_with_their_kind(envelope: InvalidEnvelope) -> None:
    assert envelope.kind in KINDS
    check_invalid_envelope(reference_op, envelope)


@PROPERTY
@given(
    st.sampled_from(KINDS).flatmap(lambda k: st.tuples(st.just(k), invalid_envelopes(kinds=[k])))
)
def test_invalid_envelopes_keep_to_the_kinds_asked_for(drawn: tuple[str, InvalidEnvelope]) -> None:
    kind, envelope = drawn
    assert envelope.kind == kind
    assert reference_op("decode_event", envelope.text).kind == kind


@PROPERTY
@given(event_requests())
def test_requests_encode_and_decode(request: EventRequest) -> None:
    text = encode_request(request)
    assert decode_request(text) == request
    check_idempotent_encoding(reference_op, text, op_name="decode_request")
    check_request_conversion(reference_op, request, now=NOW)


@PROPERTY
@given(json_values())
def test_values_read_back_unchanged(value: Any) -> None:
    text = encode_value(value)
    assert json_equal(parse_value(text.encode()), value)
    assert reference_op("canonical_value", text) == Outcome(True, output=text)
    assert value_depth(value) <= 127


@PROPERTY
@given(st.integers(0, 126).flatmap(lambda d: st.tuples(st.just(d), executor_events(max_depth=d))))
def test_max_depth_bounds_context_and_meta(drawn: tuple[int, ExecutorEvent]) -> None:
    depth, event = drawn
    assert value_depth(event.context) <= depth
    assert value_depth(event.meta) <= depth


@PROPERTY
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), json_values(max_leaves=n))))
def test_max_leaves_bounds_the_scalars(drawn: tuple[int, Any]) -> None:
    leaves, value = drawn

    def scalars(v: Any) -> int:
        if isinstance(v, dict):
            return sum(map(scalars, v.values())) or 1
        if isinstance(v, list):
            return sum(map(scalars, v)) or 1
        return 1

    assert scalars(value) <= leaves


# ---- variety: each hazard class appears in 1,000 draws ---------------------------------------


def _sample(strategy: st.SearchStrategy[Any], n: int = 1000) -> list[Any]:
    out: list[Any] = []

    @settings(SAMPLE, max_examples=n)
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


def _walk(value: Any) -> Iterator[Any]:
    """Every node of a JSON value, keys of objects included (as strings)."""
    stack = [value]
    while stack:
        v = stack.pop()
        yield v
        if isinstance(v, dict):
            yield from v.keys()
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _floats(*values: Any) -> list[float]:
    return [x for v in values for x in _walk(v) if isinstance(x, float)]


def _ints(*values: Any) -> list[int]:
    return [x for v in values for x in _walk(v) if type(x) is int]


def _strings(*values: Any) -> list[str]:
    return [x for v in values for x in _walk(v) if isinstance(x, str)]


def _fraction_digits(t: Timestamp) -> int:
    m = re.search(r"\.(\d+)Z$", t.format())
    return len(m.group(1)) if m else 0


VALUE_HAZARDS: dict[str, Callable[[Any], bool]] = {
    "float subnormal": lambda v: any(0 < abs(x) < 2.2250738585072014e-308 for x in _floats(v)),
    "float in [1e-5, 1e-4)": lambda v: any(1e-5 <= abs(x) < 1e-4 for x in _floats(v)),
    "float in [1e-9, 1e-5)": lambda v: any(1e-9 <= abs(x) < 1e-5 for x in _floats(v)),
    "float >= 1e16": lambda v: any(abs(x) >= 1e16 for x in _floats(v)),
    "float -0.0": lambda v: any(x == 0 and math.copysign(1, x) < 0 for x in _floats(v)),
    "whole float": lambda v: any(x == int(x) and x != 0 for x in _floats(v)),
    "float next to a one-ULP trap": lambda v: any(
        serde_float(f"{x:.16e}") != float(f"{x:.16e}") for x in _floats(v) if x
    ),
    "integer past i64::MAX": lambda v: any(x > I64_MAX for x in _ints(v)),
    "integer at i64::MIN or u64::MAX": lambda v: any(x in (I64_MIN, U64_MAX) for x in _ints(v)),
    "string with a control character": lambda v: any(
        any(ord(c) < 0x20 for c in s) for s in _strings(v)
    ),
    "string with an astral character": lambda v: any(
        any(ord(c) > 0xFFFF for c in s) for s in _strings(v)
    ),
    "string with U+2028": lambda v: any("\u2028" in s for s in _strings(v)),
    "empty string": lambda v: "" in _strings(v),
    "keys U+FF5E and U+1F600 side by side": lambda v: any(
        isinstance(x, dict) and "\uff5e" in x and "\U0001f600" in x for x in _walk(v)
    ),
    "empty object": lambda v: any(x == {} for x in _walk(v)),
    "empty array": lambda v: any(x == [] for x in _walk(v)),
    "nested 100 deep or more": lambda v: value_depth(v) >= 100,
    "nested at the limit": lambda v: value_depth(v) == 127,
    "null": lambda v: v is None,
    "scalar at the top": lambda v: not isinstance(v, (dict, list)),
}

EVENT_HAZARDS: dict[str, Callable[[ExecutorEvent], bool]] = {
    "id at i64::MIN or i64::MAX": lambda e: bool({e.execution_id, e.event_id} & {I64_MIN, I64_MAX}),
    "id past 2^53": lambda e: abs(e.execution_id) > 2**53,
    "negative id": lambda e: e.execution_id < 0,
    "small id": lambda e: abs(e.execution_id) <= 1000,
    "event_id absent": lambda e: e.event_id is None,
    "event_id present": lambda e: e.event_id is not None,
    "worker_id absent": lambda e: e.worker_id is None,
    "worker_id present": lambda e: e.worker_id is not None,
    "meta absent": lambda e: e.meta is None,
    "meta present": lambda e: e.meta is not None,
    "no fraction": lambda e: _fraction_digits(e.created_at) == 0,
    "3 fraction digits": lambda e: _fraction_digits(e.created_at) == 3,
    "6 fraction digits": lambda e: _fraction_digits(e.created_at) == 6,
    "9 fraction digits": lambda e: _fraction_digits(e.created_at) == 9,
    "year past 9999": lambda e: e.created_at.year > 9999,
    "year before 0": lambda e: e.created_at.year < 0,
    "chrono's first or last year": lambda e: e.created_at.year in (MIN_YEAR, MAX_YEAR),
    "leap second": lambda e: e.created_at.nanosecond >= 10**9,
    "context null": lambda e: e.context is None,
    "context object": lambda e: isinstance(e.context, dict),
    "context array": lambda e: isinstance(e.context, list),
    "context nested 126 deep": lambda e: value_depth(e.context) == 126,
    "float in [1e-5, 1e-4)": lambda e: any(1e-5 <= abs(x) < 1e-4 for x in _floats(e.context)),
    "float -0.0": lambda e: any(
        x == 0 and math.copysign(1, x) < 0 for x in _floats(e.context, e.meta)
    ),
    'event name with "done"': lambda e: "done" in e.event_type,
    "non-ASCII step or status": lambda e: not (e.step + e.status).isascii(),
}

_NUMBER = re.compile(r'"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)', re.DOTALL)
_FIELDS = ("execution_id", "event_type", "step", "status", "created_at", "context")
_OPTIONALS = ("event_id", "worker_id", "meta")


def _numbers(text: str) -> list[str]:
    return [m.group(1) for m in _NUMBER.finditer(text) if m.group(1)]


def _top_pairs(text: str) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = json.loads(text, object_pairs_hook=list)
    return pairs


def _created_at(text: str) -> str:
    return str(dict(_top_pairs(text))["created_at"])


def _has_nested_duplicate(text: str) -> bool:
    seen = []

    def hook(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        seen.append(len({k for k, _ in pairs}) < len(pairs))
        return pairs

    json.loads(text, object_pairs_hook=hook)
    return any(seen[:-1])  # the last object closed is the top level


def _serde(tok: str) -> float | None:
    try:
        return serde_float(tok)
    except Exception:  # out of range (an unknown key's value may hold 1e400)
        return None


def _is_ulp_literal(tok: str) -> bool:
    value = _serde(tok)
    return bool(re.search(r"[.eE]", tok)) and value is not None and value != float(tok)


def _is_other_spelling(tok: str) -> bool:
    value = _serde(tok)
    return bool(re.search(r"[.eE]", tok)) and value is not None and tok != format_f64(value)


WIRE_HAZARDS: dict[str, Callable[[WireEnvelope], bool]] = {
    "payload for context": lambda w: "payload" in dict(_top_pairs(w.text)),
    "context": lambda w: "context" in dict(_top_pairs(w.text)),
    "null optional": lambda w: any(k in _OPTIONALS and v is None for k, v in _top_pairs(w.text)),
    "absent optional": lambda w: not set(_OPTIONALS) <= dict(_top_pairs(w.text)).keys(),
    "unknown key": lambda w: any(
        k not in (*_FIELDS, *_OPTIONALS, "payload") for k, _ in _top_pairs(w.text)
    ),
    "fields out of order": lambda w: (
        [k for k, _ in _top_pairs(w.text) if k in _FIELDS or k in _OPTIONALS]
        != sorted(
            (k for k, _ in _top_pairs(w.text) if k in _FIELDS or k in _OPTIONALS),
            key=(*_FIELDS, *_OPTIONALS).index,
        )
    ),
    "whitespace between tokens": lambda w: bool(re.search(r"[\[{,:][ \t\r\n]", w.text)),
    "escaped ASCII letter": lambda w: bool(re.search(r"\\u00(6[1-9a-fA-F]|7[0-9aA])", w.text)),
    "escaped surrogate pair": lambda w: bool(
        re.search(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F]", w.text)
    ),
    "escaped solidus": lambda w: "\\/" in w.text,
    "raw non-ASCII": lambda w: not w.text.isascii(),
    "timestamp offset": lambda w: bool(
        re.search(r"[+\-\u2212]\d\d(:|::| )?\d\d\s*$", _created_at(w.text))
    ),
    "timestamp z or UTC": lambda w: bool(re.search(r"(z|UTC|utc)\s*$", _created_at(w.text))),
    "timestamp t or space": lambda w: bool(re.search(r"\d[t ]\d", _created_at(w.text))),
    "timestamp fraction past 9 digits": lambda w: bool(re.search(r"\.\d{10}", _created_at(w.text))),
    "timestamp one-digit field": lambda w: bool(
        re.search(r"[-T:t ]\d(?=[-T:t .Zz+])", _created_at(w.text))
    ),
    "timestamp signed year": lambda w: bool(re.match(r"\s*[+-]", _created_at(w.text))),
    "timestamp padding": lambda w: _created_at(w.text) != _created_at(w.text).strip(),
    "timestamp leap second": lambda w: ":60" in _created_at(w.text),
    "float literal read one ULP off": lambda w: any(map(_is_ulp_literal, _numbers(w.text))),
    "float spelled another way": lambda w: any(
        _is_other_spelling(t) and not _is_ulp_literal(t) for t in _numbers(w.text)
    ),
    "nested repeated key": lambda w: _has_nested_duplicate(w.text),
}

REQUEST_HAZARDS: dict[str, Callable[[EventRequest], bool]] = {
    "id that parses": lambda r: bool(re.fullmatch(r"-?[1-9]\d*|0", r.execution_id)),
    "id with +": lambda r: r.execution_id.startswith("+"),
    "id with leading zeros": lambda r: bool(re.fullmatch(r"0\d+", r.execution_id)),
    "id past i64": lambda r: (
        r.execution_id.lstrip("-").isdigit() and not I64_MIN <= int(r.execution_id) <= I64_MAX
    ),
    "id that is no integer": lambda r: not re.fullmatch(r"[+-]?\d+", r.execution_id),
    "empty id": lambda r: r.execution_id == "",
    "defaults kept": lambda r: (r.result_kind, r.actionable, r.informative) == ("data", True, True),
    "a default changed": lambda r: (
        (r.result_kind, r.actionable, r.informative) != ("data", True, True)
    ),
    "created_at absent": lambda r: r.created_at is None,
    "event_ids present": lambda r: r.event_ids is not None,
    "event_id present": lambda r: r.event_id is not None,
    "payload null": lambda r: r.payload is None,
}


def _assert_all_appear(
    name: str, hazards: dict[str, Callable[[Any], bool]], drawn: list[Any]
) -> None:
    counts = Counter(h for x in drawn for h, test in hazards.items() if test(x))
    missing = [h for h in hazards if counts[h] == 0]
    assert not missing, f"{name}: never drawn in {len(drawn)} examples: {missing}"


def test_variety_of_json_values() -> None:
    _assert_all_appear("json_values", VALUE_HAZARDS, _sample(json_values()))


def test_variety_of_executor_events() -> None:
    _assert_all_appear("executor_events", EVENT_HAZARDS, _sample(executor_events()))


def test_variety_of_wire_envelopes() -> None:
    _assert_all_appear("wire_envelopes", WIRE_HAZARDS, _sample(wire_envelopes()))


def test_variety_of_invalid_envelopes() -> None:
    drawn = _sample(invalid_envelopes())
    assert set(KINDS) <= {e.kind for e in drawn}


def test_variety_of_event_requests() -> None:
    _assert_all_appear("event_requests", REQUEST_HAZARDS, _sample(event_requests()))


# ---- the checks catch broken implementations, and say how to keep the example ----------------


def _writes_payload(op: str, text: str, now: str | None = None) -> Outcome:
    """An implementation that writes the alias it should only read."""
    got = reference_op(op, text, now)
    if got.output is None:
        return got
    return got._replace(output=got.output.replace('"context":', '"payload":', 1))


def _python_floats(op: str, text: str, now: str | None = None) -> Outcome:
    """An implementation that writes floats the way Python's json does."""
    got = reference_op(op, text, now)
    if got.output is None or op != "decode_event":
        return got
    event = json.loads(got.output)
    return got._replace(output=json.dumps(event, ensure_ascii=False, separators=(",", ":")))


def _drops_lone_surrogate_check(op: str, text: str, now: str | None = None) -> Outcome:
    """An implementation that accepts what it should reject as an invalid string."""
    got = reference_op(op, text, now)
    if got.kind == "invalid_string":
        return Outcome(True, output="{}")
    return got


def _failure(test: Callable[[], None]) -> PropertyFailure:
    with pytest.raises(PropertyFailure) as info:
        test()
    return info.value


@pytest.mark.parametrize(
    ("impl", "check", "strategy"),
    [
        (_writes_payload, check_round_trip, executor_events()),
        (_writes_payload, check_payload_alias, executor_events()),
        (_python_floats, check_round_trip, executor_events()),
        (_python_floats, check_wire_envelope, wire_envelopes()),
        (_drops_lone_surrogate_check, check_invalid_envelope, invalid_envelopes()),
    ],
)
def test_checks_catch_a_broken_implementation(
    impl: Callable[..., Outcome], check: Callable[..., None], strategy: st.SearchStrategy[Any]
) -> None:
    @settings(FAILING, max_examples=300)
    @given(strategy)
    def prop(example: Any) -> None:
        check(impl, example, caught_by="broken")

    failure = _failure(prop)
    args = shlex.split(failure.command)
    assert args[:4] == ["noetl-events-conformance", "promote", "--op", failure.op]
    given_input = args[args.index("--input") + 1] if "--input" in args else None
    if given_input is None:
        given_input = json.loads(args[args.index("--input-json") + 1])
    assert given_input == failure.input
    assert args[args.index("--caught-by") + 1] == "broken"
    assert str(failure).rstrip().endswith(failure.command)


def test_strategies_note_the_promote_command_of_a_failing_example() -> None:
    @FAILING
    @given(wire_envelopes())
    def prop(envelope: WireEnvelope) -> None:
        assert "payload" not in envelope.text

    with pytest.raises(AssertionError) as info:
        prop()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    command = notes[notes.index("noetl-events-conformance promote") :].splitlines()[0]
    args = shlex.split(command)
    assert args[args.index("--strategy") + 1] == "wire_envelopes"
    assert args[args.index("--op") + 1] == "decode_event"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ('{"a":"b c"}', "--input"),
        ('{"a":"\u00e9\U0001f600"}', "--input"),
        ('{"a":\n1}', "--input-json"),
        ('{"a":"\t\u2028"}', "--input-json"),
    ],
)
def test_promote_command_quotes_any_text(text: str, flag: str) -> None:
    command = promote_command("canonical_value", text, now=None, caught_by="x y")
    args = shlex.split(command)
    assert flag in args
    value = args[args.index(flag) + 1]
    assert (value if flag == "--input" else json.loads(value)) == text
    assert "\n" not in command


# ---- the real Rust adapter -------------------------------------------------------------------


@pytest.fixture(scope="module")
def rust() -> Iterator[AdapterOp]:
    if not RUST_ADAPTER.is_file():
        message = (
            f"the Rust adapter is not built ({RUST_ADAPTER}); "
            "build it with `cargo build --release` in adapters/rust"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with AdapterOp([str(RUST_ADAPTER)]) as adapter:
        yield adapter


RUST = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def _same(rust: AdapterOp, op: str, text: str, now: str | None = None) -> None:
    got, want = rust(op, text, now), reference_op(op, text, now)
    assert got == want, f"{op} {text!r}: rust {got}, reference {want}"


@pytest.mark.rust
def test_rust_adapter_reads_wire_envelopes_as_the_reference(rust: AdapterOp) -> None:
    assert "rust" in rust.implementation

    @RUST
    @given(wire_envelopes())
    def prop(envelope: WireEnvelope) -> None:
        check_wire_envelope(rust, envelope)
        _same(rust, "decode_event", envelope.text)
        _same(rust, "event_to_request", envelope.text)

    prop()


@pytest.mark.rust
def test_rust_adapter_rejects_invalid_envelopes_as_the_reference(rust: AdapterOp) -> None:
    @RUST
    @given(invalid_envelopes())
    def prop(envelope: InvalidEnvelope) -> None:
        check_invalid_envelope(rust, envelope)
        _same(rust, "decode_event", envelope.text)

    prop()


@pytest.mark.rust
def test_rust_adapter_converts_as_the_reference(rust: AdapterOp) -> None:
    @settings(RUST, max_examples=100)
    @given(executor_events(), event_requests())
    def prop(event: ExecutorEvent, request: EventRequest) -> None:
        check_conversion_round_trip(rust, event)
        check_request_conversion(rust, request, now=NOW)
        _same(rust, "decode_request", encode_request(request))
        _same(rust, "canonical_value", encode_value(event.context))

    prop()


PRINTED_ONCE = """
from hypothesis import given, settings
from conformance.strategies import check_wire_envelope, wire_envelopes
from noetl_events_ref import Outcome

def broken(op, text, now=None):
    return Outcome(True, output="null")

@settings(max_examples=20, database=None)
@given(wire_envelopes())
def test_a_check_fails(envelope):
    check_wire_envelope(broken, envelope, caught_by="broken")

@settings(max_examples=20, database=None)
@given(wire_envelopes())
def test_a_plain_assert_fails(envelope):
    assert False
"""


def test_each_failure_prints_the_promote_command_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_printed=PRINTED_ONCE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    # (the short summary after the failures repeats each message in full when CI is set)
    failures = result.stdout.str().split("short test summary info")[0]
    sections = failures.split("_ test_a_")[1:]
    assert len(sections) == 2
    for section in sections:
        assert section.count("noetl-events-conformance promote --op") == 1, section
    assert "--caught-by broken" in sections[0]


def test_adapter_op_takes_a_command_line_as_verify_does() -> None:
    """A string is split as a shell would (it is not a list of one-letter commands)."""
    with AdapterOp(f"{shlex.quote(sys.executable)} -m noetl_events_ref", timeout=30) as op:
        assert op("canonical_value", "[1e-5]", None) == reference_op("canonical_value", "[1e-5]")
    with pytest.raises(RuntimeError, match=r"^no-such-adapter: cannot start: No such file"):
        AdapterOp("no-such-adapter --flag")
    with pytest.raises(ValueError, match="empty"):
        AdapterOp("  ")
