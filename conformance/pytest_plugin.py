"""The kit's pytest plugin (entry point ``pytest11``): the conformance suite inside any pytest run.

With ``--noetl-events-impl`` it adds one test item per corpus case, so ``-k``, ``-x``,
``--junitxml`` and pytest-xdist all work per case; without it, it adds nothing to a run. It
also provides the ``noetl_events_corpus`` and ``noetl_golden`` fixtures. This module stays
thin: everything heavier is imported when an option or fixture needs it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.plugin._options import (
    NAMED,
    add_options,
    check_corpus_folders,
    option,
    quoted,
    source,
    take_named,
)

if TYPE_CHECKING:
    from conformance.corpus._case import Case
    from conformance.plugin._golden import Golden, GoldenStore
    from conformance.plugin._items import CorpusView

_GOLDEN_STORE = pytest.StashKey["GoldenStore"]()
_PARTIAL = pytest.StashKey[list[str]]()
_WORKER_USED = pytest.StashKey[list[str]]()
_UNUSED = pytest.StashKey[list[Path]]()
_CASE_ITEMS = pytest.StashKey[bool]()
# test module (relative to the root folder) -> did every phase of every one of its tests pass?
_MODULES = pytest.StashKey[dict[str, bool]]()
_TRACKER = pytest.StashKey["_ModuleTracker"]()
_NOTHING_RAN = pytest.StashKey[str]()
_CORPUS = pytest.StashKey[bool]()
_WORKER_KEY = "noetl_events_corpus_items"


def _wants_corpus(config: pytest.Config) -> bool:
    """Whether this session runs the corpus: with ``--noetl-events-impl`` given, always; with
    an implementation set in the ini file only when no test path was named (``pytest
    tests/test_app.py`` runs that file alone), or when a path names the corpus's items."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and _WORKER_KEY in workerinput:  # the controller decided
        return bool(workerinput[_WORKER_KEY])
    if config.getoption("noetl_events_impl") is not None:
        return True
    if option(config, "impl") is None:
        return False
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return True
    return bool(config.stash[NAMED])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist controller: tell each worker whether the session runs the corpus (a worker
    is given the controller's test paths as if they had been named)."""
    node.workerinput[_WORKER_KEY] = node.config.stash[_CORPUS]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "noetl_events_case: a test item generated from a conformance corpus case"
    )
    golden = option(config, "golden")
    if golden not in ("update", "new", "none"):
        raise pytest.UsageError(
            f"{source(config, 'golden')} must be update, new or none, not {quoted(golden)}"
        )
    check_corpus_folders(config)
    config.stash[_PARTIAL] = []
    config.stash[_MODULES] = {}
    config.stash[_TRACKER] = _ModuleTracker(config.stash[_MODULES])
    config.pluginmanager.register(config.stash[_TRACKER], "noetl-events-modules")
    if option(config, "impl") is None:
        for flag, asked in (
            ("--noetl-events-baseline", config.getoption("noetl_events_baseline") is not None),
            (
                "--noetl-events-update-baseline",
                bool(config.getoption("noetl_events_update_baseline", False)),
            ),
            ("--noetl-events-level", config.getoption("noetl_events_level") is not None),
            ("--noetl-events-select", config.getoption("noetl_events_select") is not None),
        ):
            if asked:  # they choose among the corpus items: without them, silently ignored
                raise pytest.UsageError(f"{flag} needs --noetl-events-impl (what to run)")
    config.stash[NAMED] = take_named(config)
    if config.stash[NAMED] and option(config, "impl") is None:
        raise pytest.UsageError(
            f"{config.stash[NAMED][0]} names corpus items: they need --noetl-events-impl "
            "(what to run)"
        )
    config.stash[_CORPUS] = _wants_corpus(config)
    if not config.stash[_CORPUS] and config.getoption("noetl_events_update_baseline", False):
        raise pytest.UsageError(
            "--noetl-events-update-baseline: the corpus does not run in this session (the ini "
            "noetl_events_impl runs it only when no test path is named): give "
            "--noetl-events-impl, or name no path"
        )
    if config.stash[_CORPUS]:
        _require_the_pytest_extra()
        from conformance.plugin._items import prepare

        prepare(config)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.stash[_CORPUS]:
        return
    from conformance.plugin._items import add_case_items

    add_case_items(session, config, items)
    config.stash[_CASE_ITEMS] = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if item.config.stash.get(_CASE_ITEMS, False):
        from conformance.plugin._items import run_case_protocol

        return run_case_protocol(item, nextitem)
    return None


class _ModuleTracker:
    """Notes which test modules ran cleanly (every phase of every test passed): only their
    goldens may be called unused. On the pytest-xdist controller it sees every worker's
    reports."""

    def __init__(self, modules: dict[str, bool]) -> None:
        self.modules = modules
        self.cases = 0  # corpus case items reported, and how many of them ran (not skipped)
        self.ran = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        module = report.nodeid.partition("::")[0]
        if module.endswith(".py"):
            self.modules[module] = self.modules.get(module, True) and report.passed
        elif module == "noetl-events-corpus" and report.when == "call":
            self.cases += 1
            self.ran += not report.skipped or hasattr(report, "wasxfail")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A new test: forget which examples' promote commands property failures spelled (so a
    strategy's note says it again for this test's own failures)."""
    properties = sys.modules.get("conformance.generation._properties")
    if properties is not None:
        properties.SPELLED.clear()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        items[0].config.stash[_PARTIAL].append("some items were deselected")


def _partial_reasons(session: pytest.Session) -> list[str]:
    config = session.config
    recorded: list[str] = config.stash.get(_PARTIAL, [])
    reasons = [*recorded]
    if config.getoption("keyword", ""):
        reasons.append("-k")
    if config.getoption("markexpr", ""):
        reasons.append("-m")
    if config.getoption("lf", False) or config.getoption("failedfirst", False):
        reasons.append("--lf/--ff")
    named = [*map(str, config.args), *config.stash.get(NAMED, ())]  # (corpus ids: see take_named)
    if any("::" in a for a in named):
        reasons.append("node ids given")
    if session.shouldstop or session.shouldfail:
        reasons.append("the session stopped early")
    if session.exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR):
        reasons.append("the session was interrupted")  # (Ctrl-C or pytest.exit)
    return reasons


def _golden_store(config: pytest.Config) -> GoldenStore:
    store = config.stash.get(_GOLDEN_STORE, None)
    if store is None:
        from conformance.plugin._golden import GoldenStore

        store = GoldenStore(mode=str(option(config, "golden")))
        config.stash[_GOLDEN_STORE] = store
    return store


@pytest.fixture
def noetl_golden(request: pytest.FixtureRequest) -> Golden:
    """Compare events, requests or JSON texts with golden files beside the test."""
    from conformance.plugin._golden import FOLDER, Golden

    path = Path(str(request.node.path))
    folder = path.parent / FOLDER / path.stem
    return Golden(_golden_store(request.config), folder, request.node.name)


@pytest.fixture(scope="session")
def noetl_events_corpus(pytestconfig: pytest.Config) -> CorpusView:
    """The conformance corpus (``--noetl-events-corpus`` or the bundled one), filterable by
    op, level, tag and id pattern: ``noetl_events_corpus.filter(op="decode_event")``."""
    from conformance.corpus._case import CaseFileError
    from conformance.plugin._items import CorpusView
    from conformance.plugin._options import extra_corpora

    corpus = option(pytestconfig, "corpus")  # (a missing folder is refused at configure time)
    try:
        return CorpusView.load(Path(corpus) if corpus else None, extra_corpora(pytestconfig))
    except CaseFileError as e:
        pytest.fail(f"noetl_events_corpus: cannot read the corpus: {e}", pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput"):  # pytest-xdist worker: what narrowed its run
        config.workeroutput["noetl_events_partial"] = _partial_reasons(session)  # type: ignore[attr-defined]
    if config.stash[_CORPUS] and not hasattr(config, "workerinput"):
        from conformance.plugin._items import WRITER

        writer = config.stash.get(WRITER, None)
        if writer is not None:
            writer.finish(_partial_reasons(session))
        tracker = config.stash[_TRACKER]
        if tracker.cases and not tracker.ran:  # every case skipped: nothing was tested
            config.stash[_NOTHING_RAN] = (
                f"none of the {tracker.cases} corpus cases ran (the implementation runs none "
                "of their ops, or skipped them all): a run that tests nothing does not pass"
            )
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    store = config.stash.get(_GOLDEN_STORE, None)
    if store is None:
        return
    store.flush()
    if hasattr(config, "workerinput"):  # pytest-xdist worker: report to the controller
        config.workeroutput["noetl_golden"] = {  # type: ignore[attr-defined]
            "used": sorted(map(str, store.used)),
            "created": sorted(map(str, store.created)),
            "updated": sorted(map(str, store.updated)),
        }
        return
    used = store.used | {Path(p) for p in config.stash.get(_WORKER_USED, [])}
    if _partial_reasons(session) or not used:
        return  # unused goldens are only known after a full, unfiltered run
    # Only the goldens of test modules that ran, every test passing, can be judged: a module
    # not named on the command line, or one whose test failed before its check, says nothing.
    from conformance.plugin._golden import FOLDER

    folders = {
        (config.rootpath / module).parent / FOLDER / Path(module).stem
        for module, clean in config.stash[_MODULES].items()
        if clean
    }
    store.used |= used
    unused = store.unused(folders)
    if store.mode == "update":
        store.remove(unused)
    else:
        config.stash[_UNUSED] = unused


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: gather each worker's partial-run reasons (whatever it ran: a
    worker that deselected corpus items narrowed the run) and used goldens."""
    config = node.config
    workeroutput = getattr(node, "workeroutput", {})
    config.stash[_PARTIAL].extend(workeroutput.get("noetl_events_partial", ()))
    output = workeroutput.get("noetl_golden")
    if not output:
        return
    config.stash.setdefault(_WORKER_USED, []).extend(output["used"])
    store = _golden_store(config)
    store.created.extend(map(Path, output["created"]))
    store.updated.extend(map(Path, output["updated"]))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    nothing = config.stash.get(_NOTHING_RAN, None)
    if nothing is not None:
        terminalreporter.section("noetl-events conformance", sep="-", red=True)
        terminalreporter.write_line(nothing)
    store = config.stash.get(_GOLDEN_STORE, None)
    if store is None or hasattr(config, "workerinput"):
        return
    sections = (
        ("golden files created", store.created),
        ("golden files updated", store.updated),
        ("unused golden files removed", store.removed),
        (
            "unused golden files (kept; --noetl-events-golden=update removes them)",
            config.stash.get(_UNUSED, []),
        ),
    )
    for title, paths in sections:
        if paths:
            terminalreporter.section(title, sep="-")
            for path in paths:
                terminalreporter.write_line(f"  {path}")


def corpus_params(
    *,
    op: str | None = None,
    level: str = "all",
    tags: tuple[str, ...] = (),
    select: str | None = None,
    corpus: str | Path | None = None,
) -> list[Any]:
    """``pytest.param`` per selected corpus case, with the case id as the test id: use with
    ``@pytest.mark.parametrize("case", corpus_params(op="decode_event"))``. The cases are those
    of ``corpus`` (default: the bundled corpus, whatever ``--noetl-events-corpus`` says), chosen
    as :meth:`CorpusView.filter <conformance.plugin._items.CorpusView.filter>` chooses them.
    A mistake in the arguments (an unknown op or level, ``tags`` given as one text, no such
    corpus folder, a case file that cannot be read, a selection that matches no case) raises
    :class:`~conformance.UsageError` saying which, rather than giving no test."""
    __tracebackhide__ = True
    from conformance.core._usage import UsageError
    from conformance.corpus._case import CaseFileError, corpus_folder
    from conformance.plugin._items import CorpusView, check_choice, choose

    who = "corpus_params"
    tags = check_choice(who, op, level, tags, select)  # before the corpus is read (a tuple:
    # an iterator of tags is read once)
    try:
        view = CorpusView.load(corpus_folder(corpus))
    except CaseFileError as e:
        raise UsageError(f"{who}: cannot read the corpus: {e}") from None
    except UsageError as e:  # not a folder
        raise UsageError(f"{who}: {e}") from None
    cases: list[Case] = choose(view.cases, who, op, level, tags, select)
    return [pytest.param(c, id=c.id) for c in cases]


def _require_the_pytest_extra() -> None:
    """The plugin's case items explain failures with deepdiff, which comes with the ``pytest``
    extra; pytest installed on its own does not bring it."""
    from importlib.util import find_spec

    from conformance.core._extras import install_hint

    for module in ("deepdiff",):
        if find_spec(module) is None:
            raise pytest.UsageError(
                f"--noetl-events-impl needs {module}, an optional dependency: "
                f"{install_hint('pytest')}"
            )
