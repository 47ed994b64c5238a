"""Report formats: json validates against the shipped schema, JUnit parses back with
xml.etree and its counts match, markdown and the badge say the same thing, the text view marks
the first differing byte, and ``--output`` replaces its file atomically."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance.corpus._corpus import corpus_digest
from conformance.report._report import report_schema, to_junit
from conformance.report._views import _plain_text, difference, to_markdown, to_text

from ._support import Verify, fake

SCENARIOS = {
    "passed": ("--timeout", "0.5"),
    "failed": ("--impl", fake("float_repr")),
    "errored": ("--impl", fake("crash_mid_run", 3), "--timeout", "0.5"),
    "skipped": ("--impl", fake("partial_ops")),
}


def report_for(verify: Verify, scenario: str, *extra: str) -> dict[str, Any]:
    _, out, _ = verify(*SCENARIOS[scenario], *extra, "--format", "json")
    report: dict[str, Any] = json.loads(out)
    return report


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_json_report_matches_its_schema(verify: Verify, scenario: str) -> None:
    report = report_for(verify, scenario)
    Draft202012Validator(report_schema()).validate(report)
    assert report["kit"]["name"] == "noetl-events-conformance"
    assert report["corpus"]["version"] == "unknown"  # the tmp corpus has no manifest
    assert len(report["corpus"]["sha256"]) == 64
    assert report["status"] == ("passed" if scenario == "skipped" else scenario)
    assert report["run"]["ops"] is None and report["run"]["tags"] is None


def test_json_report_with_a_baseline_matches_its_schema(
    verify: Verify, corpus: Path, tmp_path: Path
) -> None:
    baseline = tmp_path / "b.txt"
    baseline.write_text("no-such-case-00000000\n", encoding="utf-8")
    report = report_for(verify, "failed", "--baseline", str(baseline))
    Draft202012Validator(report_schema()).validate(report)


def test_corpus_manifest_is_reported(verify: Verify, corpus: Path) -> None:
    digest = corpus_digest(corpus)
    (corpus / "manifest.json").write_text(
        json.dumps({"corpus_version": "9.9.9", "sha256": digest}), encoding="utf-8"
    )
    assert report_for(verify, "passed")["corpus"] == {
        "version": "9.9.9",
        "sha256": digest,
        "cases": 8,
    }
    # a manifest that does not describe the case files (stale, or made up) is not believed
    (corpus / "manifest.json").write_text(
        json.dumps({"corpus_version": "9.9.9", "sha256": "ab" * 32}), encoding="utf-8"
    )
    assert report_for(verify, "passed")["corpus"] == {
        "version": "unknown",
        "sha256": digest,
        "cases": 8,
    }


@pytest.mark.parametrize(
    ("scenario", "counts"),
    [
        ("passed", {"tests": "8", "failures": "0", "errors": "0", "skipped": "0"}),
        ("failed", {"tests": "8", "failures": "2", "errors": "0", "skipped": "0"}),
        ("errored", {"tests": "8", "failures": "0", "errors": "5", "skipped": "0"}),
        ("skipped", {"tests": "8", "failures": "0", "errors": "0", "skipped": "4"}),
    ],
)
def test_junit_parses_back(verify: Verify, scenario: str, counts: dict[str, str]) -> None:
    _, out, _ = verify(*SCENARIOS[scenario], "--format", "junit")
    root = ET.fromstring(out.encode())
    suite = root.find("testsuite")
    assert root.tag == "testsuites"
    assert suite is not None
    assert {k: suite.get(k) for k in counts} == counts
    cases = suite.findall("testcase")
    assert len(cases) == 8
    assert {c.get("classname") for c in cases} <= {
        "decode_event",
        "request_to_event",
        "canonical_value",
    }
    assert len(suite.findall("testcase/failure")) == int(counts["failures"])
    assert len(suite.findall("testcase/error")) == int(counts["errors"])
    assert len(suite.findall("testcase/skipped")) == int(counts["skipped"])
    if scenario == "errored":
        assert "panicked at request 4" in (suite.findtext("system-err") or "")


def test_junit_known_failures_are_skipped(verify: Verify, corpus: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "b.txt"
    ids = sorted(p.stem for p in (corpus / "cases").rglob("*float*.json"))
    baseline.write_text("".join(f"{i}  # repr\n" for i in ids), encoding="utf-8")
    _, out, _ = verify(*SCENARIOS["failed"], "--baseline", str(baseline), "--format", "junit")
    skipped = ET.fromstring(out.encode()).findall("testsuite/testcase/skipped")
    assert [s.get("message") for s in skipped] == ["known failure (baseline): different output"] * 2


def test_junit_escapes_what_xml_cannot_carry(verify: Verify) -> None:
    report = report_for(verify, "failed")
    report["run"]["stderr_tail"] = "nul \x00 bell \x07 lone \ud800 end"
    report["cases"][0]["reason"] = "\x1b[31mred\x1b[0m"
    root = ET.fromstring(to_junit(report).encode("utf-8"))
    assert "\\u0000" in (root.findtext("testsuite/system-err") or "")


def test_an_odd_case_id_or_reason_keeps_junit_and_markdown_whole(verify: Verify) -> None:
    """A control character in an id is escaped in JUnit too; a reason's line breaks (CR,
    U+2028) cannot start a markdown heading, and its text is not table-escaped inside HTML."""
    report = report_for(verify, "failed")
    failing = next(c for c in report["cases"] if c["verdict"] == "fail")
    failing["id"] = "odd\x01id]]>"
    failing["reason"] = "line1|x\r\r## injected\u2028more \\ <b>"
    root = ET.fromstring(to_junit(report).encode("utf-8"))
    assert "odd\\u0001id]]>" in [c.get("name") for c in root.iter("testcase")]
    markdown = to_markdown(report)
    assert "\n## injected" not in markdown and "\r" not in markdown and "\u2028" not in markdown
    assert "<code>odd\x01id]]&gt;</code>" in markdown
    # (its breaks shown as escapes, as every report shows what an implementation says)
    assert "line1|x\\u000d\\u000d## injected\\u2028more \\ &lt;b&gt;" in markdown


def test_markdown_summary(verify: Verify) -> None:
    status, out, _ = verify(*SCENARIOS["failed"], "--format", "markdown")
    assert status == 1
    assert out.startswith("## ❌ noetl-events conformance: 6/8 passed\n")
    assert "| op | total | passed | failed | skipped | errored |" in out
    assert "| **all** | **8** | **6** | **2** | **0** | **0** |" in out
    assert "### Failing cases (2)" in out
    assert "first difference at byte" in out


@pytest.mark.parametrize(
    ("scenario", "message", "color"),
    [
        ("passed", "8/8 passed", "brightgreen"),
        ("failed", "6/8 passed", "red"),
        ("errored", "3/8 passed", "red"),
    ],
)
def test_badge(verify: Verify, scenario: str, message: str, color: str) -> None:
    _, out, _ = verify(*SCENARIOS[scenario], "--format", "badge")
    badge = json.loads(out)
    assert badge["schemaVersion"] == 1
    assert badge["label"] == "noetl-events conformance"
    assert (badge["message"], badge["color"]) == (message, color)
    assert badge.get("isError", False) is (scenario == "errored")


def test_text_marks_the_first_differing_byte(verify: Verify) -> None:
    status, out, _ = verify(*SCENARIOS["failed"])
    assert status == 1
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("FAIL  canonical_value"))
    expected, got, caret = lines[at + 1 : at + 4]
    assert expected == '      expected  {"a":[1,2,3],"b":0.00001}'
    assert got == '      got       {"a":[1,2,3],"b":1e-05}'
    assert caret.index("^") == expected.index("0.00001")
    assert caret.endswith("first difference at byte offset 17")


def test_difference_marks_invisible_characters_and_counts_bytes() -> None:
    exp, got, caret, byte = difference('"é\u2028a"', '"é\u2028b"')
    assert (exp, got) == ('"é<U+2028>a"', '"é<U+2028>b"')
    assert caret.index("^") == exp.index("a")
    assert byte == len('"é\u2028'.encode())


def test_difference_shows_json_escapes_as_written() -> None:
    """A backslash is one backslash: an implementation's ``\\u00fc`` reads as it wrote it
    (the invisible characters are the ones marked ``<U+XXXX>``)."""
    exp, got, _, byte = difference('{"a":"x\\u00fcy\\n"}', '{"a":"x\\u00fcz\\n"}')
    assert (exp, got) == ('{"a":"x\\u00fcy\\n"}', '{"a":"x\\u00fcz\\n"}')
    assert byte == 13


def test_text_and_markdown_name_the_json_paths_that_differ(verify: Verify) -> None:
    report = report_for(verify, "failed")
    case = next(c for c in report["cases"] if c["verdict"] == "fail")
    assert "same JSON value, different text" in to_text(report)  # 1e-05 for 0.00001
    case["got"] = {"output": '{"a":[1,2,3]}'}
    case["expected"] = {"output": '{"a":[1,2,3],"b":0.00001}'}
    for text in (to_text(report), to_markdown(report)):
        assert "JSON paths that differ (expected -> got):" in text
        assert "$.b: only on the left: 0.00001" in text


def test_cases_that_errored_are_listed_with_their_reason(verify: Verify) -> None:
    """A case that errored on its own (a callable that raised) is listed with its reason; a
    run that errored as a whole says its reason once, not once per case."""
    report = report_for(verify, "failed")
    case = next(c for c in report["cases"] if c["verdict"] == "pass")
    case.update(verdict="errored", got=None, reason="the callable raised RuntimeError: boom")
    for text in (to_text(report), to_markdown(report)):
        assert "ERROR" in text and "the callable raised RuntimeError: boom" in text
        assert case["id"] in text
    whole = report_for(verify, "errored")
    assert whole["run"]["error"]
    assert to_text(whole).count(whole["run"]["error"]) == 1


def test_difference_caret_counts_terminal_columns() -> None:
    _, _, caret, byte = difference("名前x", "名前y")
    assert (caret, byte) == ("    ^", 6)


def test_difference_of_a_prefix_points_past_the_end() -> None:
    _, _, caret, byte = difference("[1,2]", "[1,2]x")
    assert (caret, byte) == ("     ^", 5)


def test_colour_only_when_asked(verify: Verify) -> None:
    report = report_for(verify, "failed")
    assert "\x1b[" in to_text(report, color=True)
    assert "\x1b[" not in to_text(report, color=False)


def test_output_is_written_atomically(
    verify: Verify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    status, out, _ = verify("--format", "json", "--output", str(target))
    assert (status, out) == (0, "")
    first = target.read_text(encoding="utf-8")
    assert json.loads(first)["status"] == "passed"

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    status, _, err = verify("--format", "junit", "--output", str(target))
    assert status == 2 and "disk full" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == first  # the old report, whole
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]  # no temp file left


@pytest.mark.parametrize("fmt", ["json", "junit", "text", "markdown", "badge"])
def test_every_format_survives_lone_surrogates(verify: Verify, tmp_path: Path, fmt: str) -> None:
    output = tmp_path / f"report.{fmt}"
    status, _, err = verify(
        "--impl", fake("lone_surrogate"), "--format", fmt, "--output", str(output)
    )
    assert status == 1, err
    text = output.read_text(encoding="utf-8")  # valid UTF-8
    if fmt == "json":
        report = json.loads(text)
        Draft202012Validator(report_schema()).validate(report)
        outputs = {c["got"].get("output") for c in report["cases"]}
        assert "\udc80\nline two \ud800" in outputs  # the very string the adapter sent
    elif fmt == "junit":
        ET.fromstring(text.encode())
    elif fmt in ("text", "markdown"):
        assert "<U+DC80>" in text
    status, out, _ = verify("--impl", fake("lone_surrogate"), "--format", fmt)
    assert status == 1 and out.encode("utf-8")


def test_the_most_serious_cases_are_listed_first_within_the_cap(verify: Verify) -> None:
    """With more cases to list than the cap, an errored case comes before unexpected
    failures, then stale entries, then known failures, whatever the case order (the JUnit
    file still has every case, in case order)."""
    report = report_for(verify, "failed")
    fail = next(c for c in report["cases"] if c["verdict"] == "fail")
    failures = [{**fail, "id": f"fail-{i:08d}"} for i in range(60)]
    known = {**fail, "id": "known-00000000", "baselined": True}
    stale = {**fail, "id": "stale-00000000", "verdict": "pass", "reason": None, "baselined": True}
    errored = {**fail, "id": "errored-00000000", "verdict": "errored", "got": None}
    errored["reason"] = "the callable raised RuntimeError: boom"
    report["cases"] = [known, stale, *failures, errored]
    text, markdown = to_text(report), to_markdown(report)
    for out in (text, markdown, _plain_text(report)):
        order = [out.index(i) for i in ("errored-00000000", "fail-00000000", "fail-00000048")]
        assert order == sorted(order)
        assert "fail-00000049" not in out and "stale-00000000" not in out
        assert "known-00000000" not in out and "13 more" in out
    junit = ET.fromstring(to_junit(report).encode()).findall("testsuite/testcase")
    assert [c.get("name") for c in junit] == [c["id"] for c in report["cases"]]


def test_a_long_traceback_is_cut_to_where_it_raised(verify: Verify) -> None:
    report = report_for(verify, "failed")
    case = next(c for c in report["cases"] if c["verdict"] == "pass")
    frames = [f'  File "impl.py", line {i}, in f{i}\n    f{i + 1}()' for i in range(50)]
    case.update(verdict="errored", got=None, reason="the callable raised RecursionError: deep")
    case["traceback"] = "\n".join(["Traceback (most recent call last):", *frames, "E: deep\n"])
    for out in (to_text(report), to_markdown(report)):
        assert "... 72 lines of the traceback left out (see --format json)" in out
        assert "Traceback (most recent call last)" not in out and "in f35\n" not in out
        assert 'File "impl.py", line 36, in f36' in out
        assert re.search(r"^ *E: deep$", out, re.MULTILINE)
    assert "in f0\n" in to_junit(report)  # (a CI viewer scrolls: the whole traceback)
    Draft202012Validator(report_schema()).validate(report)


def test_the_junit_run_failure_names_what_failed_the_run_first(verify: Verify) -> None:
    """The first note was taken, even one that fails nothing (an exit status after stop)."""
    report = report_for(verify, "passed")
    report["status"] = "failed"
    report["run"]["notes"] = [
        "the implementation did not exit within 1 s of stop",
        "no case ran: the implementation skipped every selected case",
    ]
    root = ET.fromstring(to_junit(report).encode("utf-8"))
    (run,) = [c for c in root.iter("testcase") if c.get("classname") == "run"]
    failure = run.find("failure")
    assert failure is not None
    assert failure.get("message") == "no case ran: the implementation skipped every selected case"
    report["run"]["notes"] = ["the implementation did not exit within 1 s of stop"]
    report["baseline"] = {**(report["baseline"] or {}), "unknown": ["no-such-case-0"]}
    report["baseline"].setdefault("ok", False)
    root = ET.fromstring(to_junit(report).encode("utf-8"))
    (run,) = [c for c in root.iter("testcase") if c.get("classname") == "run"]
    failure = run.find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "the baseline lists ids the corpus does not have: no-such-case-0"
    )
    out = root.find("testsuite/system-out")
    assert out is not None and "note: the baseline lists ids the corpus does not have" in (
        out.text or ""
    )


def test_an_errored_case_without_a_traceback_has_no_empty_detail(verify: Verify) -> None:
    """01d8435 gave every errored case of an adapter a blank detail line (text) and an empty
    fenced block (markdown)."""
    _, text, _ = verify(*SCENARIOS["errored"])
    assert "\n      \n" not in text
    _, markdown, _ = verify(*SCENARIOS["errored"], "--format", "markdown")
    assert "```text\n\n```" not in markdown
