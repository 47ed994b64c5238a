"""Property checks runnable against any implementation, and the command that keeps a failure.

A check takes an *op function* ``op(op_name, input_text, now) -> Outcome`` (the shape of
:func:`noetl_events_ref._ops.run_op`): :func:`reference_op` runs the reference in-process, and
:class:`~conformance.runner._adapter_op.AdapterOp` runs any command that speaks runner protocol v1.
When a property does not hold, the check raises :class:`PropertyFailure`, whose message ends
with the exact ``noetl-events-conformance promote`` command that turns the (shrunk) example
into a corpus case.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Final, NamedTuple

from noetl_events_ref import (
    EventRequest,
    ExecutorEvent,
    Timestamp,
    encode_event,
    encode_request,
    status_from_event_name,
)
from noetl_events_ref._json import I64_MAX, I64_MIN
from noetl_events_ref._ops import Outcome, run_op

__all__ = [
    "InvalidEnvelope",
    "OpFunction",
    "PropertyFailure",
    "WireEnvelope",
    "check_conversion_round_trip",
    "check_idempotent_encoding",
    "check_invalid_envelope",
    "check_payload_alias",
    "check_request_conversion",
    "check_round_trip",
    "check_wire_envelope",
    "promote_command",
    "reference_op",
]

OpFunction = Callable[[str, str, "str | None"], Outcome]
PROGRAM: Final = "noetl-events-conformance"


class WireEnvelope(NamedTuple):
    """Wire text the crate accepts, and the event it decodes to: a correct implementation's
    ``decode_event`` writes exactly ``encode_event(event)``."""

    text: str
    event: ExecutorEvent


class InvalidEnvelope(NamedTuple):
    """Wire text that breaks exactly one rule, and the error kind the crate rejects it with."""

    text: str
    kind: str


# ---- the promote command -------------------------------------------------------------------


def _log_safe(text: str) -> bool:
    """Can ``text`` travel through a CI log and a shell argument unchanged?"""
    return all(c.isprintable() for c in text)  # " " is printable; tabs and newlines are not


def promote_command(
    op: str,
    text: str,
    *,
    now: str | None = None,
    caught_by: str | None = None,
    strategy: str | None = None,
    seed: int | None = None,
) -> str:
    """The shell command that turns this example into a corpus case.

    The input goes as ``--input`` when every character is printable, else as ``--input-json``
    (a JSON string literal in ASCII), so tabs, newlines, NUL or U+2028 survive a CI log.
    """
    parts = [PROGRAM, "promote", "--op", op]
    if _log_safe(text):
        parts += ["--input", text]
    else:
        parts += ["--input-json", json.dumps(text)]
    if now is not None:
        parts += ["--now", now]
    if caught_by is not None:
        parts += ["--caught-by", caught_by]
    if strategy is not None:
        parts += ["--strategy", strategy]
    if seed is not None:
        parts += ["--seed", str(seed)]
    return " ".join(shlex.quote(p) for p in parts)


# (op, input) of every PropertyFailure raised: its message already spells the promote command,
# so the note a strategy left for the same example does not spell it a second time.
SPELLED: Final[set[tuple[str, str]]] = set()


class PropertyFailure(AssertionError):
    """A property that does not hold; the message ends with the ``promote`` command."""

    def __init__(
        self,
        prop: str,
        *,
        op: str,
        text: str,
        now: str | None,
        expected: str,
        got: Outcome,
        caught_by: str | None,
        strategy: str | None,
    ) -> None:
        self.property = prop
        self.op = op
        self.input = text
        self.now = now
        self.command = promote_command(op, text, now=now, caught_by=caught_by, strategy=strategy)
        SPELLED.add((op, text))
        who = caught_by or "the implementation"
        lines = [
            f"property `{prop}` does not hold for {who}",
            f"  {op} input: {text!r}" + (f" (now {now})" if now else ""),
            f"  expected:   {expected}",
            f"  got:        {_describe(got)}",
            "keep this example as a corpus case:",
            f"  {self.command}",
        ]
        super().__init__("\n".join(lines))


def _describe(outcome: Outcome) -> str:
    if outcome.ok:
        return f"output {outcome.output!r}"
    return f"error {outcome.kind}: {outcome.message}"


def _name(op: OpFunction, caught_by: str | None) -> str | None:
    if caught_by is not None:
        return caught_by
    name = getattr(op, "implementation", None)
    return name if isinstance(name, str) else None


def _expect_output(
    prop: str,
    op_fn: OpFunction,
    op: str,
    text: str,
    expected: str,
    *,
    now: str | None = None,
    caught_by: str | None,
    strategy: str | None,
) -> str:
    got = op_fn(op, text, now)
    if not got.ok or got.output != expected:
        raise PropertyFailure(
            prop,
            op=op,
            text=text,
            now=now,
            expected=f"output {expected!r}",
            got=got,
            caught_by=_name(op_fn, caught_by),
            strategy=strategy,
        )
    return expected


def _expect_error(
    prop: str,
    op_fn: OpFunction,
    op: str,
    text: str,
    kind: str,
    *,
    now: str | None = None,
    caught_by: str | None,
    strategy: str | None,
) -> None:
    got = op_fn(op, text, now)
    if got.ok or got.kind != kind:
        raise PropertyFailure(
            prop,
            op=op,
            text=text,
            now=now,
            expected=f"error {kind}",
            got=got,
            caught_by=_name(op_fn, caught_by),
            strategy=strategy,
        )


# ---- the checks ----------------------------------------------------------------------------


def check_round_trip(
    op: OpFunction,
    event: ExecutorEvent,
    *,
    caught_by: str | None = None,
    strategy: str | None = "executor_events",
) -> None:
    """``decode_event`` of the canonical text of ``event`` writes that text back exactly."""
    text = encode_event(event)
    _expect_output(
        "round-trip", op, "decode_event", text, text, caught_by=caught_by, strategy=strategy
    )


def check_wire_envelope(
    op: OpFunction,
    envelope: WireEnvelope,
    *,
    caught_by: str | None = None,
    strategy: str | None = "wire_envelopes",
) -> None:
    """Any spelling the crate accepts decodes to the same event, written canonically."""
    _expect_output(
        "wire-envelope",
        op,
        "decode_event",
        envelope.text,
        encode_event(envelope.event),
        caught_by=caught_by,
        strategy=strategy,
    )


def check_invalid_envelope(
    op: OpFunction,
    envelope: InvalidEnvelope,
    *,
    caught_by: str | None = None,
    strategy: str | None = "invalid_envelopes",
) -> None:
    """A near miss is rejected, with the kind the crate gives."""
    _expect_error(
        "rejects-near-miss",
        op,
        "decode_event",
        envelope.text,
        envelope.kind,
        caught_by=caught_by,
        strategy=strategy,
    )


def check_idempotent_encoding(
    op: OpFunction,
    text: str,
    *,
    op_name: str = "decode_event",
    caught_by: str | None = None,
    strategy: str | None = None,
) -> None:
    """Reading the implementation's own output again writes it back byte for byte
    (``decode_event``, ``decode_request`` or ``canonical_value``); a rejected input passes."""
    first = op(op_name, text, None)
    if first.ok and first.output is not None:
        _expect_output(
            "idempotent-encoding",
            op,
            op_name,
            first.output,
            first.output,
            caught_by=caught_by,
            strategy=strategy,
        )


def check_conversion_round_trip(
    op: OpFunction,
    event: ExecutorEvent,
    *,
    caught_by: str | None = None,
    strategy: str | None = "executor_events",
) -> None:
    """``request_to_event(event_to_request(e)) == e``, through the implementation's texts."""
    text = encode_event(event)
    first = op("event_to_request", text, None)
    if not first.ok or first.output is None:
        raise PropertyFailure(
            "conversion-round-trip",
            op="event_to_request",
            text=text,
            now=None,
            expected="a request",
            got=first,
            caught_by=_name(op, caught_by),
            strategy=strategy,
        )
    _expect_output(
        "conversion-round-trip",
        op,
        "request_to_event",
        first.output,
        text,
        caught_by=caught_by,
        strategy=strategy,
    )


_RUST_I64: Final = re.compile(r"[+-]?[0-9]+")


def _parse_i64(text: str) -> int | None:
    """Rust's ``str::parse::<i64>``, stated independently of the reference."""
    if not _RUST_I64.fullmatch(text):
        return None
    value = int(text)
    return value if I64_MIN <= value <= I64_MAX else None


def check_request_conversion(
    op: OpFunction,
    request: EventRequest,
    *,
    now: Timestamp,
    caught_by: str | None = None,
    strategy: str | None = "event_requests",
) -> None:
    """A request converts iff its ids parse as i64, and then into the event the server's
    ``TryFrom`` builds (status derived from the name, ``now`` for a missing ``created_at``)."""
    text = encode_request(request)
    stamp = now.format()
    execution_id = _parse_i64(request.execution_id)
    event_id = None if request.event_id is None else _parse_i64(request.event_id)
    converts = execution_id is not None and (request.event_id is None or event_id is not None)
    if not converts:
        _expect_error(
            "converts-iff-ids-parse",
            op,
            "request_to_event",
            text,
            "conversion",
            now=stamp,
            caught_by=caught_by,
            strategy=strategy,
        )
        return
    assert execution_id is not None
    event = ExecutorEvent(
        execution_id=execution_id,
        event_type=request.event_type,
        step=request.step,
        status=status_from_event_name(request.event_type)
        if request.status is None
        else request.status,
        created_at=now if request.created_at is None else request.created_at,
        context=request.payload,
        event_id=event_id,
        worker_id=request.worker_id,
        meta=request.meta,
    )
    _expect_output(
        "converts-iff-ids-parse",
        op,
        "request_to_event",
        text,
        encode_event(event),
        now=stamp,
        caught_by=caught_by,
        strategy=strategy,
    )


def check_payload_alias(
    op: OpFunction,
    event: ExecutorEvent,
    *,
    caught_by: str | None = None,
    strategy: str | None = "executor_events",
) -> None:
    """``payload`` is read as ``context`` but never written: accept-but-never-emit."""
    canonical = encode_event(event)
    head, sep, tail = canonical.partition(',"context":')
    assert sep, canonical
    _expect_output(
        "payload-read-never-written",
        op,
        "decode_event",
        f'{head},"payload":{tail}',
        canonical,
        caught_by=caught_by,
        strategy=strategy,
    )


# ---- implementations -----------------------------------------------------------------------


def reference_op(op: str, text: str, now: str | None = None) -> Outcome:
    """The reference, in-process (``noetl_events_ref``)."""
    return run_op(op, text, now)
