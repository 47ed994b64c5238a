"""``--noetl-events-update-baseline``: rewrite the baseline file from a full pytest run.

Each case item's report carries the kit's verdict and its one-line reason (so pytest-xdist
brings them to the controller with the report); at the end of a full, unfiltered run the
controller writes the baseline the same way ``verify --update-baseline`` does.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conformance.runner import _baseline
from conformance.runner._baseline import Baseline

__all__ = ["BaselineWriter"]

VERDICT = "noetl_events_verdict"
REASON = "noetl_events_reason"


class BaselineWriter:
    """A plugin object, registered only when the option is given."""

    def __init__(self, path: Path, old: Baseline) -> None:
        self.path = path
        self.old = old
        self.seen: dict[str, tuple[str, str]] = {}
        self.message: str | None = None

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
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        verdict = getattr(report, VERDICT, None)
        if isinstance(verdict, str):
            case_id = report.nodeid.rpartition("::")[2]
            self.seen[case_id] = (verdict, str(getattr(report, REASON, "")))

    def finish(self, partial: list[str], selection: list[str]) -> None:
        """Write the file after a full run; otherwise say why not."""
        why = [*selection, *partial]
        if any(verdict == "errored" for verdict, _ in self.seen.values()):
            why.append("the implementation errored")
        if not self.seen:
            why.append("no case ran")
        if why:
            self.message = f"baseline {self.path} not updated: {', '.join(dict.fromkeys(why))}"
            return
        entries: dict[str, str] = {}
        for case_id, (verdict, reason) in sorted(self.seen.items()):
            listed = case_id in self.old.entries
            if verdict == "fail" or (verdict == "skipped" and listed):
                entries[case_id] = self.old.entries.get(case_id) or reason
        new = Baseline(entries, str(self.path))
        _baseline.save(new, self.path)
        before = set(self.old.entries)
        added, removed = len(set(entries) - before), len(before - set(entries))
        self.message = f"wrote {self.path}: {len(entries)} entries (+{added}, -{removed})"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.message is not None:
            terminalreporter.section("noetl-events baseline", sep="-")
            terminalreporter.write_line(self.message)
