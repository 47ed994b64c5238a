"""How case items run: pytest's hooks see every phase of every case, a case item given a marker
takes pytest's full protocol, and the adapter (streamed in the background) never outlives the
run, whichever way it ends."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.corpus._case import Case

from .conftest import REFERENCE, WRONG_ADAPTER, wrong_adapter_fails

RECORDER = """
import json, os

EVENTS = []

def pytest_runtest_logstart(nodeid):
    EVENTS.append(["start", nodeid.rsplit("::", 1)[-1]])

def pytest_runtest_logreport(report):
    EVENTS.append([report.when, report.nodeid.rsplit("::", 1)[-1], report.outcome])

def pytest_exception_interact(node, call, report):
    EVENTS.append(["interact", node.nodeid.rsplit("::", 1)[-1], call.when])

def pytest_runtest_logfinish(nodeid):
    EVENTS.append(["finish", nodeid.rsplit("::", 1)[-1]])

def pytest_sessionfinish(session):
    with open("events-%d.json" % os.getpid(), "w") as f:
        json.dump(EVENTS, f)
"""


def _events(folder: Path) -> list[list[str]]:
    """The recorder's events from the process that ran the items (the only one in a plain run)."""
    found = [json.loads(p.read_text()) for p in sorted(folder.glob("events-*.json"))]
    ran = [e for e in found if any(ev[0] == "call" for ev in e)]
    assert len(ran) == 1, found
    return ran[0]


def _pid_adapter(pytester: pytest.Pytester, body: str = WRONG_ADAPTER) -> tuple[str, Path]:
    """An adapter command that records its process id before it answers anything."""
    pid_file = pytester.path / "adapter.pid"
    path = pytester.path / "pid_adapter.py"
    path.write_text(
        f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n{body}",
        encoding="utf-8",
    )
    return f"{sys.executable} {path}", pid_file


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_every_phase_of_every_case_goes_through_pytests_hooks(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], wrong_adapter: str
) -> None:
    root, cases = corpus
    pytester.makeconftest(RECORDER)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--noetl-events-impl", wrong_adapter,
        "--noetl-events-corpus", root, timeout=120,
    )  # fmt: skip
    failing = wrong_adapter_fails(cases)
    result.assert_outcomes(failed=len(failing), passed=len(cases) - len(failing))
    events = _events(pytester.path)
    for case in cases:
        seen = [e for e in events if e[1] == case.id]
        outcome = "failed" if case.id in failing else "passed"
        expected = [
            ["start", case.id],
            ["setup", case.id, "passed"],
            ["call", case.id, outcome],
            *([["interact", case.id, "call"]] if case.id in failing else []),
            ["teardown", case.id, "passed"],
            ["finish", case.id],
        ]
        assert seen == expected, case.id


def test_x_stops_at_the_first_failing_case_and_the_adapter_is_gone(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    run: Callable[..., pytest.RunResult],
    request: pytest.FixtureRequest,
) -> None:
    root, cases = corpus
    adapter, pid_file = _pid_adapter(pytester)
    result = run("--noetl-events-impl", adapter, "--noetl-events-corpus", root, "-x")
    outcomes = result.parseoutcomes()
    assert "stopping after 1 failures" in result.stdout.str()
    if request.node.callspec.params["run"] == "plain":  # xdist workers may finish a few more
        assert outcomes["failed"] == 1
        assert outcomes.get("passed", 0) < len(cases) - 2
    assert _gone(int(pid_file.read_text()))


def test_last_failed_reruns_only_the_failing_cases(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], wrong_adapter: str
) -> None:
    root, cases = corpus
    failing = wrong_adapter_fails(cases)
    args = ("--noetl-events-impl", wrong_adapter, "--noetl-events-corpus", root)
    pytester.runpytest_subprocess(*args, timeout=120).assert_outcomes(
        failed=len(failing), passed=len(cases) - len(failing)
    )
    again = pytester.runpytest_subprocess(*args, "--lf", "-v", timeout=120)
    again.assert_outcomes(failed=len(failing))
    assert {c.id for c in cases if any(f"::{c.id} FAILED" in ln for ln in again.outlines)} == (
        failing
    )


def test_a_case_item_given_a_marker_takes_pytests_full_protocol(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    wrong_adapter: str,
    run: Callable[..., pytest.RunResult],
) -> None:
    root, cases = corpus
    skipped = next(c for c in cases if c.op == "decode_request")
    known = next(c for c in cases if "payload" in c.input)
    pytester.makeconftest(
        f"""
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if item.name.endswith({skipped.id!r}):
            item.add_marker(pytest.mark.skip(reason="not in this release"))
        if item.name.endswith({known.id!r}):
            item.add_marker(pytest.mark.xfail(reason="known", strict=True))
"""
    )
    result = run("--noetl-events-impl", wrong_adapter, "--noetl-events-corpus", root, "-rsx")
    failing = wrong_adapter_fails(cases) - {known.id}
    result.assert_outcomes(
        skipped=1, xfailed=1, failed=len(failing), passed=len(cases) - len(failing) - 2
    )
    result.stdout.fnmatch_lines(["*not in this release*", "*known*"])


def test_a_session_fixture_failing_its_teardown_after_the_corpus_is_an_error_of_the_run(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    run: Callable[..., pytest.RunResult],
) -> None:
    """The corpus runs after the user's tests: their fixtures are torn down with its last
    item, as pytest does, so a failing teardown is an ERROR, not a traceback at exit."""
    root, cases = corpus
    pytester.makepyfile(
        test_s="""
import pytest

@pytest.fixture(scope="session")
def db():
    yield 1
    raise RuntimeError("session teardown failed")

def test_uses_db(db):
    assert db == 1
"""
    )
    result = run("--noetl-events-impl", REFERENCE, "--noetl-events-corpus", root, "test_s.py")
    result.assert_outcomes(passed=1 + len(cases), errors=1)
    assert "Traceback" not in result.stderr.str()
    result.stdout.fnmatch_lines(["*RuntimeError: session teardown failed*"])


def test_setup_plan_runs_no_case(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], wrong_adapter: str
) -> None:
    root, _ = corpus
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--noetl-events-impl", wrong_adapter,
        "--noetl-events-corpus", root, "--setup-plan", timeout=120,
    )  # fmt: skip
    assert result.ret == 0
    assert "no tests ran" in result.stdout.str()  # the wrong adapter's failures never show


def test_an_adapter_that_dies_part_way_errors_the_rest_with_its_stderr(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    run: Callable[..., pytest.RunResult],
) -> None:
    root, cases = corpus
    dying = (
        WRONG_ADAPTER.replace(
            "    else:\n        out = run_op",
            "    elif req['seq'] > 2:\n        sys.stderr.write('gave up after two'); sys.exit(5)\n"
            "    else:\n        out = run_op",
        )
        .replace('and "payload" in req["input"]', "and False")
        .replace('"0.00001", "1e-05"', '"", ""')
    )
    adapter, pid_file = _pid_adapter(pytester, dying)
    result = run("--noetl-events-impl", adapter, "--noetl-events-corpus", root)
    result.assert_outcomes(passed=2, errors=len(cases) - 2)  # ERROR: the adapter broke
    text = result.stdout.str()
    assert "the implementation errored" in text
    assert "gave up after two" in text
    assert _gone(int(pid_file.read_text()))


def test_the_adapter_is_not_started_where_no_case_runs(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]]
) -> None:
    from conformance.plugin._items import _runs_items_here

    root, _ = corpus
    base = ("--noetl-events-impl", REFERENCE, "--noetl-events-corpus", str(root))
    assert _runs_items_here(pytester.parseconfigure(*base))
    assert not _runs_items_here(pytester.parseconfigure(*base, "--collect-only"))
    controller = pytester.parseconfigure(*base, "-n", "2")
    assert not _runs_items_here(controller)
    controller.workerinput = {"workerid": "gw0"}  # type: ignore[attr-defined]
    assert _runs_items_here(controller)  # a worker runs its share


def test_case_item_locations_are_the_ones_pytest_would_give(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]]
) -> None:
    root, cases = corpus
    (pytester.path / "sub").mkdir()
    pytester.makepyfile(
        locations_plugin="""
import json, pytest

def pytest_collection_finish(session):
    pairs = [[list(item.location), list(pytest.Item.location.func(item))] for item in session.items]
    with open("locations.json", "w") as f:
        json.dump(pairs, f)
"""
    )
    seen = set()
    for where in (pytester.path, root.parent / "sub"):  # the corpus inside, then beside, rootdir
        out = pytester.path / "locations.json"
        out.unlink(missing_ok=True)
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-p", "locations_plugin", f"--rootdir={where}",
            "--noetl-events-impl", REFERENCE, "--noetl-events-corpus", root, "--co", timeout=120,
        )  # fmt: skip
        assert result.ret == 0
        pairs = json.loads(out.read_text())
        assert len(pairs) == len(cases)
        for ours, pytests in pairs:
            assert ours == pytests
            assert ours[0].endswith(".json") and ours[2].split()[0] in {c.op for c in cases}
            seen.add(ours[0].split("/")[0])
    assert seen == {"corpus", ".."}
