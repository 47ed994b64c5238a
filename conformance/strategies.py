"""Hypothesis strategies for the NoETL event envelope, and property checks that use them.

Strategies (plural nouns, keyword-only options; a bad option raises
``hypothesis.errors.InvalidArgument`` when a value is drawn, not when the strategy is built):

- :func:`executor_events`: ``ExecutorEvent`` values across the whole domain.
- :func:`event_requests`: the server's ``EventRequest`` values.
- :func:`json_values`: JSON values as ``serde_json::Value`` holds them.
- :func:`wire_envelopes`: :class:`WireEnvelope` ``(text, event)`` pairs: wire text the crate
  accepts, in any spelling it allows, and the event it decodes to.
- :func:`invalid_envelopes`: :class:`InvalidEnvelope` ``(text, kind)`` pairs: near misses that
  break one rule, with the error kind the crate gives.

Importing this module registers the first two for ``st.from_type(ExecutorEvent)`` and
``st.from_type(EventRequest)``. Inside a test, each drawn example also records (with
``hypothesis.note``) the ``noetl-events-conformance promote`` command that keeps it as a corpus
case, so a failing test's report ends with it.

Checks (``check_*``) take an op function ``op(op_name, input_text, now) -> Outcome``:
:func:`reference_op` (in-process) or :class:`AdapterOp` (any command speaking runner protocol
v1). A property that does not hold raises :class:`PropertyFailure`, whose message ends with the
``promote`` command for the example.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from typing import Any, Final, TypeVar

from conformance.core._extras import install_hint

try:
    from hypothesis import note
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ModuleNotFoundError as e:  # (the command line says the same for `generate`)
    if e.name != "hypothesis":
        raise
    raise ModuleNotFoundError(
        f"conformance.strategies needs hypothesis: {install_hint('strategies')}",
        name="hypothesis",
    ) from None

from conformance.generation._choices import HypothesisSource
from conformance.generation._domain import (
    EVENT_DEPTH,
    VALUE_DEPTH,
    draw_event,
    draw_request,
    draw_value,
)
from conformance.generation._near_misses import INVALID_RULES, render_invalid_event
from conformance.generation._properties import (
    SPELLED,
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
    promote_command,
    reference_op,
)
from conformance.generation._wire import render_event
from conformance.runner._adapter_op import AdapterOp
from noetl_events_ref import EventRequest, ExecutorEvent, encode_event, encode_request
from noetl_events_ref._json import encode_value

__all__ = [
    "AdapterOp",
    "InvalidEnvelope",
    "PropertyFailure",
    "WireEnvelope",
    "check_conversion_round_trip",
    "check_idempotent_encoding",
    "check_invalid_envelope",
    "check_payload_alias",
    "check_request_conversion",
    "check_round_trip",
    "check_wire_envelope",
    "event_requests",
    "executor_events",
    "invalid_envelopes",
    "json_values",
    "promote_command",
    "reference_op",
    "wire_envelopes",
]

# The public classes are named by this module in reprs and tracebacks (a failing test shows
# conformance.strategies.PropertyFailure, not where it happens to be defined).
for _public in (AdapterOp, InvalidEnvelope, PropertyFailure, WireEnvelope):
    _public.__module__ = __name__

T = TypeVar("T")
_ERROR_KINDS: Final = tuple(sorted({kind for _, kind, _ in INVALID_RULES}))


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r}: expected an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise InvalidArgument(f"{name}={value!r}: expected {lo} <= {name} <= {hi}")
    return value


class _KeepIt:
    """A note that spells the promote command only if Hypothesis reports it."""

    __slots__ = ("keep", "strategy", "value")

    def __init__(self, strategy: str, keep: Callable[[Any], tuple[str, str]], value: Any) -> None:
        self.strategy, self.keep, self.value = strategy, keep, value

    def __repr__(self) -> str:
        op, text = self.keep(self.value)
        if (op, text) in SPELLED:  # a property check's failure message spells it already
            return f"drawn by {self.strategy}: keep it with the promote command above"
        return f"keep it with: {promote_command(op, text, strategy=self.strategy)}"


def _strategy(
    name: str,
    build: Callable[[HypothesisSource], T],
    keep: Callable[[T], tuple[str, str]],
    options: dict[str, Any],
) -> st.SearchStrategy[T]:
    def strategy(draw: st.DrawFn, /, **_: Any) -> T:
        value = build(HypothesisSource(draw))
        with contextlib.suppress(InvalidArgument):  # outside a test (`.example()`): no report
            note(_KeepIt(name, keep, value))  # the promote command, for a failing example
        return value

    strategy.__name__ = strategy.__qualname__ = name  # its repr: `name(option=value, ...)`
    return st.composite(strategy)(**options)


def _sizes(max_depth: object, max_leaves: object, depth_limit: int) -> tuple[int, int]:
    return (
        _check_int("max_depth", max_depth, 0, depth_limit),
        _check_int("max_leaves", max_leaves, 1, 10_000),
    )


def json_values(*, max_depth: int = VALUE_DEPTH, max_leaves: int = 16) -> st.SearchStrategy[Any]:
    """JSON values as ``serde_json::Value`` holds them (``None``, ``bool``, ``int`` in
    [i64::MIN, u64::MAX], finite ``float``, ``str``, ``list``, ``dict``).

    Weighted to hazards: floats that serde_json and other writers spell differently
    (subnormals, [1e-5, 1e-4), exponents -6..-9, >= 1e16, ``-0.0``, whole numbers) or that sit
    next to a literal it reads one ULP off; integers at the i64/u64 boundaries; strings with
    quotes, controls, U+2028 and astral characters; keys whose code-point order differs from
    their UTF-16 order (U+FF5E and U+1F600); empty containers; chains nested ``max_depth``
    deep (serde_json's limit is 127 for a document, 126 inside an event). At most
    ``max_leaves`` scalars. Every value reads back unchanged from its canonical text.
    """

    def build(src: HypothesisSource) -> Any:
        depth, leaves = _sizes(max_depth, max_leaves, VALUE_DEPTH)
        return draw_value(src, max_depth=depth, max_leaves=leaves)

    options = {"max_depth": max_depth, "max_leaves": max_leaves}
    return _strategy("json_values", build, lambda v: ("canonical_value", encode_value(v)), options)


def executor_events(
    *, max_depth: int = EVENT_DEPTH, max_leaves: int = 16
) -> st.SearchStrategy[ExecutorEvent]:
    """``ExecutorEvent`` values across the whole domain.

    Ids over all of i64, weighted to the boundaries and to values past 2^53; timestamps with
    0, 3, 6 or 9 fraction digits, leap seconds and years across chrono's range
    (-262143..=262142); ``context`` and ``meta`` from :func:`json_values` (nesting at most
    ``max_depth``, at most 126); each optional present or absent.
    """

    def build(src: HypothesisSource) -> ExecutorEvent:
        depth, leaves = _sizes(max_depth, max_leaves, EVENT_DEPTH)
        return draw_event(src, max_depth=depth, max_leaves=leaves)

    options = {"max_depth": max_depth, "max_leaves": max_leaves}
    return _strategy("executor_events", build, lambda e: ("decode_event", encode_event(e)), options)


def event_requests(
    *, max_depth: int = EVENT_DEPTH, max_leaves: int = 16
) -> st.SearchStrategy[EventRequest]:
    """The server's ``EventRequest`` values: ids that parse as i64 and ids that do not
    (``+7``, ``007``, past i64, ``""``, ``0x1f``, Arabic-Indic digits), defaults kept or
    changed (``result_kind``, ``actionable``, ``informative``), optionals present or absent."""

    def build(src: HypothesisSource) -> EventRequest:
        depth, leaves = _sizes(max_depth, max_leaves, EVENT_DEPTH)
        return draw_request(src, max_depth=depth, max_leaves=leaves)

    options = {"max_depth": max_depth, "max_leaves": max_leaves}
    return _strategy(
        "event_requests", build, lambda r: ("decode_request", encode_request(r)), options
    )


def wire_envelopes(
    *, max_depth: int = EVENT_DEPTH, max_leaves: int = 16
) -> st.SearchStrategy[WireEnvelope]:
    """:class:`WireEnvelope` pairs ``(text, event)``: wire text the crate accepts and the
    event it decodes to, so a correct ``decode_event`` writes ``encode_event(event)``.

    The text varies what the wire allows: ``payload`` for ``context``; timestamps with
    ``t`` or a space, ``z``/``UTC``, offsets (``+05:30``, ``-0000``, U+2212), one-digit fields,
    signed years, any fraction width (digits past nine dropped) and padding; ``null`` or
    nothing for an absent optional; unknown keys (whose values are skipped unchecked); key
    order; whitespace; escaped and raw characters (field names included); other spellings of
    the same float, and literals serde_json reads one ULP off (``event`` holds what it reads).
    """

    def build(src: HypothesisSource) -> WireEnvelope:
        depth, leaves = _sizes(max_depth, max_leaves, EVENT_DEPTH)
        text, event = render_event(src, draw_event(src, max_depth=depth, max_leaves=leaves))
        return WireEnvelope(text, event)

    options = {"max_depth": max_depth, "max_leaves": max_leaves}
    return _strategy("wire_envelopes", build, lambda w: ("decode_event", w.text), options)


def invalid_envelopes(
    *, kinds: Collection[str] | None = None
) -> st.SearchStrategy[InvalidEnvelope]:
    """:class:`InvalidEnvelope` pairs ``(text, kind)``: an envelope's wire text with exactly
    one rule broken (a field missing, misspelled or repeated, a wrong type, an id past i64, a
    bad timestamp, bad syntax or literal, a number out of range, nesting past the limit, a
    bad string escape (even inside an unknown key's value, which is skipped but still
    checked), a short positional array), labelled with the crate's error kind
    (wire contract, section 6). ``kinds`` limits the draw to some kinds."""

    def build(src: HypothesisSource) -> InvalidEnvelope:
        wanted = _ERROR_KINDS if kinds is None else kinds
        if isinstance(wanted, str) or not set(wanted) <= set(_ERROR_KINDS) or not wanted:
            raise InvalidArgument(f"kinds={kinds!r}: expected a non-empty subset of {_ERROR_KINDS}")
        event = draw_event(src, max_depth=4, max_leaves=6)
        text, kind, _ = render_invalid_event(src, event, tuple(wanted))
        return InvalidEnvelope(text, kind)

    options = {} if kinds is None else {"kinds": kinds}
    return _strategy("invalid_envelopes", build, lambda i: ("decode_event", i.text), options)


st.register_type_strategy(ExecutorEvent, executor_events())
st.register_type_strategy(EventRequest, event_requests())
