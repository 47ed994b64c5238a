"""The same SPECs in ``verify`` and in the pytest plugin."""

from __future__ import annotations

import json

import pytest

from conformance.cli._main import main

MODEL = "python-model:tests.matrix.models:DataclassEvent"


def _verify(capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str, str]:
    status = main(["verify", *options])
    out, err = capsys.readouterr()
    return status, out, err


def test_verify_runs_a_python_callable(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _verify(
        capsys, "--impl", "python:noetl_events_ref._ops:run_op", "--format", "json"
    )
    report = json.loads(out)
    assert status == 0
    assert report["run"]["driver"] == "in-process"
    assert report["summary"]["passed"] > 700


def test_verify_runs_a_model_and_skips_the_ops_it_lacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = _verify(capsys, "--impl", MODEL, "--format", "json")
    report = json.loads(out)
    assert status == 1  # a dataclass re-encodes with Python's json, not serde's
    verdicts = {c["op"]: set() for c in report["cases"]}
    for c in report["cases"]:
        verdicts[c["op"]].add(c["verdict"])
    assert verdicts["decode_request"] == {"skipped"}
    assert "pass" in verdicts["decode_event"] and "fail" in verdicts["decode_event"]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--impl", "./no/such/adapter"], "no such file ./no/such/adapter"),
        (["--impl", "reference", "--impl", MODEL], "--impl given more than once"),
        (["--impl", MODEL, "--validate-protocol"], "runs in process"),
    ],
)
def test_verify_usage_errors(
    capsys: pytest.CaptureFixture[str], options: list[str], says: str
) -> None:
    status, out, err = _verify(capsys, *options)
    assert status == 2
    assert out == ""
    assert says in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_the_plugin_takes_a_model_spec(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--noetl-events-impl",
        MODEL,
        "-q",
        "--noetl-events-select",
        "*full-fidelity*",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) >= 1, result.stdout.str()


def test_the_plugin_reports_a_mistyped_spec_once(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--noetl-events-impl", "./no/such/adapter")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--noetl-events-impl*no such file ./no/such/adapter*"])
