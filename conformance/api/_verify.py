"""``verify`` as a function: the corpus, the implementation, the baseline, one typed report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from conformance.core._usage import UsageError
from conformance.corpus._case import (
    Case,
    CaseFileError,
    check_level,
    corpus_folder,
    default_corpus_dir,
    select,
)
from conformance.corpus._case import load_corpus as _load_all
from conformance.report._report import build, corpus_info
from conformance.runner import _baseline
from conformance.runner._baseline import BaselineError
from conformance.runner._protocol import PROTOCOL
from conformance.runner._runner import Driver, InProcessDriver, SubprocessDriver, execute
from conformance.runner._subprocess_driver import finite_seconds

from ._types import VerifyReport

__all__ = ["load_corpus", "verify"]

Implementation = str | Sequence[str] | Callable[[str, str, str | None], Any] | None


_TIMEOUTS: Final = ("the timeout argument", "the run_timeout argument")
"""How a message of the driver names the two timeouts: as this API's arguments."""


def load_corpus(
    corpus: str | Path | None = None, *, level: str = "all", select_ids: str | None = None
) -> list[Case]:
    """The cases of a corpus folder (default: the bundled corpus), in a stable order, at
    ``level`` or stricter (``required``, ``recommended`` or ``all``) and, with ``select_ids``,
    whose id matches that glob (or substring). A case file that cannot be read raises
    :class:`UsageError` naming the file and the JSON path, and so does a selection (a level
    other than ``all``, or ``select_ids``) that matches no case, as ``verify`` stops."""
    check_level(level)
    _check_select(select_ids)
    folder = corpus_folder(corpus)
    try:
        cases = _load_all(folder)
    except CaseFileError as e:
        raise UsageError(f"cannot read the corpus: {e}") from None
    chosen = select(cases, level=level, pattern=select_ids)
    if not chosen and (level != "all" or select_ids):
        raise UsageError(_nothing_matches(folder, level, select_ids))
    return chosen


def _check_select(select_ids: object) -> None:
    if select_ids is not None and not isinstance(select_ids, str):
        raise UsageError(
            f"select_ids is a pattern (a text matched against case ids), not "
            f"{type(select_ids).__name__} {select_ids!r}"
        )


def _nothing_matches(folder: Path, level: str, select_ids: str | None) -> str:
    return f"no case of {folder} matches level {level!r}" + (
        f" and {select_ids!r}" if select_ids else ""
    )


def _driver(impl: Implementation, timeout: float, run_timeout: float) -> tuple[Driver, Any]:
    if impl is None:
        return InProcessDriver(), None
    from conformance.runner._spec import SpecError, check_arguments, parse_spec

    if callable(impl):  # held to (op, input, now) as a `python:` spec is
        name = getattr(impl, "__qualname__", type(impl).__name__)
        try:
            check_arguments(f"impl {name}", impl)
        except SpecError as e:
            raise UsageError(str(e)) from None
        return InProcessDriver(impl), None
    if isinstance(impl, str):  # any SPEC the command line takes, resolved the same way
        try:
            spec = parse_spec(impl)
        except SpecError as e:
            raise UsageError(f"impl {e}") from None
        driver = spec.driver(timeout=timeout, run_timeout=run_timeout, options=_TIMEOUTS)
        return driver, (None if spec.in_process else list(spec.argv))
    command = list(impl)
    if not command:
        raise UsageError("impl: an empty command")
    driver = SubprocessDriver(command, timeout=timeout, run_timeout=run_timeout, options=_TIMEOUTS)
    return driver, command


def verify(
    impl: Implementation = None,
    *,
    corpus: str | Path | None = None,
    level: str = "all",
    select_ids: str | None = None,
    baseline: str | Path | None = None,
    strict_messages: bool = False,
    timeout: float = 10.0,
    run_timeout: float = 600.0,
) -> VerifyReport:
    """Run the corpus against an implementation and return the report.

    ``impl`` is ``None`` (the reference, in process), a SPEC string as ``verify --impl``
    takes it (a command speaking runner protocol v1, split as a shell would;
    ``python:module:callable``; ``python-model:module:Class``; ``reference``), a list of
    command arguments, or a callable ``fn(op, input, now)`` answering in process.
    ``baseline`` is a known-failures file, as ``verify --baseline`` reads it. Mistakes (no
    such corpus, an unreadable baseline, an implementation that cannot start) raise
    :class:`UsageError`; a crashing implementation is a report with status ``errored``."""
    for name, seconds in (("timeout", timeout), ("run_timeout", run_timeout)):
        if not finite_seconds(seconds):
            raise UsageError(
                f"{name} must be a positive, finite number of seconds, not {seconds!r}"
            )
    check_level(level)
    _check_select(select_ids)
    if not (impl is None or callable(impl) or isinstance(impl, (str, list, tuple))):
        raise UsageError(
            f"impl: expected None, a SPEC string, a list of command arguments or a callable, "
            f"not {type(impl).__name__}"
        )
    folder = Path(corpus) if corpus is not None else default_corpus_dir()
    everything = load_corpus(folder)
    cases = select(everything, level=level, pattern=select_ids)
    if not cases:
        raise UsageError(_nothing_matches(folder, level, select_ids))
    known = None
    if baseline is not None:
        try:
            known = _baseline.load(Path(baseline))
        except BaselineError as e:
            raise UsageError(str(e)) from None
    try:
        driver, command = _driver(impl, timeout, run_timeout)
    except ValueError as e:  # shlex: unbalanced quotes
        raise UsageError(f"impl {impl!r}: {e}") from None
    outcome = execute(driver, cases, strict_messages=strict_messages)
    checked = None
    if known is not None:
        checked = _baseline.check(known, outcome.results, (c.id for c in everything)).to_json()
    report = build(
        outcome,
        corpus=corpus_info(folder),
        run={
            "driver": "subprocess" if command else "in-process",
            "command": command,
            "protocol": PROTOCOL,
            "level": level,
            "select": select_ids,
            "strict_messages": strict_messages,
            "timeout": timeout if command else None,
            "validate_protocol": False,
        },
        baseline=checked,
        listed=known.entries if known is not None else {},
    )
    return VerifyReport.from_json(report)
