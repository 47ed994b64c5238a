"""--noetl-events-golden and the noetl_golden fixture: the golden lifecycle, step by step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

TEST = """
from noetl_events_ref import decode_event

EVENT = ('{{"execution_id":1,"event_type":"e","step":"s","status":"x",'
         '"created_at":"2026-05-31T00:00:00Z","payload":{{"b":1,"a":{value}}}}}')

def test_event(noetl_golden):
    noetl_golden.check(decode_event(EVENT))

def test_text(noetl_golden):
    noetl_golden.check('{{"z": [1e-5], "a": 1}}', name="value")
"""


def write_test(pytester: pytest.Pytester, value: str = "2") -> Path:
    return pytester.makepyfile(test_golden=TEST.format(value=value))


def goldens(pytester: pytest.Pytester) -> Path:
    return pytester.path / "goldens" / "test_golden"


def test_lifecycle(
    pytester: pytest.Pytester, run: Callable[..., pytest.RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    write_test(pytester)
    folder = goldens(pytester)

    # 1. missing: written, the test fails with its path
    result = run()
    result.assert_outcomes(failed=2)
    assert "golden file created" in result.stdout.str()
    event_golden = folder / "test_event.json"
    assert event_golden.read_text() == (
        '{"execution_id":1,"event_type":"e","step":"s","status":"x",'
        '"created_at":"2026-05-31T00:00:00Z","context":{"a":2,"b":1}}\n'
    )
    assert (folder / "value.json").read_text() == '{"a":1,"z":[0.00001]}\n'

    # 2. pass
    run().assert_outcomes(passed=2)

    # 3. changed: fails with the diff, leaves .obtained beside the golden
    write_test(pytester, value="3")
    result = run()
    result.assert_outcomes(failed=1, passed=1)
    out = result.stdout.str()
    assert "$.context.a: 2 != 3" in out and "first difference at character" in out
    obtained = folder / "test_event.obtained"
    assert obtained.read_text().endswith('"context":{"a":3,"b":1}}\n')
    assert event_golden.read_text().endswith('"context":{"a":2,"b":1}}\n')

    # 4. update: rewritten, passes, the summary says what changed
    result = run("--noetl-events-golden", "update")
    result.assert_outcomes(passed=2)
    assert "golden files updated" in result.stdout.str()
    assert event_golden.read_text().endswith('"context":{"a":3,"b":1}}\n')
    assert not obtained.exists()  # settled: the kit removes the .obtained file it left

    # 4b. a mismatch fixed in the code rather than the golden: its .obtained goes too
    write_test(pytester, value="4")
    run().assert_outcomes(failed=1, passed=1)
    assert obtained.exists()
    write_test(pytester, value="3")
    run().assert_outcomes(passed=2)
    assert not obtained.exists()
    run().assert_outcomes(passed=2)

    # 5. unused: listed after a full run, never after a partial one, removed only by update
    stray = folder / "old.json"
    stray.write_text("1\n")
    result = run()
    assert "unused golden files" in result.stdout.str() and str(stray) in result.stdout.str()
    assert "unused golden files" not in run("-k", "test_event").stdout.str()
    assert stray.exists()
    result = run("--noetl-events-golden", "update")
    assert "unused golden files removed" in result.stdout.str()
    assert not stray.exists()


def test_ci_never_creates_goldens(
    pytester: pytest.Pytester, run: Callable[..., pytest.RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    write_test(pytester)
    result = run()
    result.assert_outcomes(failed=2)
    assert "not written: --noetl-events-golden=none" in result.stdout.str()
    assert not goldens(pytester).exists()


@pytest.mark.parametrize("value", ["false", "False", "0", "no", "NO", ""])
def test_ci_set_to_false_is_not_ci(
    pytester: pytest.Pytester,
    run: Callable[..., pytest.RunResult],
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    monkeypatch.setenv("CI", value)
    write_test(pytester)
    result = run()
    result.assert_outcomes(failed=2)
    assert "golden file created" in result.stdout.str()
    assert (goldens(pytester) / "value.json").exists()


def test_an_unknown_mode_is_a_usage_error(
    pytester: pytest.Pytester, run: Callable[..., pytest.RunResult]
) -> None:
    write_test(pytester)
    result = run("--noetl-events-golden", "sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ['ERROR: --noetl-events-golden must be update, new or none, not "sometimes"']
    )
    pytester.makeini("[pytest]\nnoetl_events_golden = sometimes\n")
    result = run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ['ERROR: noetl_events_golden in tox.ini must be update, new or none, not "sometimes"']
    )


NEWLINES = """
def test_golden(noetl_golden):
    noetl_golden.check({"a": 2, "b": 1}, name="raw")
"""


@pytest.mark.parametrize(
    ("written", "outcome", "said"),
    [
        ('{"a":2,"b":1}', "failed", "it has no final newline; the texts are otherwise identical"),
        ('{"a":2,"b":1}\n\n', "failed", "it ends with 2 newlines where a golden ends with one"),
        ('{"a":2,"b":1}\r\n', "passed", ""),
        ('{"a":2,"b":1}\n', "passed", ""),
    ],
    ids=["none", "two", "crlf", "one"],
)
def test_a_golden_whose_final_newline_differs_says_so(
    pytester: pytest.Pytester,
    run: Callable[..., pytest.RunResult],
    monkeypatch: pytest.MonkeyPatch,
    written: str,
    outcome: str,
    said: str,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_golden=NEWLINES)
    golden = goldens(pytester) / "raw.json"
    golden.parent.mkdir(parents=True)
    golden.write_bytes(written.encode())
    result = run()
    result.assert_outcomes(**{outcome: 1})
    out = result.stdout.str()
    assert said in out
    assert "same JSON value" not in out and "texts are identical" not in out
    if outcome == "failed":  # accepted as usual
        run("--noetl-events-golden", "update").assert_outcomes(passed=1)
        assert golden.read_bytes() == b'{"a":2,"b":1}\n'
        run().assert_outcomes(passed=1)


EXACT_CRLF = """
def test_pretty(noetl_golden):
    noetl_golden.check('{\\r\\n  "a": 1\\r\\n}', exact=True, name="pretty")
"""


def test_an_exact_text_with_crlf_line_ends_matches_its_own_golden(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_golden=EXACT_CRLF)
    pytester.runpytest_subprocess().assert_outcomes(failed=1)  # created
    assert (goldens(pytester) / "pretty.json").read_bytes() == b'{\r\n  "a": 1\r\n}\n'
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


MISTAKES = """
def test_twice(noetl_golden):
    noetl_golden.check(1, name="same")
    noetl_golden.check(2, name="same")

def test_same_file(noetl_golden):
    noetl_golden.check(1, name="a/b")
    noetl_golden.check(2, name="a-b")

def test_escapes(noetl_golden):
    noetl_golden.check(1, name="../x")

def test_nan(noetl_golden):
    noetl_golden.check({"x": float("nan")}, name="nan")

def test_huge(noetl_golden):
    noetl_golden.check([2**70], name="huge")

def test_unsupported(noetl_golden):
    noetl_golden.check(object(), name="nothing")
"""


def test_a_mistake_in_check_is_one_line_without_the_kits_traceback(
    pytester: pytest.Pytester, run: Callable[..., pytest.RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_mistakes=MISTAKES)
    result = run("--noetl-events-golden", "update")
    result.assert_outcomes(failed=6)
    out = result.stdout.str()
    folder = goldens(pytester).parent / "test_mistakes"
    for line in (
        f"noetl_golden.check: the golden file {folder / 'same.json'} is checked twice in this "
        "session: give each check a name= of its own",
        f"noetl_golden.check: the golden file {folder / 'a-b.json'} is checked twice in this "
        'session (first as "a/b"): give each check a name= of its own',
        'noetl_golden.check: the name "../x" leads out of the golden folder '
        f"{folder}: give a plain name",
        "noetl_golden.check: value.x: nan is not a JSON number, which no golden can hold",
        "noetl_golden.check: value[0]: integer 1180591620717411303424 is outside "
        "[i64::MIN, u64::MAX], which no golden can hold",
        "noetl_golden.check: value: object is not a JSON value; it accepts an ExecutorEvent or",
    ):
        assert line in out, line
    assert "_golden.py" not in out and "Traceback" not in out and "ValueError" not in out
    assert "During handling" not in out and out.count("nan is not a JSON number") == 1
    assert not (pytester.path / "goldens" / "x.json").exists()
    assert not (folder / "x.json").exists()


BROKEN = """
def test_folder(noetl_golden):
    noetl_golden.check(1, name="isdir")

def test_not_utf8(noetl_golden):
    noetl_golden.check(1, name="latin")

def test_number_name(noetl_golden):
    noetl_golden.check(1, name=5)
"""


def test_a_golden_that_cannot_be_read_is_one_line(
    pytester: pytest.Pytester, run: Callable[..., pytest.RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder or a file that is not UTF-8 where a golden should be, and a name that is no
    text, were tracebacks through the kit."""
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_broken=BROKEN)
    folder = goldens(pytester).parent / "test_broken"
    (folder / "isdir.json").mkdir(parents=True)
    (folder / "latin.json").write_bytes(b'{"c":"\xff"}\n')
    result = run()
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    for line in (
        f"noetl_golden.check: cannot read the golden file {folder / 'isdir.json'}: Is a directory",
        f"noetl_golden.check: the golden file {folder / 'latin.json'} is not UTF-8 text",
        "noetl_golden.check: name= is the golden's name, a text, not int 5",
    ):
        assert line in out, line
    assert "Traceback" not in out and "_golden.py" not in out
    result = run("--noetl-events-golden", "update")  # the file not UTF-8 is rewritten
    assert (folder / "latin.json").read_text("utf-8") == "1\n"


OTHER = """
def test_other(noetl_golden):
    noetl_golden.check('{"b": 1}', name="other")
"""

FAILS_FIRST = """
def test_fails_before_its_check(noetl_golden):
    assert False, "broken before the check"
    noetl_golden.check('{"c": 1}', name="kept")
"""


def test_update_never_removes_goldens_of_tests_that_did_not_run(
    pytester: pytest.Pytester, run: Callable[..., pytest.RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    write_test(pytester)
    pytester.makepyfile(test_other=OTHER, test_fails=FAILS_FIRST)
    run("--noetl-events-golden", "update").assert_outcomes(passed=3, failed=1)
    other = pytester.path / "goldens" / "test_other" / "other.json"
    kept = pytester.path / "goldens" / "test_fails" / "kept.json"
    kept.parent.mkdir(parents=True)
    kept.write_text('{"c":1}\n')
    assert other.exists()

    # a path argument is a partial run: test_other's goldens are neither listed nor removed
    result = run("test_golden.py", "--noetl-events-golden", "update")
    result.assert_outcomes(passed=2)
    assert other.exists() and "unused golden files" not in result.stdout.str()

    # a test that failed before its check says nothing about its golden
    result = run("--noetl-events-golden", "update")
    result.assert_outcomes(passed=3, failed=1)
    assert kept.exists() and other.exists()
    assert "kept.json" not in result.stdout.str()

    # a stray golden of a module that ran cleanly is still found and removed
    stray = pytester.path / "goldens" / "test_other" / "stray.json"
    stray.write_text("1\n")
    result = run("test_other.py", "--noetl-events-golden", "update")
    assert "unused golden files removed" in result.stdout.str()
    assert not stray.exists() and other.exists()


STOPPED = """
import os

def test_0(noetl_golden):
    noetl_golden.check({"a": 0})

def test_1():
    if os.environ.get("STOP"):
        raise KeyboardInterrupt

def test_2(noetl_golden):
    noetl_golden.check({"a": 2})
"""


def test_update_never_removes_goldens_after_an_interrupt(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or pytest.exit) before a test's check: its golden was not found unused."""
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_stopped=STOPPED)
    assert pytester.runpytest_subprocess("--noetl-events-golden", "update").ret == 0
    second = pytester.path / "goldens" / "test_stopped" / "test_2.json"
    assert second.exists()
    monkeypatch.setenv("STOP", "1")
    result = pytester.runpytest_subprocess("--noetl-events-golden", "update")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert second.exists() and "unused golden files" not in result.stdout.str()


FORMS = """
import dataclasses, pydantic
from noetl_events_ref import decode_event

TEXT = ('{"execution_id":1,"event_type":"e","step":"s","status":"x",'
        '"created_at":"2026-05-31T00:00:00Z","payload":{"b":1,"a":2}}')

class Model(pydantic.BaseModel):
    execution_id: int
    event_type: str
    step: str
    status: str
    created_at: str
    context: dict = pydantic.Field(alias="payload")

@dataclasses.dataclass
class Data:
    step: str
    execution_id: int

def test_event_object(noetl_golden):
    noetl_golden.check(decode_event(TEXT), name="object")

def test_event_text(noetl_golden):
    noetl_golden.check(TEXT, name="text")

def test_model(noetl_golden):
    noetl_golden.check(Model.model_validate_json(TEXT), name="model")

def test_dataclass(noetl_golden):
    noetl_golden.check(Data(step="s", execution_id=1), name="data")

def test_exact(noetl_golden):
    noetl_golden.check(TEXT.encode(), name="exact", exact=True)

def test_unsupported(noetl_golden):
    noetl_golden.check(object(), name="nothing")
"""


def test_check_keeps_an_events_order_and_accepts_models_and_dataclasses(
    pytester: pytest.Pytester, run: Callable[..., pytest.RunResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    from noetl_events_ref import decode_event, encode_event

    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_forms=FORMS)
    result = run("--noetl-events-golden", "update")
    result.assert_outcomes(passed=5, failed=1)
    assert "it accepts an ExecutorEvent" in result.stdout.str()
    folder = pytester.path / "goldens" / "test_forms"
    text = (
        '{"execution_id":1,"event_type":"e","step":"s","status":"x",'
        '"created_at":"2026-05-31T00:00:00Z","payload":{"b":1,"a":2}}'
    )
    event = encode_event(decode_event(text)) + "\n"  # the struct's order, context's keys sorted
    assert (folder / "object.json").read_text() == event  # the same golden from object or text
    assert (folder / "text.json").read_text() == event
    assert (folder / "model.json").read_text() == event
    assert (folder / "data.json").read_text() == '{"execution_id":1,"step":"s"}\n'
    assert (folder / "exact.json").read_text() == text + "\n"
    # an encoder's drift in field order is caught in exact mode
    (folder / "exact.json").write_text(
        text.replace('"step":"s","status":"x"', '"status":"x","step":"s"') + "\n"
    )
    result = run("-k", "exact")
    result.assert_outcomes(failed=1)
