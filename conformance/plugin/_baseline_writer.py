"""``--noetl-events-update-baseline``: rewrite the baseline file from a full pytest run.

Each case item's report carries the kit's verdict and its one-line reason (so pytest-xdist
brings them to the controller with the report); at the end of a full, unfiltered run the
controller writes the baseline the same way ``verify --update-baseline`` does: not when the
implementation errored (a crash, a broken protocol), but when an in-process callable only
raised on some cases (those are errored cases, as in ``verify``). A run that cannot update the
baseline because it is partial (``-k``, ``-m``, node ids, ``--lf``) ends with pytest's usage
error status, as ``verify --update-baseline`` refuses a selection: a CI step asked to update
the file does not pass with it unchanged.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

from conformance.runner import _baseline
from conformance.runner._baseline import Baseline

__all__ = ["BaselineWriter"]

VERDICT = "noetl_events_verdict"
REASON = "noetl_events_reason"
RAISED = "noetl_events_raised"  # an in-process callable raised on the case (it alone errored)


class BaselineWriter:
    """A plugin object, registered only when the option is given."""

    def __init__(
        self, path: Path, old: Baseline, corpus_ids: Iterable[str] = (), dropped: int = 0
    ) -> None:
        self.path = path
        self.old = old  # (without the lines the file had that name no case: ``dropped``)
        self.corpus_ids = frozenset(corpus_ids)
        self.dropped = dropped
        self.seen: dict[str, tuple[str, str, bool]] = {}
        self.message: str | None = None
        self.refused = False  # a partial run: the status is a usage error

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        verdict = getattr(item, "verdict", None)
        if (
            call.when in ("setup", "call")
            and verdict is not None
            and (call.when == "call" or verdict[0] == "errored")
        ):
            setattr(report, VERDICT, verdict[0])
            setattr(report, REASON, verdict[1])
            result = getattr(item, "result", None)
            setattr(report, RAISED, getattr(result, "detail", None) is not None)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        verdict = getattr(report, VERDICT, None)
        if isinstance(verdict, str):
            case_id = report.nodeid.rpartition("::")[2]
            reason, raised = str(getattr(report, REASON, "")), bool(getattr(report, RAISED, False))
            self.seen[case_id] = (verdict, reason, raised)

    def finish(self, partial: list[str]) -> None:
        """Write the file after a full run (``partial``: why it was not one); otherwise say
        why not."""
        why = list(partial)
        self.refused = bool(why)
        if any(verdict == "errored" and not raised for verdict, _, raised in self.seen.values()):
            why.append("the implementation errored")
        if not self.seen:
            why.append("no case ran")
        if why:
            self.message = f"baseline {self.path} not updated: {', '.join(dict.fromkeys(why))}"
            return
        verdicts = [
            (case_id, verdict, reason) for case_id, (verdict, reason, _) in self.seen.items()
        ]
        # A listed case of the corpus that reported nothing (a skip marker of the user's, say)
        # taught nothing: it stays listed, as a skipped case does.
        verdicts += [
            (case_id, "skipped", "")
            for case_id in self.old.entries
            if case_id not in self.seen and case_id in self.corpus_ids
        ]
        new = _baseline.updated_from(Baseline(self.old.entries, str(self.path)), verdicts)
        _baseline.save(new, self.path)
        before = set(self.old.entries)
        added = len(set(new.entries) - before)
        removed = len(before - set(new.entries)) + self.dropped
        count = len(new.entries)
        self.message = (
            f"wrote {self.path}: {count} entr{'y' if count == 1 else 'ies'} (+{added}, -{removed})"
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """A partial run did not update the baseline it was asked to: a usage error."""
        if self.refused and session.exitstatus not in (
            pytest.ExitCode.INTERRUPTED,
            pytest.ExitCode.INTERNAL_ERROR,
        ):
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.message is not None:
            terminalreporter.section("noetl-events baseline", sep="-")
            terminalreporter.write_line(self.message)
