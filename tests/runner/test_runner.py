"""The runner and ``verify`` end to end: verdicts, the reference both ways (in process and over
the pipe), ``--validate-protocol``, ``--schema``, usage errors, and the real adapters."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shlex
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conformance.corpus._case import Case, default_corpus_dir, iter_case_files, load_corpora
from conformance.report._report import report_schema
from conformance.runner._baseline import parse
from conformance.runner._protocol import Answer, Validator, protocol_bundle
from conformance.runner._runner import (
    NOT_RUN,
    InProcessDriver,
    SubprocessDriver,
    execute,
    judge,
)
from tests._rust_adapter import rust_adapter_path

from ._support import REFERENCE, Verify, fake

ROOT = Path(__file__).resolve().parents[2]
RUST_ADAPTER = rust_adapter_path()


def _case(**changes: object) -> Case:
    base = Case(
        id="c-00000000",
        op="canonical_value",
        input="[1]",
        level="required",
        description="d",
        output="[1]",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


ACCEPTS = _case()
REJECTS = _case(output=None, error_kind="syntax", error_message="EOF at line 1 column 2")


@pytest.mark.parametrize(
    ("case", "got", "strict", "verdict", "reason"),
    [
        (ACCEPTS, Answer(output="[1]"), False, "pass", None),
        (ACCEPTS, Answer(output="[1] "), False, "fail", "different output"),
        (
            ACCEPTS,
            Answer(error_kind="syntax", error_message="m"),
            False,
            "fail",
            "rejected (syntax: m) but should accept",
        ),
        (REJECTS, Answer(output="[1]"), False, "fail", "accepted but should reject (syntax)"),
        (REJECTS, Answer(error_kind="syntax", error_message="other words"), False, "pass", None),
        (
            REJECTS,
            Answer(error_kind="invalid_type", error_message="x"),
            False,
            "fail",
            "different error kind: expected syntax, got invalid_type",
        ),
        (
            REJECTS,
            Answer(error_kind="syntax", error_message="other words"),
            True,
            "fail",
            "different error message (--strict-messages)",
        ),
        (
            REJECTS,
            Answer(error_kind="syntax", error_message="EOF at line 1 column 2"),
            True,
            "pass",
            None,
        ),
        (
            _case(output=None, error_kind="syntax"),
            Answer(error_kind="syntax", error_message="x"),
            True,
            "pass",
            None,
        ),
        (
            ACCEPTS,
            Answer(skipped="later"),
            False,
            "skipped",
            "the implementation skipped it: later",
        ),
    ],
)
def test_verdicts(case: Case, got: Answer, strict: bool, verdict: str, reason: str | None) -> None:
    result = judge(case, got, strict_messages=strict)
    assert (result.verdict, result.reason) == (verdict, reason)


def test_reference_in_process_passes(verify: Verify) -> None:
    status, out, err = verify()
    assert status == 0, out
    assert "PASSED: 8 passed, 0 failed, 0 skipped, 0 errored of 8" in out
    assert "\x1b[" not in out  # no colour off a terminal
    assert err == ""


def test_reference_over_the_pipe_passes(verify: Verify) -> None:
    status, out, _ = verify("--impl", REFERENCE, "--validate-protocol", "--format", "json")
    report = json.loads(out)
    assert status == 0, report["run"]
    assert report["summary"]["passed"] == 8
    assert report["implementation"]["name"] == "noetl-events-ref"
    assert report["run"]["notes"] == []
    raw = next(c for c in report["cases"] if c["id"].startswith("line-separators-raw"))
    assert raw["got"]["output"] == '["\u2028","\u2029","\u0085"]'  # split on b"\n" only


def test_runner_api_both_drivers_agree(cases: list[Case]) -> None:
    local = execute(InProcessDriver(), cases)
    piped = execute(SubprocessDriver(REFERENCE), cases)
    assert [r.got for r in local.results] == [r.got for r in piped.results]
    assert {r.verdict for r in piped.results} == {"pass"}


def test_strict_messages(verify: Verify, corpus: Path) -> None:
    path = next((corpus / "cases").rglob("truncated-array-*.json"))
    case = json.loads(path.read_text(encoding="utf-8"))
    case["expect"]["error"]["message"] = "a message of our own"
    path.write_text(json.dumps(case), encoding="utf-8")
    assert verify()[0] == 0
    status, out, _ = verify("--strict-messages")
    assert status == 1
    assert "different error message (--strict-messages)" in out


def test_validate_protocol_catches_a_bad_message(verify: Verify) -> None:
    assert verify("--impl", fake("extra_key"))[0] == 0  # the lenient reader lets it through
    status, out, _ = verify("--impl", fake("extra_key"), "--validate-protocol", "--format", "json")
    error = json.loads(out)["run"]["error"]
    assert status == 3
    assert error.startswith("--validate-protocol: the response to seq 1 (case "), error
    assert "does not match run-response.schema.json" in error
    assert "'elapsed_ms'" in error


def test_validator_names_the_violation() -> None:
    with pytest.raises(Exception, match=r"start-response\.schema\.json: .* at \$"):
        Validator().check({"ready": True, "protocol": 1}, "start-response", "the start response")


@pytest.mark.parametrize("name", ["report", "protocol"])
def test_schema_option_prints_a_valid_schema(verify: Verify, name: str) -> None:
    status, out, _ = verify("--schema", name)
    assert status == 0
    Draft202012Validator.check_schema(json.loads(out))


def test_schema_option_writes_to_output(verify: Verify, tmp_path: Path) -> None:
    status, out, _ = verify("--schema", "report")
    target = tmp_path / "s.json"
    assert verify("--schema", "report", "--output", str(target)) == (0, "", "")
    assert target.read_text(encoding="utf-8") == out
    link = tmp_path / "link.json"
    link.symlink_to(target)
    status, _, err = verify("--schema", "report", "--output", str(link))
    assert status == 2 and "is a symbolic link" in err


def test_protocol_bundle_validates_messages() -> None:
    validator = Draft202012Validator(protocol_bundle())
    assert validator.is_valid({"cmd": "stop"})
    assert validator.is_valid({"seq": 1, "ok": False, "error": {"kind": "syntax", "message": ""}})
    assert not validator.is_valid(
        {"seq": 1, "ok": False, "error": {"kind": "bogus", "message": ""}}
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--update-baseline", "--baseline", "b.txt", "--select", "float"), "whole corpus"),
        (("--update-baseline", "--baseline", "b.txt", "--level", "required"), "whole corpus"),
        (("--update-baseline",), "needs --baseline"),
        (("--validate-protocol",), "in-process reference"),
        (("--select", "no-such-case"), "no case of"),
        (("--impl", "'unbalanced"), "--impl"),
        (("--timeout", "0"), "--timeout must be a positive, finite number of seconds, not 0"),
        (("--timeout", "nan"), "--timeout must be a positive, finite number of seconds, not nan"),
        (("--run-timeout", "nan"), "--run-timeout must be a positive, finite number of seconds"),
        (("--timeout", "inf"), "--timeout must be a positive, finite number of seconds, not inf"),
        (("--run-timeout", "inf"), "--run-timeout must be a positive, finite number of seconds"),
        (("--impl", REFERENCE, "--timeout", "nan"), "--timeout must be a positive, finite"),
        (("--baseline", "missing.txt"), "no such baseline file"),
        (("--output", "no/such/dir/report.txt"), "no such folder"),
        # a callable that cannot take (op, input, now): one usage error, not 1009 errored cases
        (("--impl", "python:json:dumps"), "takes (obj, *, skipkeys=False"),
        (("--impl", "python:builtins:len"), "takes (obj, /), but a python: callable is called"),
        (("--impl", "python:fractions:Fraction"), "Fraction is a class, not a callable taking"),
    ],
)
def test_usage_errors(verify: Verify, options: tuple[str, ...], message: str) -> None:
    status, out, err = verify(*options)
    assert status == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize("seconds", [{"timeout": math.nan}, {"run_timeout": math.inf}])
def test_the_subprocess_driver_takes_only_finite_timeouts(seconds: dict[str, float]) -> None:
    """nan would reach select() and fail there (a traceback), or mean no run timeout at all."""
    with pytest.raises(ValueError, match="must be positive, finite numbers of seconds"):
        SubprocessDriver(REFERENCE, **seconds)


def test_not_a_corpus_is_a_usage_error(verify: Verify, tmp_path: Path) -> None:
    status, _, err = verify(corpus_dir=tmp_path)
    assert status == 2
    assert "not a corpus" in err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli._main import main

    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    text = capsys.readouterr().out
    for line in (
        "0  no unexpected failure",
        "1  an unexpected failure",
        "2  usage error",
        "3  the implementation errored",
    ):
        assert line in text
    assert " ".join(text.split()).count("in seconds: positive and finite, not nan or inf") == 2


def _has_bundled_corpus() -> bool:
    """Checked without parsing, so a broken corpus fails its tests instead of collection."""
    return next(iter_case_files(default_corpus_dir()), None) is not None


@pytest.mark.skipif(not _has_bundled_corpus(), reason="the bundled corpus has no cases yet")
def test_bundled_corpus_passes_against_the_reference_adapter(verify: Verify) -> None:
    status, out, _ = verify(
        "--impl", REFERENCE, "--format", "json", corpus_dir=default_corpus_dir()
    )
    report = json.loads(out)
    assert status == 0, [c for c in report["cases"] if c["verdict"] != "pass"][:3]


def _rust_adapter() -> str:
    if not RUST_ADAPTER.is_file():
        message = (
            f"the Rust adapter is not built ({RUST_ADAPTER}); "
            "build it with `cargo build --release` in adapters/rust"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return shlex.quote(str(RUST_ADAPTER))


@pytest.mark.rust
def test_rust_adapter_passes(verify: Verify) -> None:
    status, out, _ = verify("--impl", _rust_adapter(), "--validate-protocol", "--format", "json")
    report = json.loads(out)
    assert status == 0, [c for c in report["cases"] if c["verdict"] != "pass"]
    assert report["implementation"]["language"] == "rust"


@pytest.mark.rust
@pytest.mark.skipif(not _has_bundled_corpus(), reason="the bundled corpus has no cases yet")
def test_rust_adapter_passes_the_bundled_corpus(verify: Verify) -> None:
    status, out, _ = verify(
        "--impl", _rust_adapter(), "--format", "json", corpus_dir=default_corpus_dir()
    )
    report = json.loads(out)
    assert status == 0, [c for c in report["cases"] if c["verdict"] != "pass"][:3]


def test_a_launched_adapter_gets_its_full_timeout_from_start(cases: list[Case]) -> None:
    """launch() lets the adapter start while the caller works; the handshake's clock starts at
    start(), so time the caller spent elsewhere is not charged to the adapter."""
    import time

    driver = SubprocessDriver(REFERENCE, timeout=0.5)
    driver.launch()
    driver.launch()  # idempotent: still one child
    time.sleep(1.0)  # longer than the timeout
    outcome = execute(driver, cases)
    assert outcome.error is None
    assert {r.verdict for r in outcome.results} == {"pass"}


def test_closing_a_launched_adapter_that_never_started_reaps_it() -> None:
    driver = SubprocessDriver(REFERENCE)
    driver.launch()
    proc = driver._proc
    assert proc is not None
    driver.close()
    assert proc.returncode is not None  # waited for: killed and reaped, not left running
    driver.close()  # closing twice is harmless


def test_in_process_callable_contract(cases: list[Case]) -> None:
    """An exception errors its own case only, with the traceback; a wrong answer type is a
    CallableContractError naming the case; an Outcome-like object is accepted."""
    from types import SimpleNamespace

    import pytest

    from conformance.runner._runner import CallableContractError
    from noetl_events_ref import Outcome, run_op

    victim = cases[1].id

    def buggy(op: str, text: str, now: str | None) -> Outcome:
        if text == cases[1].input:
            raise KeyError("my bug")
        return run_op(op, text, now)

    outcome = execute(InProcessDriver(buggy), cases)
    verdicts = {r.case.id: r for r in outcome.results}
    assert verdicts[victim].verdict == "errored"
    assert verdicts[victim].reason == "the callable raised KeyError: 'my bug'"
    assert 'raise KeyError("my bug")' in (verdicts[victim].detail or "")
    assert all(r.verdict == "pass" for r in outcome.results if r.case.id != victim)
    assert outcome.error is None

    def like(op: str, text: str, now: str | None) -> SimpleNamespace:
        return SimpleNamespace(**run_op(op, text, now)._asdict())

    assert all(r.verdict == "pass" for r in execute(InProcessDriver(like), cases).results)

    for wrong in ({"ok": True, "output": "1"}, None, Outcome(True), Outcome(False, kind="x")):
        with pytest.raises(CallableContractError, match=f"returned {type(wrong).__name__}"):
            execute(InProcessDriver(lambda op, text, now, w=wrong: w), cases)


def _callable_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, source: str
) -> str:
    """``python:MODULE:answer`` for a module of the user's own, written in ``tmp_path``."""
    (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return f"python:{module}:answer"


def _second_of_first_op(corpus: Path) -> Case:
    """A case the run reaches after another case of its op (so past the callable's probe),
    with cases of other ops still to come."""
    loaded = load_corpora(corpus)
    return [c for c in loaded if c.op == loaded[0].op][1]


def test_a_callable_answering_wrong_late_in_the_run_errors_the_cases_left(
    verify: Verify, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/callable.md: met later in the run, the cases left are errored with that one line,
    the report is written and the exit status is 3 (not one usage error and no report)."""
    victim = _second_of_first_op(corpus)
    spec = _callable_spec(
        tmp_path,
        monkeypatch,
        "late_none_impl",
        "from noetl_events_ref import run_op\n\n\n"
        "def answer(op, text, now):\n"
        f"    return None if text == {victim.input!r} else run_op(op, text, now)\n",
    )
    output = tmp_path / "report.json"
    status, out, err = verify("--impl", spec, "--format", "json", "--output", str(output))
    assert (status, out, err) == (3, "", "")
    report = json.loads(output.read_text(encoding="utf-8"))
    line = report["run"]["error"]
    assert line.startswith(
        f"{spec} returned NoneType None for {victim.op} case {victim.id}; it must return"
    )
    assert "\n" not in line
    errored = [c for c in report["cases"] if c["verdict"] == "errored"]
    assert [c["reason"] for c in errored] == [line] + [NOT_RUN] * (len(errored) - 1)
    assert errored[0]["id"] == victim.id and len(errored) > 1
    assert report["summary"]["passed"] + len(errored) == 8
    status, out, _ = verify("--impl", spec)
    assert status == 3
    assert f"the implementation errored: {line}" in out


def test_a_callable_answering_wrong_at_once_is_one_usage_error(
    verify: Verify, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kit calls the callable once per op before the run: a wrong answer there is one
    usage error, before any case runs."""
    last = load_corpora(corpus)[-1]
    spec = _callable_spec(
        tmp_path,
        monkeypatch,
        "wrong_at_once_impl",
        "from noetl_events_ref import run_op\n\n\n"
        "def answer(op, text, now):\n"
        f"    return {{'ok': True}} if op == {last.op!r} else run_op(op, text, now)\n",
    )
    status, out, err = verify("--impl", spec)
    assert (status, out) == (2, "")
    assert err.startswith(f"noetl-events-conformance: error: {spec} returned dict ")
    assert err.count("\n") == 1


def test_execute_can_error_the_cases_left_after_a_broken_contract(cases: list[Case]) -> None:
    """``contract_errors``: a wrong answer ends the run as an adapter error does; without it,
    the run raises (the API and the plugin)."""
    from conformance.runner._runner import CallableContractError
    from noetl_events_ref import run_op

    def late(op: str, text: str, now: str | None) -> object:
        return None if text == cases[2].input else run_op(op, text, now)

    outcome = execute(InProcessDriver(late), cases, contract_errors=True)
    assert [r.verdict for r in outcome.results] == ["pass", "pass"] + ["errored"] * 6
    assert outcome.error is not None and f"for {cases[2].op} case {cases[2].id}" in outcome.error
    assert outcome.results[2].reason == outcome.error
    assert {r.reason for r in outcome.results[3:]} == {NOT_RUN}
    with pytest.raises(CallableContractError):
        execute(InProcessDriver(late), cases)


def test_a_callable_that_raises_shows_its_traceback_in_every_report(
    verify: Verify, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/callable.md: a case the callable raised on is errored "with your traceback": in
    the json report a field, in text and markdown under the case, in JUnit in the error."""
    victim = _second_of_first_op(corpus)
    spec = _callable_spec(
        tmp_path,
        monkeypatch,
        "raising_impl",
        "import datetime\n\nfrom noetl_events_ref import run_op\n\n\n"
        "def answer(op, text, now):\n"
        f"    return too_early() if text == {victim.input!r} else run_op(op, text, now)\n\n\n"
        "def too_early():\n"
        "    return datetime.date(1, 1, 1) - datetime.timedelta(days=1)\n",
    )
    status, out, _ = verify("--impl", spec, "--format", "json")
    report = json.loads(out)
    Draft202012Validator(report_schema()).validate(report)
    assert status == 3
    (case,) = [c for c in report["cases"] if c["verdict"] == "errored"]
    assert case["id"] == victim.id
    assert case["reason"] == "the callable raised OverflowError: date value out of range"
    assert case["traceback"].startswith("Traceback (most recent call last):\n")
    assert "in too_early\n" in case["traceback"]
    assert case["traceback"].endswith("OverflowError: date value out of range\n")
    assert not any("traceback" in c for c in report["cases"] if c is not case)
    for fmt in ("text", "markdown", "junit"):
        status, out, _ = verify("--impl", spec, "--format", fmt)
        assert status == 3
        assert "in too_early" in out and "datetime.timedelta(days=1)" in out, fmt
    lines = verify("--impl", spec)[1].splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("ERROR "))
    assert lines[at + 1] == "      Traceback (most recent call last):"
    end = lines.index("      OverflowError: date value out of range", at)
    assert all(line.startswith("      ") for line in lines[at + 1 : end])


@pytest.mark.parametrize("status", ["0", "'bye'"])
def test_a_callable_that_calls_sys_exit_errors_its_case(
    verify: Verify, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    """sys.exit(0) in the callable ended the run with status 0, no report and no --output."""
    victim = _second_of_first_op(corpus)
    spec = _callable_spec(
        tmp_path,
        monkeypatch,
        f"exiting_impl_{status.strip(chr(39))}",
        "import sys\n\nfrom noetl_events_ref import run_op\n\n\n"
        "def answer(op, text, now):\n"
        f"    if text == {victim.input!r}:\n"
        f"        sys.exit({status})\n"
        "    return run_op(op, text, now)\n",
    )
    output = tmp_path / "report.json"
    code, _, _ = verify("--impl", spec, "--format", "json", "--output", str(output))
    assert code == 3
    report = json.loads(output.read_text())
    (case,) = [c for c in report["cases"] if c["verdict"] == "errored"]
    assert case["id"] == victim.id
    assert case["reason"] == f"the callable raised SystemExit: {status.strip(chr(39))}"


def test_update_baseline_says_which_cases_it_could_not_grade(
    verify: Verify, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case the callable raised on is errored: not graded, so not listed. "wrote ...: 0
    entries" did not say why the run still exits 3."""
    victim = _second_of_first_op(corpus)
    spec = _callable_spec(
        tmp_path,
        monkeypatch,
        "raising_once_impl",
        "from noetl_events_ref import run_op\n\n\n"
        "def answer(op, text, now):\n"
        f"    if text == {victim.input!r}:\n"
        "        raise RuntimeError('kaboom')\n"
        "    return run_op(op, text, now)\n",
    )
    baseline = tmp_path / "known.txt"
    status, _, err = verify("--impl", spec, "--baseline", str(baseline), "--update-baseline")
    assert status == 3
    assert err.endswith(
        f"wrote {baseline}: 0 entries (+0, -0); 1 errored case not graded (the callable raised)\n"
    )
    assert parse(baseline.read_text(), str(baseline)).entries == {}
