"""The public Python API: every name in ``conformance.__all__`` works as documented, and its
reports agree with the command line's (an independent path to the same run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import conformance
from conformance import (
    CheckReport,
    UsageError,
    VerifyReport,
    check,
    load_corpus,
    read_report,
    verify,
)
from conformance.cli import main
from noetl_events_ref._ops import Outcome, run_op

ROOT = Path(__file__).resolve().parents[2]
CASE_FILES = sorted((ROOT / "fixtures" / "cases").rglob("*.json"))
EVENT = (
    '{"execution_id":7,"event_type":"call.done","step":"s","status":"COMPLETED",'
    '"created_at":"2026-05-31T00:00:00Z","context":{"rows":3}}'
)


def test_every_public_name_resolves_and_nothing_else_is_offered() -> None:
    for name in conformance.__all__:
        assert getattr(conformance, name) is not None, name
    assert sorted(conformance.__all__) == sorted(set(conformance.__all__))
    with pytest.raises(AttributeError):
        _ = conformance.not_a_name  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_optional_dependency() -> None:
    code = (
        "import sys, conformance; conformance.verify; conformance.check; "
        "conformance.envelope_schema; "
        "print(sorted(m for m in ('rich', 'deepdiff', 'jsonschema', 'hypothesis', 'pytest',"
        " 'yaml') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_load_corpus_selects_like_the_command_line() -> None:
    everything = load_corpus()
    assert len(everything) == len(CASE_FILES)
    required = load_corpus(level="required")
    assert 0 < len(required) < len(everything)
    assert {c.level for c in required} == {"required"}
    some = load_corpus(select_ids="dup-*")
    assert some and all(c.id.startswith("dup-") for c in some)
    with pytest.raises(UsageError, match="no such corpus folder"):
        load_corpus(ROOT / "no-such-corpus")


def test_verify_the_reference_in_process() -> None:
    report = verify()
    assert isinstance(report, VerifyReport)
    assert report.ok and report.status == "passed" and report.exit_status == 0
    assert report.summary.total == report.summary.passed == len(CASE_FILES)
    assert sum(c.total for c in report.by_op.values()) == len(CASE_FILES)
    assert report.failures == ()
    assert {c.verdict for c in report.cases} == {"pass"}


def test_verify_a_wrong_callable_reports_only_its_wrong_op() -> None:
    def wrong(op: str, text: str, now: str | None) -> Outcome:
        out = run_op(op, text, now)
        if op == "canonical_value" and out.ok:
            return Outcome(True, (out.output or "") + " ")
        return out

    report = verify(wrong, select_ids="*")
    assert report.status == "failed" and report.exit_status == 1
    assert report.failures and {c.op for c in report.failures} == {"canonical_value"}
    assert report.by_op["canonical_value"].failed == len(report.failures)
    assert report.by_op["decode_event"].failed == 0


def test_verify_an_adapter_command_agrees_with_the_cli(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "noetl_events_ref"]
    report = verify(command, level="required")
    assert report.status == "passed"
    assert report.implementation["name"]
    saved = tmp_path / "report.json"
    cli = [
        "verify",
        "--impl",
        f"{sys.executable} -m noetl_events_ref",
        "--level",
        "required",
        "--format",
        "json",
        "--output",
        str(saved),
    ]
    assert main(cli) == 0
    from_cli = read_report(saved)
    assert from_cli.summary == report.summary
    assert from_cli.by_op == report.by_op
    assert [(c.id, c.verdict) for c in from_cli.cases] == [(c.id, c.verdict) for c in report.cases]


def test_verify_with_a_baseline_and_a_crashing_adapter(tmp_path: Path) -> None:
    def wrong(op: str, text: str, now: str | None) -> Outcome:
        out = run_op(op, text, now)
        return Outcome(False, None, "syntax", "no") if op == "canonical_value" else out

    failing = [c.id for c in verify(wrong).failures]
    baseline = tmp_path / "known.txt"
    baseline.write_text("".join(f"{i}  # rejects every value\n" for i in failing))
    known = verify(wrong, baseline=baseline)
    assert known.status == "passed" and known.failures == ()
    assert all(c.baselined for c in known.cases if c.verdict == "fail")
    assert known.json["baseline"]["ok"] is True

    crash = verify([sys.executable, "-c", "import sys; sys.exit(5)"], select_ids="dup-*")
    assert crash.status == "errored" and crash.exit_status == 3
    assert crash.error and "handshake" in crash.error

    with pytest.raises(UsageError):
        verify(baseline=tmp_path / "missing.txt")
    with pytest.raises(UsageError, match="no case"):
        verify(select_ids="no-such-case-anywhere")


def test_a_report_renders_in_every_cli_format() -> None:
    report = verify(select_ids="dup-*")
    assert json.loads(report.render("json"))["summary"]["total"] == report.summary.total
    assert report.render("junit").startswith("<?xml")
    assert json.loads(report.render("badge"))["color"] == "brightgreen"
    assert "| op |" in report.render("markdown") or "op" in report.render("markdown")
    with pytest.raises(UsageError, match="unknown format 'yaml'"):
        report.render("yaml")
    with pytest.raises(UsageError, match="unknown schema kind 'evnt'"):
        conformance.envelope_schema("evnt")


def test_read_report_refuses_what_is_not_a_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"summary": {}}')
    with pytest.raises(UsageError, match="not a verify report"):
        read_report(bad)
    with pytest.raises(UsageError, match="cannot read"):
        read_report(tmp_path / "missing.json")


def test_check_agrees_with_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    request = '{"execution_id":"7","step":"s","event_type":"e"}'
    events.write_text(EVENT + "\n" + EVENT.replace('"step":"s",', "") + "\n" + request + "\n")
    report = check(events)
    assert isinstance(report, CheckReport)
    assert (report.total, report.valid, report.invalid, report.ok) == (3, 1, 2, False)
    assert [(e.line, e.kind, e.path) for e in report.errors] == [
        (2, "missing_field", "$.step"),
        (3, "invalid_type", "$.execution_id"),
    ]
    assert report.by_kind == {"invalid_type": 1, "missing_field": 1}
    assert main(["check", str(events), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == dict(report.json)
    as_requests = check(events, mode="request")
    assert (as_requests.valid, as_requests.invalid) == (2, 1)
    with pytest.raises(UsageError):
        check(tmp_path / "missing.jsonl")
    with pytest.raises(UsageError):
        check()


@pytest.mark.parametrize("url", ["postgresql://127.0.0.1:1/events", "nats://127.0.0.1:1/events"])
def test_check_of_a_server_that_cannot_be_reached_raises(url: str) -> None:
    """As for a missing file (and as the command, which exits 2): a source not read at all
    raises UsageError with the reason, rather than returning an empty incomplete report."""
    pytest.importorskip("psycopg" if url.startswith("postgresql") else "nats")
    with pytest.raises(UsageError, match=r"127\.0\.0\.1:1"):
        check(url)


def test_the_text_report_without_rich_is_the_same_text() -> None:
    """A plain install has no rich: its text report must say exactly what rich's says."""
    from conformance.report._views import _plain_text, to_text

    def wrong(op: str, text: str, now: str | None) -> Outcome:
        out = run_op(op, text, now)
        return Outcome(True, (out.output or "") + " ") if op == "decode_event" and out.ok else out

    for report in (
        verify(),
        verify(wrong),
        verify([sys.executable, "-c", "import sys; sys.exit(5)"], select_ids="dup-*"),
    ):
        plain = _plain_text(report.json)
        # the same words in the same order; rich may wrap a long headline at the width
        assert plain.split() == to_text(report.json, color=False).split()
        assert report.summary.total and str(report.summary.total) in plain


def test_verify_takes_every_spec_the_command_line_takes(tmp_path: Path) -> None:
    """A string is resolved as `verify --impl` resolves it: `python:` runs in process, a
    mistyped command is one UsageError, not an errored run."""
    module = tmp_path / "my_spec_impl.py"
    module.write_text("from noetl_events_ref import run_op as answer\n")
    sys.path.insert(0, str(tmp_path))
    try:
        report = conformance.verify("python:my_spec_impl:answer", level="required")
    finally:
        sys.path.remove(str(tmp_path))
    assert report.status == "passed" and report.summary.failed == 0
    assert report.json["run"]["driver"] == "in-process"
    with pytest.raises(conformance.UsageError, match="no such file"):
        conformance.verify("./no/such/adapter")
    assert conformance.Outcome is Outcome


def test_mistakes_in_arguments_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(conformance.UsageError, match="level 'bogus'"):
        conformance.verify(level="bogus")
    with pytest.raises(conformance.UsageError, match="level 'bogus'"):
        conformance.load_corpus(level="bogus")
    with pytest.raises(conformance.UsageError, match="not int"):
        conformance.verify(impl=123)  # type: ignore[arg-type]
    a_file = tmp_path / "cases.jsonl"
    a_file.write_text("{}\n")
    with pytest.raises(conformance.UsageError, match="not a folder"):
        conformance.load_corpus(a_file)


def test_a_callable_that_cannot_take_op_input_now_is_a_usage_error() -> None:
    """As with a `python:` spec: one usage error, not every case errored."""

    def two(op: str, text: str) -> None:
        return None

    with pytest.raises(
        UsageError, match=r"^impl .*<locals>\.two: takes \(op: 'str', text: 'str'\)"
    ):
        verify(two)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^impl .*<lambda>: takes \(a, b\)"):
        verify(lambda a, b: None)  # type: ignore[arg-type,misc]


@pytest.mark.parametrize(
    ("timeout", "run_timeout"), [(float("nan"), 600.0), (10.0, float("nan")), (10.0, float("inf"))]
)
def test_a_timeout_that_is_not_a_finite_number_is_a_usage_error(
    timeout: float, run_timeout: float
) -> None:
    """nan reached select() (a ValueError from deep inside), or meant no run timeout at all;
    a text was a TypeError. The message names the argument."""
    name = "timeout" if timeout != 10.0 else "run_timeout"
    for impl in ([sys.executable, "-m", "noetl_events_ref"], None, run_op):
        with pytest.raises(UsageError, match=rf"^{name} must be a positive, finite number"):
            verify(impl, timeout=timeout, run_timeout=run_timeout)
    with pytest.raises(UsageError, match=r"^timeout must be a positive, finite number .* 'x'$"):
        verify(None, timeout="x")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^run_timeout must be a positive, finite number"):
        verify(None, run_timeout=True)


def test_a_callable_that_raises_gives_its_case_a_traceback() -> None:
    def answer(op: str, text: str, now: str | None) -> Outcome:
        if op == "canonical_value" and text == "1e-5":
            raise OverflowError("too small to bear")
        return run_op(op, text, now)

    report = verify(answer, select_ids="float-1e-5-*")
    raised = [c for c in report.cases if c.verdict == "errored"]
    assert raised and all(
        c.reason == "the callable raised OverflowError: too small to bear" for c in raised
    )
    for case in raised:
        assert case.traceback is not None and "in answer\n" in case.traceback
    assert all(c.traceback is None for c in report.cases if c.verdict != "errored")


def test_check_refuses_a_negative_max_errors(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(EVENT + "\n")
    for wrong in (-1, True, 1.5):
        with pytest.raises(UsageError, match="max_errors"):
            check(str(path), max_errors=wrong)  # type: ignore[arg-type]


def test_load_corpus_of_a_selection_matching_nothing_raises_as_verify_stops() -> None:
    with pytest.raises(UsageError, match=r"no case of .* matches level 'all' and 'zzz-none'"):
        load_corpus(select_ids="zzz-none")
    with pytest.raises(UsageError, match="matches level 'all' and 'zzz-none'"):
        verify(select_ids="zzz-none")
    assert load_corpus(select_ids="payload")  # (a selection that matches some cases)


def test_the_strategies_without_hypothesis_name_the_extra() -> None:
    """A raw "No module named 'hypothesis'" did not say which extra installs it."""
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n"
        "    import conformance.strategies\n"
        "except ModuleNotFoundError as e:\n"
        "    print(e.name, '|', e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout == (
        "hypothesis | conformance.strategies needs hypothesis: "
        "pip install 'noetl-events-conformance[strategies]' (installed from a wheel or a "
        "checkout: pip install '<its path>[strategies]')\n"
    )


def test_a_missing_corpus_folder_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line said "not a corpus: no cases/ folder" of a folder that is not there."""
    with pytest.raises(UsageError, match=r"no such corpus folder$"):
        verify(corpus=tmp_path / "nosuch")
    assert main(["verify", "--corpus", str(tmp_path / "nosuch")]) == 2
    assert capsys.readouterr().err.endswith(f"{tmp_path / 'nosuch'}: $: no such corpus folder\n")


def test_a_timed_out_adapter_names_the_apis_argument() -> None:
    """It said `--timeout`, a flag of the command line the caller never used."""
    hang = ROOT / "tests" / "runner" / "fake_adapters" / "hang.py"
    report = verify([sys.executable, str(hang), "start"], timeout=0.5)
    assert report.status == "errored"
    assert report.error is not None
    assert "timed out after 0.5 s (the timeout argument) waiting for" in report.error


def test_arguments_of_the_wrong_type_are_usage_errors() -> None:
    """A list as select_ids, or a number as read_report's source, were TypeErrors."""
    with pytest.raises(UsageError, match=r"^select_ids is a pattern .* not list \['a'\]$"):
        verify(select_ids=["a"])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^select_ids is a pattern"):
        conformance.load_corpus(select_ids=3)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^read_report takes a path or the parsed JSON, not int"):
        conformance.read_report(123)  # type: ignore[arg-type]
