"""The runner and ``verify`` end to end: verdicts, the reference both ways (in process and over
the pipe), ``--validate-protocol``, ``--schema``, usage errors, and the real adapters."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conformance.corpus._case import Case, default_corpus_dir, iter_case_files
from conformance.runner._protocol import Answer, Validator, protocol_bundle
from conformance.runner._runner import InProcessDriver, SubprocessDriver, execute, judge
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
        (("--timeout", "0"), "must be positive"),
        (("--baseline", "missing.txt"), "no such baseline file"),
        (("--output", "no/such/dir/report.txt"), "no such folder"),
    ],
)
def test_usage_errors(verify: Verify, options: tuple[str, ...], message: str) -> None:
    status, out, err = verify(*options)
    assert status == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""


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
