"""The kit's pytest plugin (entry point ``pytest11``): the conformance suite inside any pytest run.

With ``--noetl-events-impl`` it adds one test item per corpus case, so ``-k``, ``-x``,
``--junitxml`` and pytest-xdist all work per case; without it, it adds nothing to a run. It
also provides the ``noetl_events_corpus`` and ``noetl_golden`` fixtures. This module stays
thin: everything heavier is imported when an option or fixture needs it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._case import Case
    from ._golden import Golden, GoldenStore
    from ._plugin_corpus import CorpusView

_GOLDEN_STORE = pytest.StashKey["GoldenStore"]()
_PARTIAL = pytest.StashKey[list[str]]()
_WORKER_USED = pytest.StashKey[list[str]]()
_UNUSED = pytest.StashKey[list[Path]]()
_CASE_ITEMS = pytest.StashKey[bool]()

_OPTIONS: tuple[tuple[str, str, str | None], ...] = (
    (
        "impl",
        "implementation to verify: a protocol v1 adapter command, or python:module:callable "
        "(in-process, called as callable(op, input, now)); adds one item per corpus case",
        None,
    ),
    ("corpus", "corpus folder (default: the bundled corpus)", None),
    ("level", "required | recommended | all (default: all)", "all"),
    ("select", "only case ids matching this glob or substring", None),
    ("baseline", "baseline file of known failures (the same rules as verify --baseline)", None),
    ("timeout", "per-request timeout for an adapter command, in seconds (default 10)", "10"),
    (
        "golden",
        "golden files: update | new | none (default: new, or none when CI is set)",
        None,
    ),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("noetl-events", "NoETL event envelope conformance")
    for name, help_text, _ in _OPTIONS:
        group.addoption(f"--noetl-events-{name}", dest=f"noetl_events_{name}", help=help_text)
        parser.addini(f"noetl_events_{name}", help_text)


def option(config: pytest.Config, name: str) -> str | None:
    """A plugin option: the command line wins over the ini file, then the default."""
    value = config.getoption(f"noetl_events_{name}")
    if value is None:
        value = config.getini(f"noetl_events_{name}") or None
    if value is None:
        value = {n: d for n, _, d in _OPTIONS}[name]
    if name == "golden" and value is None:
        value = "none" if os.environ.get("CI") else "new"
    return str(value) if value is not None else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "noetl_events_case: a test item generated from a conformance corpus case"
    )
    golden = option(config, "golden")
    if golden not in ("update", "new", "none"):
        raise pytest.UsageError(
            f"--noetl-events-golden must be update, new or none, not {golden!r}"
        )
    config.stash[_PARTIAL] = []
    if option(config, "impl") is not None:
        from ._plugin_corpus import prepare

        prepare(config)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if option(config, "impl") is None:
        return
    from ._plugin_corpus import add_case_items

    add_case_items(session, config, items)
    config.stash[_CASE_ITEMS] = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if item.config.stash.get(_CASE_ITEMS, False):
        from ._plugin_corpus import run_case_protocol

        return run_case_protocol(item)
    return None


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
    if any("::" in str(a) for a in config.args):
        reasons.append("node ids given")
    if session.shouldstop or session.shouldfail:
        reasons.append("the session stopped early")
    return reasons


def _golden_store(config: pytest.Config) -> GoldenStore:
    store = config.stash.get(_GOLDEN_STORE, None)
    if store is None:
        from ._golden import GoldenStore

        store = GoldenStore(mode=str(option(config, "golden")))
        config.stash[_GOLDEN_STORE] = store
    return store


@pytest.fixture
def noetl_golden(request: pytest.FixtureRequest) -> Golden:
    """Compare events, requests or JSON texts with golden files beside the test."""
    from ._golden import FOLDER, Golden

    path = Path(str(request.node.path))
    folder = path.parent / FOLDER / path.stem
    return Golden(_golden_store(request.config), folder, request.node.name)


@pytest.fixture(scope="session")
def noetl_events_corpus(pytestconfig: pytest.Config) -> CorpusView:
    """The conformance corpus (``--noetl-events-corpus`` or the bundled one), filterable by
    op, level, tag and id pattern: ``noetl_events_corpus.filter(op="decode_event")``."""
    from ._plugin_corpus import CorpusView

    corpus = option(pytestconfig, "corpus")
    return CorpusView.load(Path(corpus) if corpus else None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    store = config.stash.get(_GOLDEN_STORE, None)
    if store is None:
        return
    store.flush()
    if hasattr(config, "workerinput"):  # pytest-xdist worker: report to the controller
        config.workeroutput["noetl_golden"] = {  # type: ignore[attr-defined]
            "used": sorted(map(str, store.used)),
            "created": sorted(map(str, store.created)),
            "updated": sorted(map(str, store.updated)),
            "partial": _partial_reasons(session),
        }
        return
    used = store.used | {Path(p) for p in config.stash.get(_WORKER_USED, [])}
    if _partial_reasons(session) or not used:
        return  # unused goldens are only known after a full, unfiltered run
    folders = {p.parent.parent for p in used}  # the goldens/ folders of the tests that ran
    store.used |= used
    unused = store.unused(folders)
    if store.mode == "update":
        store.remove(unused)
    else:
        config.stash[_UNUSED] = unused


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: gather each worker's used goldens and partial-run reasons."""
    output = getattr(node, "workeroutput", {}).get("noetl_golden")
    if not output:
        return
    config = node.config
    config.stash.setdefault(_WORKER_USED, []).extend(output["used"])
    config.stash[_PARTIAL].extend(output["partial"])
    store = _golden_store(config)
    store.created.extend(map(Path, output["created"]))
    store.updated.extend(map(Path, output["updated"]))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
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
    corpus: Path | None = None,
) -> list[Any]:
    """``pytest.param`` per selected corpus case, with the case id as the test id: use with
    ``@pytest.mark.parametrize("case", corpus_params(op="decode_event"))``."""
    from ._plugin_corpus import CorpusView

    cases: list[Case] = CorpusView.load(corpus).filter(op=op, level=level, tags=tags, select=select)
    return [pytest.param(c, id=c.id) for c in cases]
