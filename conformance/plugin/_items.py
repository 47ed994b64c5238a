"""The plugin's corpus items: one pytest item per case, run through the kit's runner.

An adapter command is started at configure time, so that it starts up while pytest collects.
The first case item to run sends every case item of the session to it in one pipelined batch,
read by a background thread; each item waits for its own result only and reports its own
verdict (an in-process callable runs the batch on pytest's thread). Plain case items skip
pytest's per-phase hook dispatch (:func:`run_case_protocol`). A failing item shows the JSON
paths that differ and both texts with the first difference marked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest

from conformance.core._usage import UsageError
from conformance.corpus._case import (
    LEVEL_CHOICES,
    OPS,
    Case,
    CaseFileError,
    load_corpora,
    select,
)
from conformance.runner._baseline import Baseline, BaselineError, load, reason_line
from conformance.runner._runner import (
    AdapterError,
    CallableContractError,
    CaseResult,
    Driver,
    InProcessDriver,
    RunOutcome,
    SubprocessDriver,
    execute,
)
from conformance.runner._spec import SpecError, parse_spec
from conformance.runner._subprocess_driver import finite_seconds

from ._options import CORPUS_NODE, NAMED

__all__ = [
    "WRITER",
    "CaseItem",
    "CorpusView",
    "add_case_items",
    "check_choice",
    "choose",
    "prepare",
    "run_case_protocol",
]

_STATE = pytest.StashKey["_CorpusRun"]()
_When = Literal["setup", "call", "teardown"]
_FOLDERS = pytest.StashKey[dict[str, str]]()
_KIT_MARKS = pytest.StashKey[frozenset[str]]()
WRITER = pytest.StashKey[Any]()  # the BaselineWriter of --noetl-events-update-baseline


@dataclasses.dataclass(frozen=True)
class CorpusView:
    """The loaded corpus, for tests: ``filter`` by op, level, tags and id pattern."""

    cases: tuple[Case, ...]

    @classmethod
    def load(cls, corpus: Path | None = None, extra: Sequence[Path] = ()) -> CorpusView:
        return cls(tuple(load_corpora(corpus, extra)))

    def filter(
        self,
        *,
        op: str | None = None,
        level: str = "all",
        tags: Sequence[str] = (),
        select: str | None = None,
    ) -> list[Case]:
        """The cases of ``op`` (any when None), at ``level`` or stricter, carrying every tag
        of ``tags`` (a list or tuple of tag names) whose id matches ``select`` (a glob, or a
        substring). An unknown op or level, ``tags`` given as one text, or a selection that
        matches no case raises :class:`~conformance.UsageError`."""
        __tracebackhide__ = True  # the user's call is what to show, not the kit's frames
        return choose(self.cases, "noetl_events_corpus.filter", op, level, tags, select)

    def __iter__(self) -> Any:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)


_select = select


def check_choice(
    who: str, op: object, level: object, tags: object, pattern: object
) -> tuple[str, ...]:
    """Refuse arguments of :meth:`CorpusView.filter` or ``corpus_params`` that cannot select
    anything, with a :class:`~conformance.UsageError` starting with ``who``; the tags."""
    __tracebackhide__ = True
    from ._options import quoted

    if op is not None and op not in OPS:
        raise UsageError(f"{who}: unknown op {quoted(op)} (one of {', '.join(OPS)})")
    if level not in LEVEL_CHOICES:
        raise UsageError(
            f"{who}: unknown level {quoted(level)} (one of {', '.join(LEVEL_CHOICES)})"
        )
    if isinstance(tags, (str, bytes)):
        raise UsageError(
            f"{who}: tags is a list of tag names, not one text: "
            f"tags=[{quoted(tags)}], not tags={quoted(tags)}"
        )
    names = tuple(tags) if isinstance(tags, Iterable) else None
    if names is None or not all(isinstance(t, str) for t in names):
        raise UsageError(f"{who}: tags is a list of tag names (texts)")
    if pattern is not None and not isinstance(pattern, str):
        raise UsageError(f"{who}: select is a glob or a substring of case ids (a text)")
    return names


def choose(
    cases: Sequence[Case],
    who: str,
    op: str | None,
    level: str,
    tags: Sequence[str],
    pattern: str | None,
) -> list[Case]:
    """The cases :meth:`CorpusView.filter` selects; a selection that matches none raises a
    :class:`~conformance.UsageError` (a test over no case would pass, testing nothing)."""
    __tracebackhide__ = True
    from ._options import quoted

    tags = check_choice(who, op, level, tags, pattern)
    wanted = set(tags)
    chosen = [
        c
        for c in _select(cases, level=level, pattern=pattern)
        if (op is None or c.op == op) and wanted <= set(c.tags)
    ]
    if chosen:
        return chosen
    known = {t for c in cases for t in c.tags}
    unknown = sorted(wanted - known)
    if unknown:
        raise UsageError(f"{who}: no corpus case has the tag {', '.join(map(quoted, unknown))}")
    asked = [f"op={quoted(op)}"] if op is not None else []
    asked += [f"level={quoted(level)}"] if level != "all" else []
    asked += [f"tags=[{', '.join(map(quoted, tags))}]"] if tags else []
    asked += [f"select={quoted(pattern)}"] if pattern is not None else []
    if not asked:
        raise UsageError(f"{who}: the corpus has no case")
    raise UsageError(f"{who}: no corpus case matches {', '.join(asked)}")


def _driver(
    impl: str,
    timeout: float,
    where: str = "--noetl-events-impl",
    timeout_option: str = "--noetl-events-timeout",
) -> Driver:
    """Any implementation spec of :mod:`conformance.runner._spec` (``where``: the flag or the
    ini key it came from, as a mistake names it; ``timeout_option``: the same for the
    timeout, as a request that exceeds it names it)."""
    try:
        return parse_spec(impl).driver(timeout=timeout, options=(timeout_option, None))
    except SpecError as e:
        raise pytest.UsageError(f"{where}: {e}") from None


def _runs_items_here(config: pytest.Config) -> bool:
    """False on a pytest-xdist controller (its workers run the items) and under --collect-only."""
    if config.getoption("collectonly", False):
        return False
    if hasattr(config, "workerinput"):
        return True
    return not config.getoption("numprocesses", None) and config.getoption("dist", "no") == "no"


class _Results:
    """The cases' results as they arrive, by case id.

    From an adapter command, a background thread reads them: the adapter runs in a process of
    its own, so while it works through the cases pytest's thread goes on reporting the items
    whose results are in, and the run takes about as long as the longer of the two, not their
    sum. Each item waits only for its own result. An in-process callable runs the whole batch
    at once on pytest's thread, as anyone calling it expects.
    """

    def __init__(self, driver: Driver, cases: Sequence[Case]) -> None:
        self._arrived = threading.Condition()
        self._results: dict[str, CaseResult] = {}
        self._outcome: RunOutcome | None = None
        self._crash: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._contract: str | None = None
        if isinstance(driver, SubprocessDriver):
            self._thread = threading.Thread(
                target=self._run, args=(driver, cases), name="noetl-events-run", daemon=True
            )
            self._thread.start()
        else:
            try:
                self._outcome = execute(driver, cases, on_result=self._arrive)
            except CallableContractError as e:  # the cases left error with this one line
                self._contract = str(e)

    def _run(self, driver: Driver, cases: Sequence[Case]) -> None:
        try:
            outcome = execute(driver, cases, on_result=self._arrive)
        except BaseException as e:  # handed to the items waiting, rather than lost in a thread
            with self._arrived:
                self._crash = e
                self._arrived.notify_all()
        else:
            with self._arrived:
                self._outcome = outcome
                self._arrived.notify_all()

    def _arrive(self, result: CaseResult) -> None:
        with self._arrived:
            self._results[result.case.id] = result
            self._arrived.notify_all()

    def result(self, case_id: str) -> CaseResult:
        if self._contract is not None and case_id not in self._results:
            pytest.fail(f"usage error: {self._contract}", pytrace=False)
        with self._arrived:
            while case_id not in self._results and self._settled() is None:
                self._arrived.wait(1.0)
            return self._results[case_id]

    def outcome(self) -> RunOutcome:
        """The whole run, once it has finished (an errored case waits for it, for the tail of
        the adapter's stderr)."""
        with self._arrived:
            while (settled := self._settled()) is None:
                self._arrived.wait(1.0)
            return settled

    def _settled(self) -> RunOutcome | None:
        if self._crash is not None:
            raise RuntimeError("the conformance run failed") from self._crash
        if self._outcome is None and not (self._thread and self._thread.is_alive()):
            raise RuntimeError("the conformance run stopped without an outcome")
        return self._outcome

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


@dataclasses.dataclass
class _CorpusRun:
    driver: Driver
    baseline: Baseline
    all_ids: frozenset[str]
    chosen: tuple[Case, ...] = ()
    results: _Results | None = None
    updating: bool = False

    def result(self, item: CaseItem) -> CaseResult:
        if self.results is None:  # the first case item to run sends them all
            cases = [i.case for i in item.session.items if isinstance(i, CaseItem)]
            self.results = _Results(self.driver, cases)
        return self.results.result(item.case.id)

    def close(self) -> None:
        """Stop the adapter (at the end of the session, or when it is cut short)."""
        self.driver.close()
        if self.results is not None:
            self.results.join(5.0)


def prepare(config: pytest.Config) -> None:
    """Load and check the corpus, the selection and the baseline (at configure time, so a
    mistake is a usage error on the pytest-xdist controller too)."""
    from ._options import extra_corpora, option, quoted, source

    corpus = option(config, "corpus")
    level = str(option(config, "level"))
    if level not in LEVEL_CHOICES:
        raise pytest.UsageError(
            f"{source(config, 'level')} must be required, recommended or all, not {quoted(level)}"
        )
    given_timeout = str(option(config, "timeout"))
    try:
        timeout = float(given_timeout)
    except ValueError:
        timeout = float("nan")
    if not finite_seconds(timeout):
        raise pytest.UsageError(
            f"{source(config, 'timeout')} must be a positive, finite number of seconds, "
            f"not {quoted(given_timeout)}"
        )
    _check_update_baseline(config, level)
    driver = _driver(
        str(option(config, "impl")), timeout, source(config, "impl"), source(config, "timeout")
    )
    config.add_cleanup(driver.close)  # whatever happens next, the adapter does not outlive us
    if isinstance(driver, SubprocessDriver) and _runs_items_here(config):
        # The adapter starts up while the corpus loads and pytest collects. A command that
        # cannot start fails again, and is reported, when the first case item runs.
        with contextlib.suppress(AdapterError):
            driver.launch()
    try:
        everything = load_corpora(Path(corpus) if corpus else None, extra_corpora(config))
        baseline_path = option(config, "baseline")
        updating = bool(config.getoption("noetl_events_update_baseline", False))
        if updating and not baseline_path:
            raise pytest.UsageError("--noetl-events-update-baseline needs --noetl-events-baseline")
        dropped: list[str] = []
        if updating:  # repair a damaged file: lines naming no case are dropped
            baseline = load(
                Path(str(baseline_path)),
                missing_ok=True,
                known_ids=(c.id for c in everything),
                dropped=dropped,
            )
        else:
            baseline = load(Path(baseline_path)) if baseline_path else Baseline({})
    except (CaseFileError, BaselineError) as e:
        raise pytest.UsageError(str(e)) from None
    if updating:  # on pytest-xdist workers it tags the reports; the controller writes
        from ._baseline_writer import BaselineWriter

        writer = BaselineWriter(
            Path(str(baseline_path)), baseline, (c.id for c in everything), len(dropped)
        )
        config.pluginmanager.register(writer, "noetl-events-baseline-writer")
        config.stash[WRITER] = writer  # (a level or select pattern was refused with it above)
    chosen = select(everything, level=level, pattern=option(config, "select"))
    if not chosen:
        where = source(config, "select") if option(config, "select") else source(config, "level")
        raise pytest.UsageError(f"{where}: no corpus case matches the selection")
    _check_named(config, chosen, unknown=bool(set(baseline.entries) - {c.id for c in everything}))
    if isinstance(driver, InProcessDriver) and str(option(config, "impl")).startswith("python:"):
        _probe(driver, chosen)
    state = config.stash[_STATE] = _CorpusRun(
        driver=driver,
        baseline=baseline,
        all_ids=frozenset(c.id for c in everything),
        chosen=tuple(chosen),
        updating=updating,
    )
    config.add_cleanup(state.close)


def _check_update_baseline(config: pytest.Config, level: str) -> None:
    """``--noetl-events-update-baseline`` rewrites the whole file from the cases that ran: a
    level or a select pattern would drop every entry the run left out (as ``verify
    --update-baseline`` refuses them)."""
    from ._options import option, source

    if not config.getoption("noetl_events_update_baseline", False):
        return
    narrowing = []
    if level != "all":
        narrowing.append(f"{source(config, 'level')} {level}")
    pattern = option(config, "select")
    if pattern is not None:
        narrowing.append(f"{source(config, 'select')} {pattern}")
    if narrowing:
        raise pytest.UsageError(
            "--noetl-events-update-baseline needs the whole corpus: drop "
            f"{' and '.join(narrowing)} (a partial run would drop every entry it did not run)"
        )


def _probe(driver: InProcessDriver, cases: Sequence[Case]) -> None:
    """Call an in-process callable once per op before any item runs, so that an answer its
    contract does not allow is one usage error (on the pytest-xdist controller too), not a
    failure per case."""
    first: dict[str, Case] = {}
    for case in cases:
        first.setdefault(case.op, case)
    for case in first.values():
        try:
            driver.answer(case)
        except CallableContractError as e:
            raise pytest.UsageError(str(e)) from None


def add_case_items(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash[_STATE]
    collector = CorpusCollector.from_parent(session, name=CORPUS_NODE, nodeid=CORPUS_NODE)
    new_items: list[pytest.Item] = []
    by_op: dict[str, list[Case]] = {}
    for case in state.chosen:
        by_op.setdefault(case.op, []).append(case)
    marks = _case_marks(config, state.chosen)
    for op, cases in by_op.items():
        group = CorpusCollector.from_parent(collector, name=op)
        group.add_marker("noetl_events_case")  # once for the op's items (they inherit it)
        for c in cases:
            item = CaseItem.from_parent(group, name=c.id, case=c)
            item.own_markers.extend(marks[n] for n in (c.level, *c.tags) if n in marks)
            new_items.append(item)
    # A collect report for the corpus, as any collector gives: the terminal counts its items.
    config.hook.pytest_collectreport(
        report=pytest.CollectReport(collector.nodeid, "passed", None, list(new_items))
    )
    unknown = sorted(set(state.baseline.entries) - state.all_ids)
    if unknown:
        new_items.append(
            BaselineItem.from_parent(collector, name="baseline-entries", unknown=unknown)
        )
    items.extend(_named_only(config, new_items))


def _check_named(config: pytest.Config, chosen: Sequence[Case], unknown: bool) -> None:
    """A corpus node id named as a test path must name an item of this run (checked at
    configure time, so that it is a usage error on the pytest-xdist controller too)."""
    nodes = {CORPUS_NODE}
    for case in chosen:
        nodes.update((f"{CORPUS_NODE}::{case.op}", f"{CORPUS_NODE}::{case.op}::{case.id}"))
    if unknown:
        nodes.add(f"{CORPUS_NODE}::baseline-entries")
    for name in config.stash.get(NAMED, ()):
        if name.rstrip("/") not in nodes:
            raise pytest.UsageError(
                f"not found: {name} (no corpus item of this run has this node id; "
                "--collect-only -q lists them)"
            )


def _named_only(config: pytest.Config, items: list[pytest.Item]) -> list[pytest.Item]:
    """``items``, or when corpus node ids were named as test paths, those they name (the
    others deselected)."""
    wanted = [n.rstrip("/") for n in config.stash.get(NAMED, ())]
    if not wanted:
        return items
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        named = any(item.nodeid == n or item.nodeid.startswith(n + "::") for n in wanted)
        (kept if named else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    return kept


def _case_marks(config: pytest.Config, cases: Sequence[Case]) -> dict[str, pytest.Mark]:
    """A marker per level and tag, so ``-m required`` or ``-m 'ts-offset and not required'``
    select cases. A name that is already a marker (``skip``, ``xfail``, one of the project's)
    keeps its meaning and is not given to cases."""
    taken = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    names = sorted({n for c in cases for n in (c.level, *c.tags)} - taken)
    for name in names:
        config.addinivalue_line("markers", f"{name}: corpus cases at this level or with this tag")
    marks = {n: pytest.Mark(n, (), {}, _ispytest=True) for n in names}
    config.stash[_KIT_MARKS] = frozenset({"noetl_events_case", *names})
    return marks


class CorpusCollector(pytest.Collector):
    """``noetl-events-corpus`` and one child per op: node ids read
    ``noetl-events-corpus::<op>::<case id>``, one name per level, as ``--lf`` expects."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return []  # the plugin adds the items itself, at pytest_collection_modifyitems


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
        self.verdict: tuple[str, str] | None = None
        self.result: CaseResult
        self.extra_keyword_matches.update((case.level, *case.tags))  # -k ts-offset

    def setup(self) -> None:
        """Fetch the case's result. A case the adapter could not answer (it crashed, timed
        out, broke the protocol) fails here, so pytest reports it as an ERROR: the
        implementation broke, not this case. A callable that raised on this case's input fails
        in the call phase, as a test body that raises does (:meth:`runtest`)."""
        state = self.config.stash[_STATE]
        result = self.result = state.result(self)
        if state.updating:  # the report carries it to --noetl-events-update-baseline's writer
            self.verdict = (result.verdict, reason_line(result))
        if result.verdict != "errored" or result.detail is not None:
            return
        assert state.results is not None
        tail = state.results.outcome().stderr_tail
        note = (
            f"the implementation errored\nstderr tail:\n{tail}"
            if tail
            else "the implementation errored"
        )
        pytest.fail(describe_failure(result, note), pytrace=False)

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        result = self.result
        if result.verdict == "errored":  # the callable raised (the kit's verdict stays errored)
            raise CaseFailure(
                result, f"the implementation raised:\n{(result.detail or '').rstrip()}"
            )
        listed = state.baseline.entries.get(self.case.id)
        if result.verdict == "skipped":
            pytest.skip(result.reason or "skipped")
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
        if isinstance(excinfo.value, pytest.xfail.Exception):  # a known failure: pytest shows
            return str(excinfo.value)  # only its reason, so format no traceback for it
        if isinstance(excinfo.value, CaseFailure):
            return describe_failure(excinfo.value.result, excinfo.value.note)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        # A line number (the file's first) is needed: a skip marker reports at the item's place.
        return (self.case.path or "corpus", 0, f"{self.case.op} {self.case.id}")

    @functools.cached_property
    def location(self) -> tuple[str, int | None, str]:
        """As pytest's, relative to the root folder; worked out once per corpus folder rather
        than once per case file (pytest's own costs more than judging the case)."""
        path, line, domain = self.reportinfo()
        folder, name = os.path.split(os.path.abspath(path))
        folders = self.config.stash.setdefault(_FOLDERS, {})
        relative = folders.get(folder)
        if relative is None:
            relative = folders[folder] = os.path.relpath(folder, self.config.rootpath)
        return (os.path.normpath(os.path.join(relative, name)), line, domain)


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
        return (str(self.config.stash[_STATE].baseline.path), 0, "baseline entries")


def describe_failure(result: CaseResult, note: str = "") -> str:
    """A readable account of one failed case: what was expected, what came, where they differ."""
    from conformance.core._diff import escape_surrogates, explain_difference, visible

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
    if (
        got is not None
        and case.output is not None
        and got.output is not None
        and got.output != case.output  # a stale baseline entry: the case passes, nothing differs
    ):
        lines += explain_difference(case.output, got.output, "expected -> got")
    return escape_surrogates("\n".join(lines))  # any string survives pytest-xdist and a terminal


def _plain(item: pytest.Item) -> bool:
    """A case item only the kit has touched: no marker but its own, no setup-only run."""
    config = item.config
    if config.getoption("setuponly", False) or config.getoption("setupplan", False):
        return False
    kit = config.stash.get(_KIT_MARKS, frozenset({"noetl_events_case"}))
    return all(m.name in kit for m in item.iter_markers())


def run_case_protocol(item: pytest.Item, nextitem: pytest.Item | None = None) -> bool | None:
    """pytest's run-test protocol for a plain case item, without the per-phase hooks.

    A case has no fixtures, runs no user code and prints nothing, so its setup and teardown
    have nothing to do; what costs is pytest's dispatch of the setup, call and teardown hooks
    to every plugin, several times the price of judging the case. This runs the case and
    reports all three phases through the usual hooks (``pytest_runtest_logstart``,
    ``pytest_runtest_makereport``, ``pytest_runtest_logreport``, ``pytest_exception_interact``,
    ``pytest_runtest_logfinish``), so ``-x``, ``--junitxml``, ``--lf``, ``--pdb``, terminal
    reports and pytest-xdist see each case as they see any test. Any other item, or a case item
    given a marker (``skip``, ``xfail``, ...), returns ``None``: pytest's full protocol runs it.
    Its teardown phase tears down what the next item does not share, as pytest's does: the
    fixtures of the tests before it (all of them after the last item), whose errors are then
    reported as this item's teardown error.
    """
    if type(item) is not CaseItem or not _plain(item):
        return None
    ihook = item.ihook
    reraise: tuple[type[BaseException], ...] = (pytest.exit.Exception,)
    if not item.config.getoption("usepdb", False):
        reraise += (KeyboardInterrupt,)
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    phases: tuple[tuple[_When, Callable[[], None]], ...] = (
        ("setup", item.setup),
        ("call", item.runtest),
        ("teardown", lambda: item.session._setupstate.teardown_exact(nextitem)),
    )
    set_up = True
    for when, step in phases:
        if when == "call" and not set_up:
            continue  # as pytest does: no call after a failed setup; teardown still reported
        call = pytest.CallInfo.from_call(step, when=when, reraise=reraise)
        report = ihook.pytest_runtest_makereport(item=item, call=call)
        ihook.pytest_runtest_logreport(report=report)
        if call.excinfo is not None and not (
            hasattr(report, "wasxfail") or call.excinfo.errisinstance(pytest.skip.Exception)
        ):
            ihook.pytest_exception_interact(node=item, call=call, report=report)
        if when == "setup":
            set_up = report.passed
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
