"""The fast path (orjson) never calls a line valid that the reference rejects, and the whole
audit gives the same tally with and without it: on the golden corpus, on a fixed list of
tricky lines, and on random ones."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.audit import _fast
from conformance.audit._check import Auditor, Numbered, Tally
from conformance.corpus._case import load_corpus
from noetl_events_ref import EnvelopeError, decode_event, decode_request

from .conftest import need_module
from .tricky import BASE, REQUEST_BASE, envelope_lines, render, tricky_lines, with_value

orjson = need_module("orjson", "check")  # the fast path is what these tests are about

MODES = ("event", "request")


def corpus_inputs() -> list[bytes]:
    return sorted({case.input.encode("utf-8", "surrogatepass") for case in load_corpus()})


def assert_agrees(lines: Sequence[bytes], mode: str) -> int:
    """Every line the prover proves is accepted by the reference with the same event type;
    returns how many it proved."""
    prover = _fast.event_prover() if mode == "event" else _fast.request_prover()
    assert prover is not None
    decode = decode_event if mode == "event" else decode_request
    proved, slow = prover(lines)
    assert slow == sorted(set(slow)), "indices of unproved lines: ascending, once each"
    assert all(0 <= i < len(lines) for i in slow)
    assert len(proved) + len(slow) == len(lines)
    unproved = set(slow)
    expected = []
    for i, line in enumerate(lines):
        if i in unproved:
            continue
        try:
            record = decode(line)
        except EnvelopeError as e:
            pytest.fail(f"the fast path proved a line the reference rejects: {line!r}: {e}")
        expected.append(record.event_type)
    assert proved == expected
    return len(proved)


def tallies(lines: Sequence[bytes], mode: str, max_items: int = 0) -> tuple[Tally, Tally]:
    fast = Auditor(mode=mode, max_items=max_items)  # type: ignore[arg-type]
    exact = Auditor(mode=mode, max_items=max_items, fast=False)  # type: ignore[arg-type]
    assert fast.fast and not exact.fast
    a, b = fast.tally(), exact.tally()
    fast.check(a, lines, Numbered(0, 1))
    exact.check(b, lines, Numbered(0, 1))
    return a, b


def assert_same_tally(a: Tally, b: Tally) -> None:
    assert (a.total, a.valid, a.invalid) == (b.total, b.valid, b.invalid)
    assert a.by_kind == b.by_kind
    assert a.by_event_type.as_dict() == b.by_event_type.as_dict()
    assert a.findings == b.findings


def test_orjson_is_usable() -> None:
    assert _fast.available(), "orjson is installed: the fast path must be on"


@pytest.mark.parametrize("mode", MODES)
def test_corpus_agrees(mode: str) -> None:
    lines = corpus_inputs()
    assert len(lines) > 100
    proved = assert_agrees(lines, mode)
    assert proved > 0
    assert_same_tally(*tallies(lines, mode))


@pytest.mark.parametrize("mode", MODES)
def test_tricky_lines_agree(mode: str) -> None:
    lines = tricky_lines(BASE if mode == "event" else REQUEST_BASE)
    assert len(lines) > 1000
    proved = assert_agrees(lines, mode)
    assert proved > 50  # the fast path does prove the ordinary ones
    assert_same_tally(*tallies(lines, mode))


@pytest.mark.parametrize("mode", MODES)
def test_each_tricky_line_alone_agrees(mode: str) -> None:
    """Alone, a line takes the batch proof; among others, the line-by-line one."""
    for line in tricky_lines(BASE if mode == "event" else REQUEST_BASE):
        assert_agrees([line], mode)


def test_batches_of_valid_lines_are_proved_at_once() -> None:
    valid = render(list(BASE.items())).encode()
    lines = [valid] * 200
    assert assert_agrees(lines, "event") == 200


@pytest.mark.parametrize(
    "bad",
    [
        # a repeated field among valid lines: the batch proof fails, line by line finds it
        render([*BASE.items(), ("step", '"again"')]),
        render([*BASE.items(), ('"st\\u0065p"', '"again"')]),
        render([(k, '{"a":1,"a":2}' if k == "context" else v) for k, v in BASE.items()]),
        render([(k, "[" * 101 + "]" * 101 if k == "meta" else v) for k, v in BASE.items()]),
        render([(k, "1.7976931348623158e308" if k == "meta" else v) for k, v in BASE.items()]),
        render(
            [(k, '"2024-02-29T00:00:00Z"' if k == "created_at" else v) for k, v in BASE.items()]
        ),
        " " + render(list(BASE.items())),
    ],
)
def test_one_bad_line_in_a_batch(bad: str) -> None:
    valid = render(list(BASE.items())).encode()
    lines = [valid] * 30 + [bad.encode()] + [valid] * 30
    assert_agrees(lines, "event")
    assert_same_tally(*tallies(lines, "event"))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1.7976931348623158e308", "finite to orjson (correctly rounded), out of range to serde"),
        ("-0", "orjson's integer 0, serde's float -0.0"),
        ('{"a":1,"a":2}', "orjson keeps the last key"),
    ],
)
def test_known_differences_are_guarded(text: str, why: str) -> None:
    """Where orjson alone would be wrong, the guards keep the line from the fast path."""
    line = {
        "1.7976931348623158e308": with_meta(text),
        "-0": render([(k, text if k == "execution_id" else v) for k, v in BASE.items()]),
        '{"a":1,"a":2}': render([*BASE.items(), ("status", '"X"')]),
    }[text].encode()
    orjson.loads(line)  # orjson alone accepts it
    prover = _fast.event_prover()
    assert prover is not None
    _, slow = prover([line])
    assert slow == [0], why


def with_meta(value: str) -> str:
    return render([(k, value if k == "meta" else v) for k, v in BASE.items()])


def test_nesting_guard_is_exact() -> None:
    """The dump of the wrapped batch fails exactly past 100 levels, whatever the shape."""
    prover = _fast.event_prover()
    assert prover is not None
    for open_, close in (("[", "]"), ('{"k":', "}")):
        for core in ("0", "[]", "{}", '"s"'):
            for depth in (98, 99, 100, 101, 102, 126, 127, 128, 300):
                inner = (
                    open_ * (depth - 2 - (core in ("[]", "{}")))
                    + core
                    + close * (depth - 2 - (core in ("[]", "{}")))
                )
                line = with_meta('{"m":' + inner + "}").encode()
                _, slow = prover([line])
                if depth > 100:
                    assert slow == [0], (depth, open_, core)
                assert_agrees([line], "event")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(envelope_lines(), min_size=1, max_size=80))
def test_random_event_blocks_agree(lines: list[bytes]) -> None:
    assert_agrees(lines, "event")
    assert_same_tally(*tallies(lines, "event"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(envelope_lines(request=True), min_size=1, max_size=40))
def test_random_request_blocks_agree(lines: list[bytes]) -> None:
    assert_agrees(lines, "request")
    assert_same_tally(*tallies(lines, "request"))


# ---- the reference's own fast path, against its exact parser -----------------------------------
# The verdicts above are decode_event's / decode_request's, which have a fast path of their own
# (Python's json, guarded). Here they are held to the reference's exact serde_json twin, so a
# slip in that fast path cannot hide behind ours.


def exact_verdict(line: bytes, mode: str) -> tuple[object, ...]:
    from noetl_events_ref._codec import to_bytes
    from noetl_events_ref._json import Parser, SerdeError
    from noetl_events_ref._model import EVENT_SPEC, REQUEST_SPEC, EventRequest, ExecutorEvent

    spec, cls = (EVENT_SPEC, ExecutorEvent) if mode == "event" else (REQUEST_SPEC, EventRequest)
    parser = Parser(to_bytes(line))
    try:
        values = parser.read_struct(spec)
        parser.end()
    except SerdeError as e:
        return ("invalid", e.kind, e.path, e.message)
    return ("valid", cls._from_values(values).event_type)


def public_verdict(line: bytes, mode: str) -> tuple[object, ...]:
    decode = decode_event if mode == "event" else decode_request
    try:
        return ("valid", decode(line).event_type)
    except EnvelopeError as e:
        return ("invalid", e.kind, e.path, e.message)


@pytest.mark.parametrize("mode", MODES)
def test_reference_decoders_agree_with_the_exact_parser(mode: str) -> None:
    lines = tricky_lines(BASE if mode == "event" else REQUEST_BASE) + corpus_inputs()
    for line in lines:
        assert public_verdict(line, mode) == exact_verdict(line, mode), line


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(envelope_lines())
def test_reference_decoders_agree_with_the_exact_parser_random(line: bytes) -> None:
    assert public_verdict(line, "event") == exact_verdict(line, "event")


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("stop_at", [0, 1, 5, 13])
def test_an_interrupt_within_a_block_leaves_counts_that_add_up(
    monkeypatch: pytest.MonkeyPatch, fast: bool, stop_at: int
) -> None:
    """Ctrl-C lands while the reference judges a block's lines: the tally counts the lines
    judged so far, each valid or with its finding, and nothing else."""
    from conformance.audit import _check

    valid = render(list(BASE.items())).encode()
    lines = [valid, b"{", with_value(BASE, "context", '{"r":1e400}').encode(), b"[]"] * 5
    calls = 0

    def decoder(mode: str) -> object:
        def decode(line: bytes) -> object:
            nonlocal calls
            if calls == stop_at:
                raise KeyboardInterrupt
            calls += 1
            return decode_event(line)

        return decode

    monkeypatch.setattr(_check, "reference_decoder", decoder)
    auditor = Auditor(mode="event", max_items=100, fast=fast)
    tally = auditor.tally()
    with pytest.raises(KeyboardInterrupt):
        auditor.check(tally, lines, Numbered(0, 1))
    proved = tally.total - calls
    assert proved >= 0 and (fast or proved == 0)
    assert tally.valid == sum(tally.by_event_type.as_dict().values())
    assert tally.invalid == len(tally.findings) == sum(tally.by_kind.values())
    assert tally.total == proved + stop_at
