"""The native engine gives the Python engine's report, byte for byte, on every stream here: the
corpus inputs, the fixed tricky lines, generated hostile streams, invalid lines, possible secrets
and realistic envelopes; hazards on and off; lists cut at any length, across block borders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.audit import _native
from conformance.audit._check import Mode, Numbered
from conformance.audit._report import report_json
from conformance.audit._run import AuditOptions
from noetl_events_ref import EnvelopeError, decode_event, decode_request
from noetl_events_ref._rust_unicode import LOWERCASE_WITH_ASCII
from noetl_events_ref._sensitive import SENSITIVE_KEY_PARTS

from .conftest import ROOT, Result
from .tricky import BASE, envelope_lines, render, tricky_lines, with_value

sys.path.insert(0, str(ROOT / "benchmarks"))
from _envelopes import heavy_lines, realistic_lines


def _need_native() -> None:
    if _native.available():
        return
    message = "the native engine is not built: pip install ./native (scripts/test builds it)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message, allow_module_level=True)


_need_native()


def report(
    engine: str,
    lines: Sequence[bytes],
    mode: Mode,
    *,
    hazards: bool,
    max_items: int,
    block: int,
    threads: int = 1,
) -> str:
    """The JSON report of ``lines`` checked in blocks of ``block`` lines."""
    options = AuditOptions(
        mode=mode, max_items=max_items, hazards=hazards, engine=engine, threads=threads
    )
    auditor = options.auditor()
    tally = auditor.tally()
    for first in range(0, len(lines), block):
        part = list(lines[first : first + block])
        tally.lines += len(part)
        auditor.check(tally, part, Numbered(0, first + 1))
    return json.dumps(report_json(tally, ["stream"], hazards=hazards), ensure_ascii=False)


def assert_same(lines: Sequence[bytes], mode: Mode, **cuts: int) -> dict[str, Any]:
    """Both engines, hazards on and off, lists cut or not: equal reports. Returns one."""
    out: dict[str, Any] = {}
    for hazards in (False, True):
        for max_items, block in ((0, 1000), (3, 7), (cuts.get("max_items", 50), 64)):
            python = report(
                "python", lines, mode, hazards=hazards, max_items=max_items, block=block
            )
            native = report(
                "native", lines, mode, hazards=hazards, max_items=max_items, block=block
            )
            assert native == python, (hazards, max_items, block)
            out = json.loads(python)
    return out


def _corpus(op: str) -> list[tuple[bytes, str | None]]:
    cases = []
    for path in sorted((ROOT / "fixtures" / "cases" / op).glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        error = case["expect"].get("error")
        kind = error["kind"] if error is not None else None
        cases.append((case["input"].encode("utf-8", "surrogatepass"), kind))
    return cases


@pytest.mark.parametrize(("op", "mode"), [("decode_event", "event")])
def test_corpus_inputs(op: str, mode: Mode) -> None:
    cases = _corpus(op)
    assert len(cases) > 20
    report = assert_same([line for line, _ in cases], mode)
    assert report["invalid"] == sum(1 for _, kind in cases if kind is not None) > 5


@pytest.mark.parametrize(("op", "mode"), [("decode_event", "event")])
def test_native_kinds_are_the_corpus_kinds(op: str, mode: Mode) -> None:
    """The native verdict and error kind of every corpus input are the real crate's (the
    corpus records them)."""
    cases = _corpus(op)
    engine = _native.NativeAuditor(mode=mode)._native
    valid, _, invalid, *_ = engine.check([line for line, _ in cases], None)
    kinds = dict(invalid)
    assert valid == len(cases) - len(kinds)
    for k, (_, expected) in enumerate(cases):
        assert kinds.get(k) == expected, cases[k][0]


@pytest.mark.parametrize(("base", "mode"), [(BASE, "event")])
def test_tricky_lines(base: dict[str, str], mode: Mode) -> None:
    lines = tricky_lines(base)
    report = assert_same(lines, mode)
    assert report["invalid"] > 50 and report["valid"] > 50


def _reference_kind(line: bytes, mode: Mode) -> str | None:
    try:
        (decode_event if mode == "event" else decode_request)(line)
    except EnvelopeError as e:
        return e.kind
    return None


@pytest.mark.parametrize(("base", "mode"), [(BASE, "event")])
def test_native_kinds_agree_with_the_reference(base: dict[str, str], mode: Mode) -> None:
    """The kit's one classification, run natively, names the reference's kind for every
    invalid tricky line (bad UTF-8 included: both read bytes as serde_json's from_slice)."""
    lines = tricky_lines(base)
    assert not all(map(_is_utf8, lines))
    engine = _native.NativeAuditor(mode=mode)._native
    _, _, invalid, *_ = engine.check(lines, None)
    native = dict(invalid)
    for k, line in enumerate(lines):
        assert native.get(k) == _reference_kind(line, mode), line


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


SECRETS = [
    '{"password":"hunter2"}',
    '{"a":{"Api-Key":1}}',
    '{"x":"Bearer abc"}',
    '{"x":"BASIC abc"}',
    '{"x":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"}',
    '{"x":"-----BEGIN RSA PRIVATE KEY-----"}',
    '{"x":"' + "A" * 40 + '"}',
    '{"x":"' + "A" * 39 + '"}',
    '{"x":"' + "é" * 20 + '"}',
    '{"x":"\u212aEY-----"}',
    '{"x":"BA\u0130C xyz"}',
    '{"x":"B\u0065arer xyz"}',
    '{"x":"\u0042asic xyz"}',
    '{"x":"\\u0042asic xyz"}',
    '{"x":"\u212a"}',
    '{"x":"' + "\u0041" * 40 + '"}',
    '{"x":"' + "a/b+" * 10 + '="}',
    '{"tok\\u0065n":1}',
    '{"pässword":1}',
    '{"b":1,"a":{"secret_key":[1.50]}}',
    '{"list":[{"ssh_key":null}]}',
]


@pytest.mark.parametrize(("base", "mode"), [(BASE, "event")])
def test_possible_secrets(base: dict[str, str], mode: Mode) -> None:
    value = "context" if mode == "event" else "payload"
    lines = []
    for secret in SECRETS:
        for key in (value, "meta"):
            members = [(k, secret if k == key else v) for k, v in base.items()]
            if key not in base:
                members.append((key, secret))
            lines.append(render(members).encode())
    lines.append(
        render([(k, '"Bearer x"' if k == "step" else v) for k, v in base.items()]).encode()
    )
    report = assert_same(lines, mode)
    assert report["invalid"] == 0


def test_realistic_envelopes() -> None:
    lines = [line.encode() for line in realistic_lines(3000, seed=7)]
    lines[100] = lines[100][:-5]
    report = assert_same(lines, "event")
    assert report["invalid"] == 1 and report["valid"] == 2999


def test_native_hazards_are_computed_natively() -> None:
    """On ordinary lines the native scanner answers itself (nothing handed back), so the
    figures measure it, and its answers are the ones compared above."""
    lines = [line.encode() for line in realistic_lines(500, seed=3)]
    engine = _native.NativeAuditor(mode="event", hazards=True)._native
    valid, _, invalid, hazard_lines, counts, _, handed_back = engine.check(lines, None)
    assert (valid, invalid, handed_back) == (500, [], [])
    assert hazard_lines > 400 and counts["unsafe_integer"] > 400


def test_texts_are_written_for_the_listed_hazards_and_a_line_is_handed_back_when_unsure() -> None:
    """The native scan writes a hazard's path and detail only when it is placed among those the
    report lists (a line of 838,000 respelled floats wrote them all: 160 MB for a report of
    100). Hazards placed later and moved into the listed ones (a repeated key drops its first
    value's six hazards) have none: that line goes to the reference. Reports stay the same."""
    first = ",".join(["1.50"] * 6)
    moved = _with_context('{"a":[' + first + '],"b":[1.50,1.50,1.50],"a":0}')
    plain = _with_context("[" + ",".join(["1.50"] * 20) + "]")
    engine = _native.NativeAuditor(mode="event", hazards=True)._native
    for room, handed in ((None, []), (0, []), (3, []), (5, [0]), (9, [])):
        answer = engine.check([moved, plain], room)
        assert answer[6] == handed, room
        assert all(path for _, _, path, _ in answer[5]), room  # listed: with their texts
    for max_items in (3, 5, 9):
        assert_same([moved, plain] * 3, "event", max_items=max_items)


# ---- the fused scan: the hazard scan riding on the lean decode --------------------------------

SETTLED = [  # values the fused scan settles itself (no second pass): floats anywhere
    '{"a":1.50}',
    "[1.0, 2.5e3, -0, -0.0, 18446744073709551616, 1E3, 0.1e-2]",
    '["x", 1.25, true, 2.50, null, false, 3e0, {"k": 4.0}, [5.0, [6.10]]]',
    '{"b" : [ 1 , 2.0 ] , "a" : { "c" : 0.1 , "b" : 1e-7 } }',
    '{"z":{"y":1},"a":[{"n":2},1.0]}',
    "[[], {}, [[]], 1.5]",
    '"plain"',
    "-0",
    "12.0",
    '{"t":"\\u00e9", "u":"x"}',
    '{"k\\u0065y":1, "b":{"\\u0061":["s", 2.0]}}',  # keys written with escapes
    '{"\u00e9":1, "a":2, "\u0440assword":3}',  # keys outside ASCII, none sensitive
    '{"a b":{"c-d":1.0}}',
]
UNSETTLED = [  # left to the scanner's own pass (which may hand them to the reference)
    '["\\u00e9x", 1.5]',  # a float after an escaped string: no known position
    '{"\u00e9":1.50}',  # a hazard's path through a key outside ASCII (an identifier?)
    '{"a\\"b":1.50}',  # a hazard's path through a key its JSON text escapes
    '{"\u212aey_api\u212aey":1}',  # a key that lowercases to one with a sensitive part
    '{"a":1,"\\u0061":2}',  # a repeated key
    '{"password":"x"}',  # a key that may be a secret
    '"Bearer abc"',  # a string that may be a secret
    "[" * 95 + "]" * 95,  # deep
]


def _with_context(value: str, key: str = "context") -> bytes:
    return render([(k, value if k == key else v) for k, v in BASE.items()]).encode()


def _reference_hazards(lines: Sequence[bytes]) -> list[list[tuple[str, str, str]]]:
    from conformance.audit._hazards import scanner

    scan = scanner("event")
    return [[tuple(h) for h in scan(line)] for line in lines]  # type: ignore[misc]


def _fused(lines: Sequence[bytes], texts: bool = True) -> list[Any]:
    parts = list(SENSITIVE_KEY_PARTS)
    folds = LOWERCASE_WITH_ASCII
    return _native._module().fused_hazards(list(lines), parts, folds, texts)  # type: ignore[no-any-return]


def test_the_fused_scan_settles_floats_and_gives_the_references_hazards() -> None:
    lines = [_with_context(v, key) for v in SETTLED for key in ("context", "meta")]
    lines.append(render([*BASE.items(), ("extra", '{"list":[1.5,"s",{"k":null}]}')]).encode())
    fused = _fused(lines)
    assert None not in fused, [line for line, f in zip(lines, fused, strict=True) if f is None]
    assert [list(map(tuple, f)) for f in fused] == _reference_hazards(lines)
    kinds = {h[0] for f in fused for h in f}
    assert {"float_respelled", "key_order", "unsafe_integer"} <= kinds
    assert _fused(lines, texts=False) == [[(k, "", "") for k, _, _ in f] for f in fused]


def test_the_fused_scan_leaves_what_it_cannot_settle() -> None:
    lines = [_with_context(v) for v in UNSETTLED]
    lines.append(render([*BASE.items(), ('"ext\\u0072a"', '{"x":1}')]).encode())
    lines.append(render([*BASE.items(), ("extra", '{"token":1}')]).encode())
    assert _fused(lines) == [None] * len(lines)
    assert_same(lines, "event")


def test_keys_and_timestamps_written_with_escapes_are_read_decoded() -> None:
    stamp = '"\\u0032026-05-31T03:14:15.123456789\\u005a"'
    lines = [
        render([(k if k != "step" else '"st\\u0065p"', v) for k, v in BASE.items()]).encode(),
        render([(k, stamp if k == "created_at" else v) for k, v in BASE.items()]).encode(),
    ]
    fused = _fused(lines)
    assert fused == _reference_hazards(lines)
    assert fused[1][-1] == (
        "sub_microsecond",
        "$.created_at",
        "2026-05-31T03:14:15.123456789Z: the database keeps microseconds only",
    )


def test_without_texts_a_path_through_any_key_is_settled() -> None:
    lines = [_with_context('{"\u00e9":1.50}'), _with_context('{"a\\"b":{"z":1,"y":2}}')]
    assert _fused(lines) == [None, None]
    kinds = [[(kind, "", "") for kind, _, _ in found] for found in _reference_hazards(lines)]
    assert _fused(lines, texts=False) == kinds
    assert kinds == [
        [("unsafe_integer", "", ""), ("unsafe_integer", "", ""), ("float_respelled", "", "")],
        [("unsafe_integer", "", ""), ("unsafe_integer", "", ""), ("key_order", "", "")],
    ]


def _same_as_reference(lines: Sequence[bytes]) -> int:
    """Where the fused scan settles a line, its hazards are the reference's; returns how many
    it settled."""
    fused = _fused(lines)
    reference = _reference_hazards(
        [line for line, f in zip(lines, fused, strict=True) if f is not None]
    )
    settled = [list(map(tuple, f)) for f in fused if f is not None]
    assert settled == reference
    return len(settled)


def test_the_fused_scan_on_realistic_and_generated_envelopes() -> None:
    realistic = [line.encode() for line in realistic_lines(3000, seed=11)]
    assert _same_as_reference(realistic) == 3000  # every ordinary line in one pass
    heavy = [line.encode("utf-8", "surrogatepass") for line in heavy_lines(3000, seed=12)]
    assert _same_as_reference(heavy) > 300


_spaced_values = st.builds(
    lambda value, seps, ascii: json.dumps(value, separators=seps, ensure_ascii=ascii),
    st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(2**70), 2**70),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=4),
        ),
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=4), kids),
        max_leaves=12,
    ),
    st.sampled_from([(",", ":"), (", ", ": "), (" ,\t", " :\r ")]),
    st.booleans(),  # escapes for everything outside ASCII, or the chars as they are
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(st.tuples(st.sampled_from(["context", "meta", "extra"]), _spaced_values), max_size=8)
)
def test_the_fused_scan_on_generated_values(values: list[tuple[str, str]]) -> None:
    lines = [_with_context(value, key) for key, value in values]
    _same_as_reference(lines)


# ---- the scanner's own pass: the lines the fused scan leaves ---------------------------------

# The crate's keys with the roles the module gives them itself: given here, they turn the fused
# scan off, so that the own pass answers alone.
_ROLES = {
    "execution_id": "execution_id",
    "event_id": "event_id",
    "context": "value",
    "payload": "value",
    "meta": "meta",
    "created_at": "created_at",
}


def _own_pass(lines: Sequence[bytes]) -> list[Any]:
    """The own pass's hazards of each line, or None where it hands the line back."""
    module = _native._module()
    assert module is not None
    parts, folds = list(SENSITIVE_KEY_PARTS), LOWERCASE_WITH_ASCII
    engine = module.Engine("event", True, _ROLES, parts, 1, folds)
    _, _, invalid, _, _, hazards, handed = engine.check(list(lines), None)
    assert invalid == []
    out: list[Any] = [[] for _ in lines]
    for k, kind, path, detail in hazards:
        out[k].append((kind, path, detail))
    for k in handed:
        out[k] = None
    return out


OWN_PASS_SETTLED = [  # values the fused scan leaves and the own pass settles
    '["\\u00e9x", 1.5]',  # a float after an escaped string
    '{"a":1,"\\u0061":2.50}',  # a key repeated, once written with escapes
    '{"a":1.0,"b":2,"a":3.10}',  # the first value's hazard is dropped: serde keeps the last
    '{"a":{"x":1.0},"a":[2.0],"a":null,"c":{"d":1,"d":2.0}}',
    '{"b":1,"a":{"c":1,"c":2.0},"b":[1.50]}',
    '{"k\\u0065y":{"z":1,"y":2.50}}',  # an escaped key on a hazard's path
]


def test_the_own_pass_reads_escaped_and_repeated_keys() -> None:
    """Keys written with escapes are read decoded, everywhere; of a repeated key only the
    value serde_json keeps (the last) is walked, after the repeats' own hazards."""
    lines = [_with_context(v, key) for v in OWN_PASS_SETTLED for key in ("context", "meta")]
    extra = ('"\\u0065xtra"', '{"x":[1.0]}')  # an unknown key written with escapes
    stamp = '"\\u0032026-05-31T03:14:15.123456789\\u005a"'
    lines.append(render([*BASE.items(), extra]).encode())
    lines.append(render([(k, stamp if k == "created_at" else v) for k, v in BASE.items()]).encode())
    assert _fused(lines)[:10] == [None] * 10  # left by the fused scan: repeats, a float
    own = _own_pass(lines)
    assert None not in own, [line for line, o in zip(lines, own, strict=True) if o is None]
    assert own == _reference_hazards(lines)
    assert (
        "duplicate_key",
        "$.context.a",
        'key "a" repeated: serde_json keeps the last value',
    ) in own[2]
    assert ("float_respelled", "$.context.a", "1.0 is written back as 1") not in own[4]
    assert_same(lines, "event")


_keys = st.sampled_from(["a", "b", "\\u0061", "a b", "\u00e9", "10", 'k\\"', "\\u0062"])
_json_texts = st.recursive(
    st.one_of(
        st.sampled_from(["null", "true", "1.50", "-0.0", "1E3", "2.5e-3", "10.0", "7"]),
        st.integers(-(2**70), 2**70).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
        st.text(max_size=3).map(json.dumps),
    ),
    lambda kids: (
        st.lists(kids, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]")
        | st.lists(st.tuples(_keys, kids), max_size=5).map(
            lambda kv: "{" + ",".join(f'"{k}":{v}' for k, v in kv) + "}"
        )
    ),
    max_leaves=14,
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from(["context", "meta"]), _json_texts), max_size=8))
def test_the_own_pass_on_generated_values_with_repeated_keys(
    values: list[tuple[str, str]],
) -> None:
    """Where the own pass settles a line (keys repeated, escaped, outside ASCII), its hazards
    are the reference's."""
    lines = [_with_context(value, key) for key, value in values]
    own = _own_pass(lines)
    settled = [line for line, o in zip(lines, own, strict=True) if o is not None]
    assert [o for o in own if o is not None] == _reference_hazards(settled)


def test_the_lean_decode_reads_the_crates_struct() -> None:
    """The lean decode's table of keys agrees with the crate (its declared names and
    aliases, and which fields it requires); else the module would send every line to the
    crate."""
    assert _native._module().lean_disagreement() is None


def _lean_agrees(lines: Sequence[bytes]) -> int:
    """Every line: the lean decode accepts it exactly when the crate does (the positional
    array form is left to the crate). Returns how many the crate accepts."""
    verdicts = _native._module().lean_verdicts(list(lines))
    for line, (lean, crate) in zip(lines, verdicts, strict=True):
        expected = crate and not line.lstrip().startswith(b"[")
        assert lean == expected, line
    return sum(crate for _, crate in verdicts)


def test_lean_decode_agrees_with_the_crate_on_the_corpus_and_tricky_lines() -> None:
    lines = [line for line, _ in _corpus("decode_event")] + tricky_lines(BASE)
    accepted = _lean_agrees(lines)
    assert 100 < accepted < len(lines) - 100


def test_lean_decode_agrees_with_the_crate_on_generated_envelopes() -> None:
    """The kit's generators: escapes and aliases in keys, unicode, floats, odd timestamps,
    deep values; 5% of them invalid."""
    lines = [line.encode("utf-8", "surrogatepass") for line in heavy_lines(20_000, seed=5)]
    accepted = _lean_agrees(lines)
    assert 15_000 < accepted < 20_000


SLOW = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@SLOW
@given(st.lists(envelope_lines(), min_size=1, max_size=30))
def test_hostile_event_streams(lines: list[bytes]) -> None:
    assert_same(lines, "event", max_items=2)


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(envelope_lines(), min_size=1, max_size=20))
def test_lean_decode_agrees_with_the_crate_on_hostile_lines(lines: list[bytes]) -> None:
    _lean_agrees(lines)


def test_requests_run_on_the_python_engine() -> None:
    """The module does not link the server library, so request streams take the Python
    engine: chosen by ``auto``, and ``native`` asked for is refused with the fix."""
    assert _native.resolve("auto", "request") == "python"
    assert _native.resolve("native", "event") == "native"
    with pytest.raises(_native.EngineError, match="--as request runs on --engine python"):
        _native.resolve("native", "request")  # (check's option is --as; schema has a --mode)
    with pytest.raises(ValueError, match="unknown mode"):
        _native.NativeAuditor(mode="request")


@pytest.mark.parametrize("hazards", [False, True])
def test_oversized_lines_are_reported_as_the_python_engine_does(hazards: bool) -> None:
    lines = [line.encode() for line in realistic_lines(20, seed=5)]
    lines[5] = with_value(BASE, "context", '{"ratio":1.0}').encode()  # a hazard in the block
    reports = []
    for engine in ("python", "native"):
        auditor = AuditOptions(engine=engine, max_item=64, hazards=hazards).auditor()
        tally = auditor.tally()
        tally.lines = len(lines)
        auditor.check(
            tally,
            [b"" if k == 3 else line for k, line in enumerate(lines)],
            Numbered(0, 1),
            {3: 5000},
        )
        reports.append(json.dumps(report_json(tally, ["s"], hazards=hazards)))
    assert reports[0] == reports[1]
    assert json.loads(reports[1])["invalid"] == 1
    if hazards:
        assert json.loads(reports[1])["hazards"]["lines"] >= 1


def test_a_block_the_module_leaves_to_the_reference_keeps_its_hazards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check: Callable[..., Result]
) -> None:
    """A block with a line over the maximum item size, or over the module's own maximum, is
    checked by the reference: its valid lines' hazards are reported all the same, as the
    Python engine reports them (also when no line was handed back before)."""
    hazard = with_value(BASE, "context", '{"ratio":1.0}')
    big = with_value(BASE, "context", json.dumps({"text": "x" * 5000}))
    data = tmp_path / "big.jsonl"
    data.write_text(f"{hazard}\n{hazard}\n{big}\n{hazard}\n", encoding="utf-8")
    args = [str(data), "--hazards", "--format", "json"]

    def both(*more: str) -> dict[str, Any]:
        python = check(*args, *more, "--engine", "python")
        native = check(*args, *more, "--engine", "native")
        assert (native.status, native.out) == (python.status, python.out)
        out: dict[str, Any] = native.json()
        return out

    over_item = both("--max-item-size", "4K")  # the big line is not read
    assert over_item["invalid"] == 1 and over_item["hazards"]["lines"] == 3
    monkeypatch.setattr(_native, "NATIVE_MAX_LINE", 4096)  # the module refuses the block
    over_module = both()
    assert over_module["invalid"] == 0 and over_module["hazards"]["lines"] == 4


def test_a_block_larger_than_a_call_gives_the_same_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Big blocks go to the module in chunks (bounded memory); line numbers, lists cut at
    --max-errors and hazards come out as from one call."""
    lines = [line.encode() for line in realistic_lines(300, seed=11)]
    for k in range(0, 300, 7):
        lines[k] = lines[k][:-3]  # invalid, spread across the chunks
    whole = report("native", lines, "event", hazards=True, max_items=5, block=300)
    monkeypatch.setattr(_native, "NATIVE_CHUNK", 16)
    chunked = report("native", lines, "event", hazards=True, max_items=5, block=300)
    assert chunked == whole
    assert chunked == report("python", lines, "event", hazards=True, max_items=5, block=300)


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_same_report(threads: int) -> None:
    """A block shared among threads (each a contiguous part) gives one thread's report: counts,
    event types, findings and hazards in line order, lists cut at --max-errors across the
    parts' borders, handed-back lines."""
    lines = [line.encode() for line in realistic_lines(2500, seed=13)]
    for k in range(0, len(lines), 97):
        lines[k] = lines[k][:-2]  # invalid, in every part
    lines += tricky_lines(BASE)[:400]
    lines += [line.encode("utf-8", "surrogatepass") for line in heavy_lines(600, seed=13)]
    for hazards in (False, True):
        for max_items, block in ((0, 1400), (7, 1400), (150, 700), (3, 5000)):
            one = report(
                "native", lines, "event", hazards=hazards, max_items=max_items, block=block
            )
            many = report(
                "native",
                lines,
                "event",
                hazards=hazards,
                max_items=max_items,
                block=block,
                threads=threads,
            )
            assert many == one, (hazards, max_items, block)
    assert json.loads(one)["invalid"] > 26


def test_a_forked_child_checks_without_the_parents_threads() -> None:
    """A child made by fork has none of the engine's helper threads: it checks a block on its
    own thread (it used to wait forever for a helper's answer)."""
    import signal
    import time

    module = _native._module()
    assert module is not None
    engine = module.Engine("event", True, None, [], 3)
    lines = [line.encode() for line in realistic_lines(3000, seed=17)]
    expected = engine.check(lines, 100)  # the parent's helpers are started
    pid = os.fork()
    if pid == 0:  # the child: the same answer, or exit 1; never back into pytest
        status = 1
        try:
            status = 0 if engine.check(lines, 100) == expected else 1
        finally:
            os._exit(status)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child did not finish its block within 60 s")


def test_a_check_of_valid_lines_loads_nothing_it_does_not_use(tmp_path: Path) -> None:
    """Start-up is most of a short ``check``'s time. On valid lines, a run (report to a file)
    loads neither the reference's decoder nor ``dataclasses`` (with ``inspect``) nor
    ``pathlib``: the modules it needs define their types without them."""
    data = tmp_path / "valid.jsonl"
    line = render(list(BASE.items()))
    data.write_text(f"{line}\n{line}\n", encoding="utf-8")
    code = (
        "import sys; from conformance.cli._main import main\n"
        "status = main(['check', sys.argv[1], '--engine', 'native', '--format', 'json',"
        " '--jobs', '2', '--output', sys.argv[2]])\n"
        "print(status, sorted(m for m in ('dataclasses', 'inspect', 'pathlib',"
        " 'noetl_events_ref._codec') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(data), str(tmp_path / "report.json")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert out.split() == ["0", "[]"]
    assert json.loads((tmp_path / "report.json").read_text("utf-8"))["valid"] == 2
