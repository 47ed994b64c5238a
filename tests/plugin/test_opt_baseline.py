"""--noetl-events-baseline: the same rules as verify --baseline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.corpus._case import Case

from .conftest import REFERENCE, wrong_adapter_fails


def failing_ids(cases: list[Case]) -> list[str]:
    return sorted(wrong_adapter_fails(cases))


def test_listed_failures_are_expected(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    wrong_adapter: str,
    run: Callable[..., pytest.RunResult],
) -> None:
    root, cases = corpus
    known = failing_ids(cases)
    baseline = pytester.path / "baseline.txt"
    baseline.write_text("".join(f"{i}  # drops aliases\n" for i in known))
    result = run(
        "--noetl-events-impl",
        wrong_adapter,
        "--noetl-events-corpus",
        root,
        "--noetl-events-baseline",
        baseline,
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("xfailed") == len(known) and "failed" not in outcomes


def test_an_unlisted_failure_fails(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    wrong_adapter: str,
    run: Callable[..., pytest.RunResult],
) -> None:
    root, cases = corpus
    known = failing_ids(cases)
    baseline = pytester.path / "baseline.txt"
    baseline.write_text(f"{known[0]}  # one of two\n")
    result = run(
        "--noetl-events-impl",
        wrong_adapter,
        "--noetl-events-corpus",
        root,
        "--noetl-events-baseline",
        baseline,
    )
    assert result.parseoutcomes().get("failed") == len(known) - 1


def test_a_stale_entry_fails(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    baseline = pytester.path / "baseline.txt"
    baseline.write_text(f"{cases[0].id}  # was broken once\n")
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-baseline",
        baseline,
    )
    assert result.parseoutcomes().get("failed") == 1
    out = result.stdout.str()
    assert "stale baseline entry" in out
    # the case passes: there is no difference to explain
    assert "same JSON value, different text" not in out and "expected -> got" not in out


def test_an_unknown_id_fails(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    baseline = pytester.path / "baseline.txt"
    baseline.write_text("no-such-case-00000000  # gone\n")
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-baseline",
        baseline,
    )
    assert result.parseoutcomes().get("failed") == 1
    assert "ids not in the corpus: no-such-case-00000000" in result.stdout.str()


def test_a_listed_case_that_errors_fails(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    import sys

    root, cases = corpus
    crash = pytester.path / "crash.py"
    crash.write_text("import sys; sys.exit(1)\n")
    baseline = pytester.path / "baseline.txt"
    baseline.write_text(f"{cases[0].id}  # known\n")
    result = run(
        "--noetl-events-impl",
        f"{sys.executable} {crash}",
        "--noetl-events-corpus",
        root,
        "--noetl-events-baseline",
        baseline,
    )
    assert result.parseoutcomes().get("errors") == len(cases)


def test_update_baseline_writes_the_runs_failures(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    wrong_adapter: str,
    run: Callable[..., pytest.RunResult],
) -> None:
    from conformance.runner._baseline import parse

    root, cases = corpus
    baseline = pytester.path / "baseline.txt"
    baseline.write_text(f"{cases[0].id}  # 3 errors\n  field required\n")  # damaged
    options = ("--noetl-events-impl", wrong_adapter, "--noetl-events-corpus", root)
    options += ("--noetl-events-baseline", baseline)
    damaged = baseline.read_text()
    result = run(*options, "-k", "payload", "--noetl-events-update-baseline")
    assert "not updated: " in result.stdout.str() and "-k" in result.stdout.str()
    # asked to update, and did not: a usage error, not a pass (as verify refuses a selection)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert baseline.read_text() == damaged
    result = run(*options, "--noetl-events-update-baseline")
    assert "wrote" in result.stdout.str()
    entries = parse(baseline.read_text(), str(baseline)).entries
    assert set(entries) == set(failing_ids(cases))
    assert all("\n" not in r and r for r in entries.values())
    outcomes = run(*options).parseoutcomes()
    assert outcomes.get("xfailed") == len(entries) and "failed" not in outcomes


def test_update_baseline_needs_a_baseline_file(
    corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-update-baseline",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "needs --noetl-events-baseline" in result.stderr.str()


@pytest.mark.parametrize(
    "flags",
    [
        ("--noetl-events-baseline", "known.txt"),
        ("--noetl-events-update-baseline",),
        ("--noetl-events-level", "bogus"),
        ("--noetl-events-select", "dup-*"),
    ],
    ids=["baseline", "update-baseline", "level", "select"],
)
def test_baseline_options_without_an_implementation_are_a_usage_error(
    pytester: pytest.Pytester, flags: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_app="def test_app():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *flags)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"{flags[0]} needs --noetl-events-impl" in result.stderr.str()
    assert not (pytester.path / "known.txt").exists()


RAISES_ON_ONE = """
from noetl_events_ref._ops import run_op

def answer(op, text, now):
    if op == "canonical_value":
        raise OverflowError("too small to bear")
    return run_op(op, text, now)
"""


def test_update_baseline_writes_when_a_callable_only_raised_on_some_cases(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    run: Callable[..., pytest.RunResult],
) -> None:
    """As verify --update-baseline: a case the callable raised on is errored, the others are
    graded, and the file is written (a listed case that errored stays listed)."""
    from conformance.runner._baseline import parse

    root, cases = corpus
    pytester.makepyfile(raises_on_one=RAISES_ON_ONE)
    raised = next(c for c in cases if c.op == "canonical_value")
    baseline = pytester.path / "baseline.txt"
    baseline.write_text(f"{raised.id}  # known\n")
    options = ("--noetl-events-impl", "python:raises_on_one:answer", "--noetl-events-corpus", root)
    result = run(*options, "--noetl-events-baseline", baseline, "--noetl-events-update-baseline")
    assert "wrote " in result.stdout.str(), result.stdout.str()
    assert parse(baseline.read_text(), str(baseline)).entries == {raised.id: "known"}
    # a case whose callable raised fails in its call phase (its verdict stays errored)
    assert result.parseoutcomes().get("failed") == sum(c.op == "canonical_value" for c in cases)


@pytest.mark.parametrize(
    ("flags", "ini", "named"),
    [
        (("--noetl-events-level", "required"), "", "--noetl-events-level required"),
        (("--noetl-events-select", "payload"), "", "--noetl-events-select payload"),
        ((), "noetl_events_level = recommended\n", "noetl_events_level in tox.ini recommended"),
    ],
    ids=["level", "select", "ini-level"],
)
def test_update_baseline_of_part_of_the_corpus_is_a_usage_error(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    run: Callable[..., pytest.RunResult],
    flags: tuple[str, ...],
    ini: str,
    named: str,
) -> None:
    """As ``verify --update-baseline``: a partial run would drop every entry it left out."""
    root, _ = corpus
    pytester.makeini(f"[pytest]\n{ini}")
    baseline = pytester.path / "k2.txt"
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-baseline",
        baseline,
        "--noetl-events-update-baseline",
        *flags,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: --noetl-events-update-baseline needs the whole corpus: drop {named} (*"]
    )
    assert not baseline.exists()


def _full_update(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], wrong_adapter: str
) -> tuple[tuple[object, ...], Path, str]:
    root, cases = corpus
    baseline = pytester.path / "baseline.txt"
    options = ("--noetl-events-impl", wrong_adapter, "--noetl-events-corpus", root)
    options += ("--noetl-events-baseline", baseline, "--noetl-events-update-baseline")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *map(str, options))
    assert "wrote" in result.stdout.str()
    from conformance.runner._baseline import parse

    assert sorted(parse(baseline.read_text(), str(baseline)).entries) == failing_ids(cases)
    return options, baseline, baseline.read_text()


def test_update_baseline_from_named_corpus_items_leaves_the_file(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    wrong_adapter: str,
    run: Callable[..., pytest.RunResult],
) -> None:
    """Under pytest-xdist the workers deselect the items a node id leaves out: the controller
    must still know the run was narrowed (it wrote a baseline of one op's failures)."""
    options, baseline, full = _full_update(pytester, corpus, wrong_adapter)
    result = run(*options, "noetl-events-corpus::decode_event")
    assert "not updated" in result.stdout.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert baseline.read_text() == full


def test_update_baseline_in_an_interrupted_session_leaves_the_file(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], wrong_adapter: str
) -> None:
    """Ctrl-C after the first case: the cases not reached would lose their entries."""
    options, baseline, full = _full_update(pytester, corpus, wrong_adapter)
    pytester.makeconftest(
        "def pytest_runtest_logreport(report):\n"
        "    if report.nodeid.startswith('noetl-events-corpus') and report.when == 'call':\n"
        "        raise KeyboardInterrupt\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *map(str, options))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "not updated" in result.stdout.str()
    assert baseline.read_text() == full


def test_a_listed_case_a_skip_marker_stops_stays_listed(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], wrong_adapter: str
) -> None:
    """Nothing was learnt about it, as about a case the implementation skipped."""
    options, baseline, full = _full_update(pytester, corpus, wrong_adapter)
    skipped = failing_ids(corpus[1])[0]
    pytester.makeconftest(
        "import pytest\n"
        "def pytest_collection_modifyitems(items):\n"
        "    for item in items:\n"
        f"        if item.name == {skipped!r}:\n"
        "            item.add_marker(pytest.mark.skip(reason='ticket 12'))\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *map(str, options))
    assert "wrote" in result.stdout.str()
    assert baseline.read_text() == full


def test_ini_paths_are_relative_to_the_ini_file(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], wrong_adapter: str
) -> None:
    """As pytest's own ini paths: running from a subfolder reads and writes the same files."""
    root, _ = corpus
    pytester.makeini(
        f"[pytest]\nnoetl_events_impl = {wrong_adapter}\n"
        f"noetl_events_corpus = {root.name}\nnoetl_events_baseline = known.txt\n"
    )
    sub = pytester.mkdir("sub")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--noetl-events-update-baseline"
        )
    assert "wrote" in result.stdout.str(), result.stdout.str() + result.stderr.str()
    assert (pytester.path / "known.txt").is_file() and not (sub / "known.txt").exists()


def test_update_baseline_counts_a_line_naming_no_case_as_removed(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], wrong_adapter: str
) -> None:
    options, baseline, full = _full_update(pytester, corpus, wrong_adapter)
    baseline.write_text(full + "bogus-id-123  # gone from the corpus\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *map(str, options))
    assert f"wrote {baseline}: 2 entries (+0, -1)" in result.stdout.str()
    assert baseline.read_text() == full
