"""The plugin's corpus items: one pytest item per case, run through the kit's runner.

The first item to run in a process sends every selected case through the implementation in
one pipelined batch and keeps the results; each item then reports its own verdict. A failing
item shows the JSON paths that differ and both texts with the first difference marked.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ._baseline import Baseline, BaselineError, load
from ._case import LEVELS, OPS, Case, CaseFileError, load_corpus, select
from ._runner import CaseResult, Driver, InProcessDriver, RunOutcome, SubprocessDriver, execute

__all__ = ["CaseItem", "CorpusView", "add_case_items", "prepare"]

_STATE = pytest.StashKey["_CorpusRun"]()


@dataclasses.dataclass(frozen=True)
class CorpusView:
    """The loaded corpus, for tests: ``filter`` by op, level, tags and id pattern."""

    cases: tuple[Case, ...]

    @classmethod
    def load(cls, corpus: Path | None = None) -> CorpusView:
        return cls(tuple(load_corpus(corpus)))

    def filter(
        self,
        *,
        op: str | None = None,
        level: str = "all",
        tags: Sequence[str] = (),
        select: str | None = None,
    ) -> list[Case]:
        if op is not None and op not in OPS:
            raise ValueError(f"unknown op {op!r} (one of {', '.join(OPS)})")
        chosen = _select(self.cases, level=level, pattern=select)
        return [c for c in chosen if (op is None or c.op == op) and set(tags) <= set(c.tags)]

    def __iter__(self) -> Any:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)


_select = select


def _callable_driver(spec: str) -> Driver:
    """``python:module:callable``: an in-process implementation called as
    ``callable(op, input, now)`` (see :class:`InProcessDriver`)."""
    module, _, name = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        raise pytest.UsageError(f"--noetl-events-impl python:{spec}: cannot import: {e}") from e
    if not callable(target):
        raise pytest.UsageError(f"--noetl-events-impl python:{spec} is not callable")
    return InProcessDriver(target, {"name": spec, "language": "python"})


def _driver(impl: str, timeout: float) -> Driver:
    if impl.startswith("python:"):
        return _callable_driver(impl.removeprefix("python:"))
    if impl == "reference":
        return InProcessDriver()
    return SubprocessDriver(impl, timeout=timeout)


@dataclasses.dataclass
class _CorpusRun:
    impl: str
    timeout: float
    baseline: Baseline
    all_ids: frozenset[str]
    chosen: tuple[Case, ...] = ()
    results: dict[str, CaseResult] | None = None
    outcome: RunOutcome | None = None

    def result(self, item: CaseItem) -> CaseResult:
        if self.results is None:
            cases = [i.case for i in item.session.items if isinstance(i, CaseItem)]
            self.outcome = execute(_driver(self.impl, self.timeout), cases)
            self.results = {r.case.id: r for r in self.outcome.results}
        return self.results[item.case.id]


def prepare(config: pytest.Config) -> None:
    """Load and check the corpus, the selection and the baseline (at configure time, so a
    mistake is a usage error on the pytest-xdist controller too)."""
    from .pytest_plugin import option

    corpus = option(config, "corpus")
    level = str(option(config, "level"))
    if level not in (*LEVELS[:2], "all"):
        raise pytest.UsageError(
            f"--noetl-events-level must be required, recommended or all, not {level!r}"
        )
    try:
        timeout = float(option(config, "timeout") or 10)
    except ValueError:
        raise pytest.UsageError("--noetl-events-timeout must be a number of seconds") from None
    try:
        everything = load_corpus(Path(corpus) if corpus else None)
        baseline_path = option(config, "baseline")
        baseline = load(Path(baseline_path)) if baseline_path else Baseline({})
    except (CaseFileError, BaselineError) as e:
        raise pytest.UsageError(str(e)) from None
    chosen = select(everything, level=level, pattern=option(config, "select"))
    if not chosen:
        raise pytest.UsageError("--noetl-events-*: no corpus case matches the selection")
    config.stash[_STATE] = _CorpusRun(
        impl=str(option(config, "impl")),
        timeout=timeout,
        baseline=baseline,
        all_ids=frozenset(c.id for c in everything),
        chosen=tuple(chosen),
    )


def add_case_items(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash[_STATE]
    collector = CorpusCollector.from_parent(
        session, name="noetl-events-corpus", nodeid="noetl-events-corpus"
    )
    collector.cases = list(state.chosen)
    new_items = collector.collect()
    unknown = sorted(set(state.baseline.entries) - state.all_ids)
    if unknown:
        new_items.append(
            BaselineItem.from_parent(collector, name="baseline-entries", unknown=unknown)
        )
    items.extend(new_items)


class CorpusCollector(pytest.Collector):
    cases: list[Case]

    def collect(self) -> list[pytest.Item]:
        return [CaseItem.from_parent(self, name=f"{c.op}::{c.id}", case=c) for c in self.cases]


class CaseFailure(Exception):
    """A corpus case that failed: carries the result for a readable report."""

    def __init__(self, result: CaseResult, note: str = "") -> None:
        super().__init__(result.reason)
        self.result = result
        self.note = note


class CaseItem(pytest.Item):
    """One corpus case, verified against the implementation under test."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.add_marker("noetl_events_case")
        for tag in case.tags:
            self.keywords[tag] = True

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        result = state.result(self)
        listed = state.baseline.entries.get(self.case.id)
        if result.verdict == "skipped":
            pytest.skip(result.reason or "skipped")
        if result.verdict == "errored":
            outcome = state.outcome
            tail = outcome.stderr_tail if outcome else ""
            raise CaseFailure(
                result,
                f"the implementation errored\nstderr tail:\n{tail}"
                if tail
                else "the implementation errored",
            )
        if listed is not None:
            if result.verdict == "fail":
                pytest.xfail(f"in the baseline: {listed or 'known failure'}")
            where = state.baseline.path
            raise CaseFailure(
                result, f"stale baseline entry: {self.case.id} passes now; remove it from {where}"
            )
        if result.verdict == "fail":
            raise CaseFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailure):
            return describe_failure(excinfo.value.result, excinfo.value.note)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        return (self.case.path or "corpus", None, f"{self.case.op} {self.case.id}")


class BaselineItem(pytest.Item):
    """Fails when the baseline lists ids the corpus does not have."""

    def __init__(self, *, unknown: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unknown = unknown

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        pytest.fail(
            f"{state.baseline.path}: ids not in the corpus: {', '.join(self.unknown)}",
            pytrace=False,
        )

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        return (str(self.config.stash[_STATE].baseline.path), None, "baseline entries")


def describe_failure(result: CaseResult, note: str = "") -> str:
    """A readable account of one failed case: what was expected, what came, where they differ."""
    from ._diff import json_changes, mark_first_difference, parse_or_none, visible

    case, got = result.case, result.got
    lines = [f"case {case.id} ({case.op}, {case.level}): {case.description}"]
    if note:
        lines.append(note)
    lines.append(f"input:    {visible(case.input[:500])}")
    if case.now:
        lines.append(f"now:      {case.now}")
    expected = case.output if case.accepts else f"error {case.error_kind}: {case.error_message}"
    lines.append(f"expected: {visible(str(expected)[:500])}")
    if got is not None:
        shown = (
            got.output if got.output is not None else f"error {got.error_kind}: {got.error_message}"
        )
        lines.append(f"got:      {visible(str(shown)[:500])}")
    if result.reason:
        lines.append(f"verdict:  {result.verdict} ({result.reason})")
    if got is not None and case.output is not None and got.output is not None:
        a, a_err = parse_or_none(case.output)
        b, b_err = parse_or_none(got.output)
        if a_err is None and b_err is None:
            changes = json_changes(a, b)
            if changes:
                lines.append("JSON paths that differ (expected -> got):")
                lines += [f"  {c.describe()}" for c in changes]
            else:
                lines.append("same JSON value, different text")
        lines.append(mark_first_difference(case.output, got.output))
    return "\n".join(lines)
