"""Run corpus cases against an implementation and judge each answer (runner protocol v1).

Two drivers sit behind one small interface, :class:`Driver`: :class:`InProcessDriver` calls the
reference's ``run_op`` directly (the kit's own check, and the fastest way through the corpus);
:class:`SubprocessDriver` starts any command and speaks protocol v1 on its stdin/stdout.
:func:`execute` walks the cases, asks the driver for answers and judges each one. A driver that
breaks (crash, hang, garbage, protocol violation) raises :class:`AdapterError`; every case not
yet answered is then ``errored`` with the reason, so a broken adapter is never mistaken for a
wrong answer, and the kit never waits on it for longer than its timeouts.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from typing import Any, Final, Literal, Protocol

from conformance.corpus._case import Case
from noetl_events_ref._errors import KINDS

from ._protocol import AdapterError, Answer, Handshake
from ._subprocess_driver import SubprocessDriver

__all__ = [
    "AdapterError",
    "Answer",
    "CallableContractError",
    "CaseResult",
    "Driver",
    "Handshake",
    "InProcessDriver",
    "RunOutcome",
    "SubprocessDriver",
    "Verdict",
    "execute",
    "judge",
]

Verdict = Literal["pass", "fail", "skipped", "errored"]
NOT_DECLARED: Final = "op not declared by the implementation"
NOT_RUN: Final = "not run: the implementation errored earlier in the run"


@dataclasses.dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    verdict: Verdict
    got: Answer | None = None
    reason: str | None = None
    detail: str | None = None  # an in-process callable's traceback, when it raised


class CallableContractError(Exception):
    """An in-process callable answered with something its contract does not allow (a dict,
    ``None``, an ``ok`` that is not a bool, ...): a usage error, not a case failure."""


class Driver(Protocol):
    """An implementation under test. ``answers`` yields one answer per case, in order."""

    def start(self) -> Handshake: ...

    def answers(self, cases: Sequence[Case]) -> Generator[Answer, None, None]: ...

    def close(self) -> None: ...

    def stderr_tail(self) -> str: ...

    def notes(self) -> list[str]: ...


@dataclasses.dataclass(frozen=True, slots=True)
class RunOutcome:
    """A finished run: one result per case (in case order) and what went wrong, if anything."""

    implementation: Mapping[str, Any]
    results: tuple[CaseResult, ...]
    error: str | None
    stderr_tail: str
    notes: tuple[str, ...]
    seconds: float


def judge(case: Case, got: Answer, *, strict_messages: bool = False) -> CaseResult:
    """The verdict of protocol.md §Verdicts: output text byte-exact, or the same error kind
    (and, with ``strict_messages``, the same message when the case records one)."""
    if got.raised is not None:
        first = got.raised.rstrip().rpartition("\n")[2]  # the traceback's last line
        return CaseResult(case, "errored", None, f"the callable raised {first}", got.raised)
    if got.skipped is not None:
        return CaseResult(case, "skipped", got, f"the implementation skipped it: {got.skipped}")
    if case.accepts:
        if got.output is None:
            why = f"rejected ({got.error_kind}: {got.error_message}) but should accept"
            return CaseResult(case, "fail", got, why)
        if got.output != case.output:
            return CaseResult(case, "fail", got, "different output")
        return CaseResult(case, "pass", got)
    if got.output is not None:
        return CaseResult(case, "fail", got, f"accepted but should reject ({case.error_kind})")
    if got.error_kind != case.error_kind:
        why = f"different error kind: expected {case.error_kind}, got {got.error_kind}"
        if got.error_kind not in KINDS:
            why += " (not an error kind of the wire contract)"
        return CaseResult(case, "fail", got, why)
    if strict_messages and case.error_message not in (None, got.error_message):
        return CaseResult(case, "fail", got, "different error message (--strict-messages)")
    return CaseResult(case, "pass", got)


def _judged(
    driver: Driver,
    ops: frozenset[str],
    cases: Sequence[Case],
    strict_messages: bool,
    errors: list[str],
    broken: tuple[type[Exception], ...],
) -> Iterator[CaseResult]:
    """Results in case order. Undeclared ops are skipped without being sent; after the driver
    breaks (one of ``broken`` raised), its error is appended to ``errors`` and every case left
    is ``errored``."""
    answers = driver.answers([c for c in cases if c.op in ops])
    for case in cases:
        if case.op not in ops:
            yield CaseResult(case, "skipped", None, NOT_DECLARED)
        elif errors:
            yield CaseResult(case, "errored", None, NOT_RUN)
        else:
            try:
                got = next(answers)
            except broken as e:
                errors.append(str(e))
                yield CaseResult(case, "errored", None, errors[-1])
            except StopIteration:
                errors.append("the driver gave fewer answers than cases")
                yield CaseResult(case, "errored", None, errors[-1])
            else:
                yield judge(case, got, strict_messages=strict_messages)
    answers.close()


def execute(
    driver: Driver,
    cases: Sequence[Case],
    *,
    strict_messages: bool = False,
    on_result: Callable[[CaseResult], None] | None = None,
    contract_errors: bool = False,
) -> RunOutcome:
    """Run ``cases`` on ``driver``, closing it afterwards, and collect one result per case.

    ``on_result`` sees each result as it arrives (a progress bar); the outcome holds them all.
    A :class:`CallableContractError` is raised, unless ``contract_errors``: then it ends the
    run as an adapter error does (that case and every case left ``errored``, the run's error
    its one line).
    """
    broken = (AdapterError, CallableContractError) if contract_errors else (AdapterError,)
    began = time.perf_counter()
    errors: list[str] = []
    results: list[CaseResult] = []
    implementation: Mapping[str, Any] = {}
    try:
        try:
            handshake = driver.start()
        except AdapterError as e:
            errors.append(f"handshake failed: {e}")
            stream: Iterator[CaseResult] = (
                CaseResult(c, "errored", None, errors[0]) for c in cases
            )
        else:
            implementation = handshake.implementation
            stream = _judged(driver, handshake.ops, cases, strict_messages, errors, broken)
        for result in stream:
            results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        driver.close()
    return RunOutcome(
        implementation=dict(implementation),
        results=tuple(results),
        error=errors[0] if errors else None,
        stderr_tail=driver.stderr_tail(),
        notes=tuple(driver.notes()),
        seconds=time.perf_counter() - began,
    )


class InProcessDriver:
    """An implementation called in this process: no pipe, no JSON framing, no timeouts.

    By default the reference (``noetl_events_ref``'s ``run_op``). Any callable
    ``fn(op, input, now)`` can stand in for it; the contract (``docs/callable.md``): it returns
    a :class:`noetl_events_ref.Outcome` (or any object with the same attributes): ``ok`` True
    with the ``output`` text, or ``ok`` False with the error ``kind`` and ``message``; an
    object with a true ``skipped`` (its reason) skips the case. An exception fails only its own
    case, which shows the traceback; any other answer is a :class:`CallableContractError`.
    """

    def __init__(
        self,
        fn: Callable[[str, str, str | None], Any] | None = None,
        implementation: Mapping[str, Any] | None = None,
        *,
        ops: frozenset[str] | None = None,
        roles: frozenset[str] = frozenset(),
    ) -> None:
        from noetl_events_ref._ops import OPS, run_op

        if fn is None:
            from noetl_events_ref._adapter import _implementation

            fn, implementation = run_op, _implementation()
        self._fn = fn
        info = dict(implementation or {"name": getattr(fn, "__qualname__", "callable")})
        declared = frozenset(OPS) if ops is None else ops
        self._handshake = Handshake({**info, "driver": "in-process"}, declared, roles)

    def start(self) -> Handshake:
        return self._handshake

    def answer(self, case: Case) -> Answer:
        """The callable's answer to one case (see the class doc for the contract)."""
        try:
            outcome: Any = self._fn(case.op, case.input, case.now)
        # A bug in the implementation: this case errors, with its trace. SystemExit too: a
        # callable that calls sys.exit() must not end the run with its status and no report.
        except (Exception, SystemExit) as e:
            import traceback

            frames = traceback.format_exception(
                type(e), e, e.__traceback__.tb_next if e.__traceback__ else None
            )
            return Answer(raised="".join(frames))
        return self._checked(outcome, case)

    def probe(self, cases: Sequence[Case]) -> None:
        """Call the callable on the first case of each op, so that an answer its contract does
        not allow is one :class:`CallableContractError` before the run."""
        first: dict[str, Case] = {}
        for case in cases:
            if case.op in self._handshake.ops:
                first.setdefault(case.op, case)
        for case in first.values():
            self.answer(case)

    def _checked(self, outcome: Any, case: Case) -> Answer:
        skipped = getattr(outcome, "skipped", None)
        if skipped:
            return Answer(skipped=str(skipped))
        ok = getattr(outcome, "ok", None)
        if ok is True and isinstance(getattr(outcome, "output", None), str):
            return Answer(output=outcome.output)
        if (
            ok is False
            and isinstance(getattr(outcome, "kind", None), str)
            and isinstance(getattr(outcome, "message", None), str)
        ):
            return Answer(error_kind=outcome.kind, error_message=outcome.message)
        name = self._handshake.implementation.get("name")
        shown = repr(outcome)
        raise CallableContractError(
            f"{name} returned {type(outcome).__name__} {shown[:200]} for {case.op} case "
            f"{case.id}; it must return noetl_events_ref.Outcome: Outcome(True, output=TEXT) or "
            "Outcome(False, kind=KIND, message=TEXT) (see docs/callable.md)"
        )

    def answers(self, cases: Sequence[Case]) -> Generator[Answer, None, None]:
        for case in cases:
            yield self.answer(case)

    def close(self) -> None:
        pass

    def stderr_tail(self) -> str:
        return ""

    def notes(self) -> list[str]:
        return []
