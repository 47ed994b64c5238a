"""The report of a run: one JSON document (``schemas/report.schema.json``), and views of it.

Every format is rendered from the JSON report, never from the run itself, so the text table, the
JUnit file, the CI summary and the badge cannot disagree with the machine-readable record.
The human views (text, markdown) live in ``_report_views``; this module builds the document and
renders the machine ones (json, junit, badge).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

from conformance.corpus._case import LEVELS, OPS, Case
from conformance.runner._runner import CaseResult, RunOutcome

__all__ = [
    "FORMATS",
    "RunStatus",
    "badge",
    "build",
    "corpus_info",
    "kit_version",
    "report_schema",
    "run_status",
    "to_junit",
]

KIT_NAME: Final = "noetl-events-conformance"
FORMATS: Final = ("text", "json", "junit", "markdown", "badge")
RunStatus = Literal["passed", "failed", "errored"]
_COUNTS: Final = (
    ("pass", "passed"),
    ("fail", "failed"),
    ("skipped", "skipped"),
    ("errored", "errored"),
)


def kit_version() -> str:
    from noetl_events_ref._adapter import distribution_version

    return distribution_version()


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema of the json report (what ``verify --schema report`` prints)."""
    text = (resources.files("conformance") / "schemas" / "report.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def corpus_info(corpus_dir: Path) -> dict[str, str]:
    """The digest of the corpus's case files as they are, and the version its manifest gives
    when the manifest describes those files (``unknown`` without a manifest, or when a case
    file changed since it was written: then it is not that version)."""
    from conformance.corpus._corpus import MANIFEST_NAME, corpus_digest

    digest = corpus_digest(corpus_dir)
    try:
        manifest = json.loads((corpus_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        version = manifest["corpus_version"]
        if isinstance(version, str) and manifest["sha256"] == digest:
            return {"version": version, "sha256": digest}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return {"version": "unknown", "sha256": digest}


def _counts(verdicts: Iterable[str]) -> dict[str, Any]:
    seen = Counter(verdicts)
    counts: dict[str, Any] = {"total": sum(seen.values())}
    counts.update({plural: seen[verdict] for verdict, plural in _COUNTS})
    return counts


def _grouped(
    results: Sequence[CaseResult], keys: Iterable[str], key_of: Callable[[Case], Iterable[str]]
) -> dict[str, Any]:
    """Counts per group, in ``keys`` order (then any other key met); empty groups left out."""
    groups: dict[str, list[str]] = {k: [] for k in keys}
    for r in results:
        for k in key_of(r.case):
            groups.setdefault(k, []).append(r.verdict)
    return {k: _counts(v) for k, v in groups.items() if v}


def _case_json(result: CaseResult, listed: Mapping[str, str]) -> dict[str, Any]:
    case = result.case
    shown: dict[str, Any] = {
        "id": case.id,
        "op": case.op,
        "level": case.level,
        "tags": list(case.tags),
        "verdict": result.verdict,
        "reason": result.reason,
        "baselined": case.id in listed,
        "expected": case.expect_json(),
        "got": result.got.to_json() if result.got is not None else None,
    }
    if result.detail is not None:  # an in-process callable raised on this case
        shown["traceback"] = result.detail
    return shown


def build(
    outcome: RunOutcome,
    *,
    corpus: Mapping[str, str],
    run: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    listed: Mapping[str, str],
) -> dict[str, Any]:
    """The json report. ``run`` holds the options the run was made with; ``baseline`` is the
    baseline check (``None`` without a baseline file) and ``listed`` its entries."""
    results = outcome.results
    summary = _counts(r.verdict for r in results)
    summary["by_op"] = _grouped(results, OPS, lambda c: (c.op,))
    summary["by_level"] = _grouped(results, LEVELS, lambda c: (c.level,))
    summary["by_tag"] = _grouped(
        results, sorted({t for r in results for t in r.case.tags}), lambda c: c.tags
    )
    notes = list(outcome.notes)
    ran = Counter(r.case.op for r in results if r.verdict in ("pass", "fail"))
    if results and not ran and not any(r.verdict == "errored" for r in results):
        # (when cases errored, the error says why none ran)
        notes.append(
            "no case ran: the implementation skipped every selected case, declaring none of "
            "their ops or answering each one skipped (a run that tests nothing does not pass)"
        )
    notes += [
        f"no case of {op} ran, and it was asked for (--op)"
        for op in run.get("ops") or ()
        if not ran[op]
    ]
    report = {
        "kit": {"name": KIT_NAME, "version": kit_version()},
        "corpus": {**corpus, "cases": len(results)},
        "implementation": dict(outcome.implementation),
        "run": {
            **run,
            "seconds": round(outcome.seconds, 6),
            "error": outcome.error,
            "stderr_tail": outcome.stderr_tail,
            "notes": notes,
        },
        "summary": summary,
        "cases": [_case_json(r, listed) for r in results],
        "baseline": dict(baseline) if baseline is not None else None,
    }
    report["status"] = run_status(report)
    return report


def run_status(report: Mapping[str, Any]) -> RunStatus:
    """``errored`` if any case errored; else ``failed`` on an unexpected failure, a baseline
    problem (stale entry, unknown id), or a run that executed no case (of an op asked for with
    ``--op``, or at all); else ``passed``."""
    summary = report["summary"]
    if summary["errored"]:
        return "errored"
    by_op = summary["by_op"]
    asked = report["run"].get("ops") or ()
    if (summary["total"] and not summary["passed"] + summary["failed"]) or any(
        not (by_op.get(op, {}).get("passed", 0) + by_op.get(op, {}).get("failed", 0))
        for op in asked
    ):
        return "failed"
    baseline = report["baseline"]
    if baseline is not None:
        return "passed" if baseline["ok"] else "failed"
    return "failed" if summary["failed"] else "passed"


def to_json(report: Mapping[str, Any]) -> str:
    """The report as JSON text; a lone surrogate an implementation answered is kept as its
    ``\\uXXXX`` escape, so the text is always valid UTF-8 and means the same strings."""
    from conformance.core._diff import escape_surrogates

    return escape_surrogates(json.dumps(report, ensure_ascii=False, indent=2)) + "\n"


def badge(report: Mapping[str, Any]) -> str:
    """A shields.io endpoint document: green when everything passed, yellow when only known
    (baselined) failures remain, red otherwise."""
    summary, status = report["summary"], report["status"]
    if status == "passed":
        color = "yellow" if summary["failed"] else "brightgreen"
    else:
        color = "red"
    doc: dict[str, Any] = {
        "schemaVersion": 1,
        "label": "noetl-events conformance",
        "message": f"{summary['passed']}/{summary['total']} passed",
        "color": color,
    }
    if status == "errored":
        doc["isError"] = True
    return json.dumps(doc) + "\n"


# ---- JUnit ---------------------------------------------------------------------------------------

# JUnit for CI tools: testsuites > testsuite > testcase (classname = op, name = case id), with
# failure / error / skipped children. A baselined failure is reported as skipped (as pytest does
# for xfail) and a stale baseline entry as a failure, so the CI view matches the exit status.


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot carry control characters, lone surrogates or U+FFFE/U+FFFF: escape them."""
    return "".join(
        ch
        if ch in "\t\n\r"
        or "\x20" <= ch <= "\ud7ff"
        or "\ue000" <= ch <= "\ufffd"
        or ch >= "\U00010000"
        else f"\\u{ord(ch):04x}"
        for ch in text
    )


def _junit_detail(case: Mapping[str, Any]) -> str:
    """Reason, then both texts in full (CI viewers show long lines), then where they part; a
    callable's traceback in full; for a stale baseline entry, only what to do about it."""
    from ._views import STALE, difference, expect_text

    if case["verdict"] == "pass":  # (a stale entry: the case passes, there is no difference)
        return STALE
    expected = expect_text(case["expected"])
    lines = [f"reason:   {case['reason']}", f"expected: {expected}"]
    if case["got"] is not None:
        got = expect_text(case["got"])
        lines += [
            f"got:      {got}",
            f"first difference at byte offset {difference(expected, got)[3]}",
        ]
    if case.get("traceback"):
        lines += ["", case["traceback"].rstrip()]
    return "\n".join(lines)


def _junit_case(suite: ET.Element, case: Mapping[str, Any], tally: Counter[str]) -> None:
    element = ET.SubElement(
        suite, "testcase", classname=case["op"], name=_xml_safe(case["id"]), time="0"
    )
    verdict, reason = case["verdict"], _xml_safe(case["reason"] or "")
    if verdict == "fail" and case["baselined"]:
        child, message = "skipped", f"known failure (baseline): {reason}"
    elif verdict == "pass" and case["baselined"]:
        child, message = "failure", "stale baseline entry: the case passes, remove it"
    else:
        child, message = (
            {"fail": "failure", "errored": "error", "skipped": "skipped"}.get(verdict, ""),
            reason,
        )
    if not child:
        return
    tally[child] += 1
    sub = ET.SubElement(element, child, message=message[:500])
    if child != "skipped":
        sub.set("type", verdict)
        sub.text = _xml_safe(_junit_detail(case))


def _run_problems(report: Mapping[str, Any]) -> list[str]:
    """What fails a run besides its cases: its notes (no case ran...) and the baseline's ids
    the corpus does not have."""
    notes = report["run"]["notes"]
    # what fails a run (nothing ran, unknown ids) before the other notes (an exit status
    # after stop, say)
    problems = [note for note in notes if note.startswith("no case")]
    baseline = report["baseline"]
    if baseline is not None and baseline["unknown"]:
        ids = ", ".join(baseline["unknown"][:10]) + (" …" if len(baseline["unknown"]) > 10 else "")
        problems.append(f"the baseline lists ids the corpus does not have: {ids}")
    return problems + [note for note in notes if not note.startswith("no case")]


def to_junit(report: Mapping[str, Any]) -> str:
    impl = report["implementation"]
    name = f"noetl-events conformance: {impl.get('name', 'implementation')}"
    root = ET.Element("testsuites", name="noetl-events conformance")
    suite = ET.SubElement(root, "testsuite", name=_xml_safe(name))
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("kit.version", report["kit"]["version"]),
        ("corpus.version", report["corpus"]["version"]),
        ("corpus.sha256", report["corpus"]["sha256"]),
        ("implementation", json.dumps(impl, ensure_ascii=False)),
        ("status", report["status"]),
    ):
        ET.SubElement(properties, "property", name=key, value=_xml_safe(str(value)))
    tally: Counter[str] = Counter()
    for case in report["cases"]:
        _junit_case(suite, case, tally)
    run = report["run"]
    problems = _run_problems(report)
    if report["status"] == "failed" and not tally["failure"]:
        # The run failed though no case did (it tested nothing, or the baseline names ids the
        # corpus does not have): one testcase says so, so that the CI view matches the exit.
        element = ET.SubElement(suite, "testcase", classname="run", name="run", time="0")
        why = problems[0] if problems else "the run failed"
        failure = ET.SubElement(element, "failure", message=_xml_safe(why)[:500], type="run")
        failure.text = _xml_safe("\n".join(problems) or why)
        tally["failure"] += 1
        tally["tests"] += 1
    if problems:  # (the run's notes, and the baseline's unknown ids, even beside failures)
        out = ET.SubElement(suite, "system-out")
        out.text = _xml_safe("\n".join(f"note: {problem}" for problem in problems))
    if run["error"] or run["stderr_tail"]:
        err = ET.SubElement(suite, "system-err")
        err.text = _xml_safe(f"run error: {run['error']}\n\nstderr tail:\n{run['stderr_tail']}")
    counts = {
        "tests": str(len(report["cases"]) + tally["tests"]),
        "failures": str(tally["failure"]),
        "errors": str(tally["error"]),
        "skipped": str(tally["skipped"]),
        "time": f"{run['seconds']:.3f}",
    }
    for element in (root, suite):
        for key, value in counts.items():
            if element is suite or key != "skipped":
                element.set(key, value)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# ---- files ---------------------------------------------------------------------------------------
