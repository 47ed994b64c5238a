"""--noetl-events-impl: one item per case; nothing added without it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.corpus._case import Case

from .conftest import REFERENCE, wrong_adapter_fails


def test_without_impl_the_plugin_adds_nothing(
    pytester: pytest.Pytester, run: Callable[..., pytest.RunResult]
) -> None:
    pytester.makepyfile("def test_ok(): pass")
    run().assert_outcomes(passed=1)


def test_reference_passes_every_case_with_one_item_each(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    result = run("--noetl-events-impl", REFERENCE, "--noetl-events-corpus", root, "-v")
    result.assert_outcomes(passed=len(cases))
    for case in cases:
        assert any(case.id in line and "PASSED" in line for line in result.outlines), case.id


def test_in_process_callable(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    result = run(
        "--noetl-events-impl", "python:noetl_events_ref._ops:run_op", "--noetl-events-corpus", root
    )
    result.assert_outcomes(passed=len(cases))


def test_a_subtly_wrong_adapter_fails_by_case_id_with_a_diff(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    wrong_adapter: str,
    run: Callable[..., pytest.RunResult],
) -> None:
    root, cases = corpus
    result = run("--noetl-events-impl", wrong_adapter, "--noetl-events-corpus", root)
    failing = wrong_adapter_fails(cases)
    result.assert_outcomes(failed=len(failing), passed=len(cases) - len(failing) - 0)
    text = result.stdout.str()
    for case_id in failing:
        assert f"::{case_id} " in text or text.count(case_id) >= 1, case_id
    assert "first difference at character" in text


def test_k_and_junitxml_work_per_case(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    target = next(c for c in cases if c.op == "decode_request")
    xml = pytester.path / "junit.xml"
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "-k",
        target.id,
        f"--junitxml={xml}",
    )
    result.assert_outcomes(passed=1)
    cases_xml = [
        (tc.get("classname"), tc.get("name")) for tc in ET.parse(xml).getroot().iter("testcase")
    ]
    assert cases_xml == [("noetl-events-corpus.decode_request", target.id)]


def test_ini_file_equivalents(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    pytester.makeini(
        f"[pytest]\nnoetl_events_impl = {REFERENCE}\nnoetl_events_corpus = {root}\nnoetl_events_level = required\n"
    )
    required = [c for c in cases if c.level == "required"]
    run().assert_outcomes(passed=len(required))


def test_a_bad_ini_value_names_its_ini_key(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]]
) -> None:
    root, _ = corpus
    for key, value, says in (
        ("noetl_events_impl", "python:os:no_such_name", "module os has no attribute no_such_name"),
        ("noetl_events_select", "zzz-none", "no corpus case matches the selection"),
    ):
        extra = f"noetl_events_impl = {REFERENCE}\n" if key != "noetl_events_impl" else ""
        pytester.makeini(f"[pytest]\n{extra}noetl_events_corpus = {root}\n{key} = {value}\n")
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"ERROR: {key} in tox.ini: *{says}*"])


def test_an_adapter_that_crashes_errors_every_case(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    import sys

    root, cases = corpus
    crash = pytester.path / "crash.py"
    crash.write_text("import sys; sys.stderr.write('boom at start'); sys.exit(3)\n")
    result = run("--noetl-events-impl", f"{sys.executable} {crash}", "--noetl-events-corpus", root)
    result.assert_outcomes(errors=len(cases))
    assert "the implementation errored" in result.stdout.str()
    assert "boom at start" in result.stdout.str()


DECLARES = """
import json, sys
from noetl_events_ref._ops import run_op
for line in sys.stdin:
    req = json.loads(line)
    if req["cmd"] == "start":
        print(json.dumps({"ready": True, "protocol": 1, "implementation": {"name": "x"},
                          "ops": %s}), flush=True)
    elif req["cmd"] == "stop":
        break
"""


@pytest.mark.parametrize(
    ("ops", "expect"),
    [
        ("[]", "none of the 6 corpus cases ran"),
        ('["decode_events"]', "unknown ops 'decode_events'"),
    ],
)
def test_an_adapter_that_runs_no_case_does_not_pass(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    run: Callable[..., pytest.RunResult],
    ops: str,
    expect: str,
) -> None:
    import sys

    root, _ = corpus
    script = pytester.path / "declares.py"
    script.write_text(DECLARES % ops)
    result = run("--noetl-events-impl", f"{sys.executable} {script}", "--noetl-events-corpus", root)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert expect in result.stdout.str()


def test_any_string_an_adapter_answers_survives_the_report(
    corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    """Lone surrogates and line breaks in outputs, error kinds and messages: every case is
    reported (no INTERNALERROR under pytest-xdist), each failure shows the escapes."""
    import sys

    fake = Path(__file__).parents[1] / "runner" / "fake_adapters" / "lone_surrogate.py"
    root, cases = corpus
    result = run(
        "--noetl-events-impl",
        f"{sys.executable} {fake}",
        "--noetl-events-corpus",
        root,
        "--junitxml",
        "out.xml",
    )
    result.assert_outcomes(failed=len(cases))
    out = result.stdout.str()
    assert "INTERNALERROR" not in out
    assert "got:      \\udc80\\nline two \\ud800" in out
    assert "error bad\\udc80: m\\ud800\\n" in out
    assert result.ret == pytest.ExitCode.TESTS_FAILED


CALLABLES = """
from noetl_events_ref import Outcome, run_op

def returns_dict(op, text, now):
    out = run_op(op, text, now)
    return {"ok": out.ok, "output": out.output}

def raises_once(op, text, now):
    if '"contexts"' in text:
        raise ValueError("my bug")
    return run_op(op, text, now)

def later_dict(op, text, now):
    if "payload" in text:
        return None
    return run_op(op, text, now)
"""


def test_a_callable_returning_the_wrong_type_is_one_usage_error(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    pytester.makepyfile(my_impl=CALLABLES)
    result = run(
        "--noetl-events-impl", "python:my_impl:returns_dict", "--noetl-events-corpus", root
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "my_impl:returns_dict returned dict" in err and "docs/callable.md" in err
    assert "Traceback" not in err + result.stdout.str()


def test_a_wrong_answer_met_part_way_errors_the_rest_with_one_line(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    pytester.makepyfile(my_impl=CALLABLES)
    result = run("--noetl-events-impl", "python:my_impl:later_dict", "--noetl-events-corpus", root)
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors", 0) >= 1
    assert outcomes.get("errors", 0) + outcomes.get("passed", 0) == len(cases)
    out = result.stdout.str()
    assert "usage error: python:my_impl:later_dict returned NoneType None" in out
    assert "Traceback" not in out and "INTERNALERROR" not in out


def test_an_exception_in_the_callable_fails_only_its_own_cases_call_with_its_traceback(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    """The case's call raised, as a test body that raises: FAILED (not an ERROR at setup), a
    JUnit failure of the call, and still the kit's verdict errored (a baseline listing the
    case does not excuse it, as verify --baseline does not)."""
    import xml.etree.ElementTree as ET

    root, cases = corpus
    pytester.makepyfile(my_impl=CALLABLES)
    options = ("--noetl-events-impl", "python:my_impl:raises_once", "--noetl-events-corpus", root)
    result = run(*options, "--junitxml", "out.xml")
    result.assert_outcomes(passed=len(cases) - 1, failed=1)
    out = result.stdout.str()
    assert "FAILED noetl-events-corpus::decode_event::missing-context" in out
    assert "ERROR at setup" not in out
    assert 'raise ValueError("my bug")' in out and "ValueError: my bug" in out
    assert "the callable raised ValueError: my bug" in out
    assert "verdict:  errored" in out
    junit = ET.parse(pytester.path / "out.xml").getroot()
    [case] = [c for c in junit.iter("testcase") if "missing-context" in c.get("name", "")]
    [failure] = list(case)
    assert failure.tag == "failure" and "setup" not in failure.get("message", "")
    raiser = next(c for c in cases if c.id.startswith("missing-context"))
    baseline = pytester.path / "known.txt"
    baseline.write_text(f"{raiser.id}  # listed\n")
    options += ("--noetl-events-baseline", baseline)
    result = run(*options)
    result.assert_outcomes(passed=len(cases) - 1, failed=1)
    assert "verdict:  errored" in result.stdout.str()


def test_an_ini_implementation_does_not_run_the_corpus_when_a_test_file_is_named(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    pytester.makeini(f"[pytest]\nnoetl_events_impl = {REFERENCE}\nnoetl_events_corpus = {root}\n")
    pytester.makepyfile(test_app="def test_app(): pass")
    run("test_app.py").assert_outcomes(passed=1)
    run().assert_outcomes(passed=len(cases) + 1)
    # on the command line, the implementation runs the corpus whatever paths are named
    run("test_app.py", "--noetl-events-impl", REFERENCE).assert_outcomes(passed=len(cases) + 1)
    # asked to update the baseline in a session where the corpus does not run: a usage error,
    # not a baseline silently left as it was
    baseline = pytester.path / "known.txt"
    result = run(
        "test_app.py", "--noetl-events-baseline", baseline, "--noetl-events-update-baseline"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "the corpus does not run in this session" in result.stderr.str()
    assert not baseline.exists()
