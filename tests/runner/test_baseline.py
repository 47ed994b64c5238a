"""Baseline rules, one test each: known failures pass the run, anything else about a listed
case (it passes, it errors, it does not exist) or an unlisted failure fails it; and
``--update-baseline`` rewrites the file from a full run, keeping the reasons already written."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.runner._baseline import BaselineError, parse

from ._support import Verify, fake


def float_failures(corpus: Path) -> list[str]:
    """The two cases the float_repr fake gets wrong."""
    return sorted(p.stem for p in (corpus / "cases").rglob("*float*.json"))


def write_baseline(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def run(verify: Verify, baseline: Path, *options: str) -> tuple[int, dict[str, Any]]:
    status, out, _ = verify(
        "--impl", fake("float_repr"), "--baseline", str(baseline), "--format", "json", *options
    )
    return status, json.loads(out)


def test_parse_reads_ids_reasons_comments_and_blank_lines() -> None:
    baseline = parse("# header\n\nabc-12345678  # serializes floats with repr\nxyz-00000000\n")
    assert baseline.entries == {"abc-12345678": "serializes floats with repr", "xyz-00000000": ""}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b # two ids\n", "<baseline>:1: expected one case id"),
        ("a\n# c\na # again\n", "<baseline>:3: a is listed twice"),
    ],
)
def test_parse_rejects_bad_lines(text: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        parse(text)


def test_listed_failures_pass_the_run(verify: Verify, corpus: Path, tmp_path: Path) -> None:
    path = write_baseline(tmp_path / "b.txt", [f"{i}  # floats" for i in float_failures(corpus)])
    status, report = run(verify, path)
    assert status == 0
    assert report["baseline"]["ok"]
    assert report["baseline"]["known_failures"] == float_failures(corpus)


def test_unlisted_failure_fails_the_run(verify: Verify, corpus: Path, tmp_path: Path) -> None:
    first, second = float_failures(corpus)
    status, report = run(verify, write_baseline(tmp_path / "b.txt", [first]))
    assert status == 1
    assert report["baseline"]["new_failures"] == [second]


def test_stale_entry_fails_the_run(verify: Verify, corpus: Path, tmp_path: Path) -> None:
    passing = next((corpus / "cases").rglob("truncated-array-*.json")).stem
    path = write_baseline(tmp_path / "b.txt", [*float_failures(corpus), passing])
    status, report = run(verify, path)
    assert status == 1
    assert report["baseline"]["stale"] == [passing]


def test_a_stale_entry_is_said_plainly_in_every_format(
    verify: Verify, corpus: Path, tmp_path: Path
) -> None:
    """The case passes: no reason to repeat (it has none) and no difference to show."""
    passing = next((corpus / "cases").rglob("small-float-*.json")).stem
    path = write_baseline(tmp_path / "b.txt", [f"{passing}  # floats"])
    options = ("--baseline", str(path), "--format")
    status, out, _ = verify(*options, "junit")
    assert status == 1
    failures = ET.fromstring(out.encode()).findall("testsuite/testcase/failure")
    assert [(f.get("message"), f.text) for f in failures] == [
        (
            "stale baseline entry: the case passes, remove it",
            "the case passes, but the baseline lists it: remove its entry (--update-baseline)",
        )
    ]
    header = (
        f"STALE canonical_value {passing} [required]: the case passes, but the baseline lists "
        "it: remove its entry (--update-baseline)"
    )
    for fmt in ("text", "markdown"):
        status, out, _ = verify(*options, fmt)
        assert status == 1
        assert "None" not in out and "first difference" not in out, fmt
        assert out.count("remove its entry") == 1, fmt
    assert header in verify(*options, "text")[1].splitlines()
    assert (
        f"STALE <code>{passing}</code> (canonical_value, required): the case passes, but the "
        "baseline lists it: remove its entry (--update-baseline)"
    ) in verify(*options, "markdown")[1].splitlines()


def test_listed_case_that_errors_fails_the_run(
    verify: Verify, corpus: Path, tmp_path: Path
) -> None:
    path = write_baseline(tmp_path / "b.txt", float_failures(corpus))
    status, out, _ = verify(
        "--impl", fake("crash_mid_run", 0), "--baseline", str(path), "--format", "json"
    )
    report = json.loads(out)
    assert status == 3
    assert not report["baseline"]["ok"]
    assert report["baseline"]["errored"] == float_failures(corpus)


def test_unknown_id_fails_the_run(verify: Verify, corpus: Path, tmp_path: Path) -> None:
    path = write_baseline(tmp_path / "b.txt", [*float_failures(corpus), "no-such-case-00000000"])
    status, report = run(verify, path)
    assert status == 1
    assert report["baseline"]["unknown"] == ["no-such-case-00000000"]


def test_listed_case_outside_the_selection_is_not_unknown(
    verify: Verify, corpus: Path, tmp_path: Path
) -> None:
    first, second = float_failures(corpus)
    status, report = run(
        verify, write_baseline(tmp_path / "b.txt", [first, second]), "--select", first
    )
    assert status == 0
    assert report["baseline"]["not_selected"] == [second]


def test_update_baseline_keeps_reasons(verify: Verify, corpus: Path, tmp_path: Path) -> None:
    first, second = float_failures(corpus)
    path = write_baseline(tmp_path / "b.txt", [f"{first}  # our own words", "gone-00000000"])
    status, report = run(verify, path, "--update-baseline")
    assert status == 0
    assert report["baseline"]["ok"]
    assert parse(path.read_text(encoding="utf-8")).entries == {
        first: "our own words",
        second: "different output",
    }
    assert {p.name for p in tmp_path.iterdir()} == {"b.txt", "corpus"}  # no temporary file


def test_update_baseline_creates_a_missing_file(verify: Verify, tmp_path: Path) -> None:
    path = tmp_path / "new.txt"
    status, _ = run(verify, path, "--update-baseline")
    assert status == 0
    assert len(parse(path.read_text(encoding="utf-8")).entries) == 2


def test_update_baseline_does_not_make_a_missing_folder(verify: Verify, tmp_path: Path) -> None:
    path = tmp_path / "nodir" / "new.txt"
    status, _, err = verify("--baseline", str(path), "--update-baseline")
    assert status == 2
    assert err.endswith(f"--baseline {path}: no such folder {path.parent}\n")
    assert not path.parent.exists()


def test_update_baseline_refused_with_select(verify: Verify, tmp_path: Path) -> None:
    path = write_baseline(tmp_path / "b.txt", ["x-00000000  # keep"])
    status, out, err = verify("--baseline", str(path), "--update-baseline", "--select", "float")
    assert (status, out) == (2, "")
    assert "--update-baseline needs the whole corpus" in err
    assert path.read_text(encoding="utf-8") == "x-00000000  # keep\n"


def test_update_baseline_not_written_when_the_run_errored(verify: Verify, tmp_path: Path) -> None:
    path = write_baseline(tmp_path / "b.txt", ["x-00000000  # keep"])
    status, _, err = verify(
        "--impl", fake("crash_at_start"), "--baseline", str(path), "--update-baseline"
    )
    assert status == 3
    assert "not updated" in err
    assert path.read_text(encoding="utf-8") == "x-00000000  # keep\n"


def test_update_baseline_writes_one_stable_line_per_entry(verify: Verify, tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    options = ("--impl", fake("multiline_errors"), "--baseline", str(path))
    status, _, _ = verify(*options, "--update-baseline")
    assert status == 0
    first = path.read_text(encoding="utf-8")
    entries = parse(first).entries
    assert entries and set(entries.values()) == {"rejected (other) but should accept"}
    # the next run reads it, and a second update writes the same bytes
    assert verify(*options)[0] == 0
    assert verify(*options, "--update-baseline")[0] == 0
    assert path.read_text(encoding="utf-8") == first


def test_update_baseline_repairs_a_damaged_file(
    verify: Verify, corpus: Path, tmp_path: Path
) -> None:
    first, _ = float_failures(corpus)
    path = write_baseline(
        tmp_path / "b.txt", [f"{first}  # 2 validation errors", "context", "  Field required"]
    )
    status, _, err = verify("--baseline", str(path))
    assert status == 2 and "expected one case id" in err
    status, _, err = verify(
        "--impl", fake("float_repr"), "--baseline", str(path), "--update-baseline"
    )
    assert status == 0, err
    assert "dropping" in err and "b.txt:2" in err and "b.txt:3" in err
    entries = parse(path.read_text(encoding="utf-8")).entries
    assert entries[first] == "2 validation errors" and len(entries) == 2


def test_a_byte_order_mark_is_not_part_of_the_first_id(
    verify: Verify, corpus: Path, tmp_path: Path
) -> None:
    path = tmp_path / "b.txt"
    path.write_bytes(
        b"\xef\xbb\xbf" + "".join(f"{i}  # f\n" for i in float_failures(corpus)).encode()
    )
    status, report = run(verify, path)
    assert status == 0, report["baseline"]
    assert report["baseline"]["known_failures"] == float_failures(corpus)


def test_a_baseline_is_read_bounded(
    verify: Verify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/dev/zero as a baseline (or one that never ends) is refused, not read into memory."""
    from conformance.runner import _baseline

    monkeypatch.setattr(_baseline, "MAX_BASELINE_BYTES", 1 << 20)
    for option in ((), ("--update-baseline",)):
        status, _, err = verify("--baseline", "/dev/zero", *option)
        assert status == 2
        assert (
            err == "noetl-events-conformance: error: /dev/zero: over 1 MiB: not a baseline file\n"
        )


@pytest.mark.parametrize("cause", ["nothing ran", "unknown id"])
def test_junit_fails_when_the_run_fails_though_no_case_did(
    verify: Verify, tmp_path: Path, cause: str
) -> None:
    """Exit 1 with a JUnit file of no failure: a CI view showed green for a failed gate."""
    if cause == "nothing ran":
        options: tuple[str, ...] = ("--impl", fake("skip_all"))
        said = "no case ran: "
    else:
        path = write_baseline(tmp_path / "b.txt", ["no-such-case-00000000  # x"])
        options = ("--baseline", str(path))
        said = "the baseline lists ids the corpus does not have: no-such-case-00000000"
    status, out, _ = verify(*options, "--format", "junit")
    assert status == 1
    root = ET.fromstring(out.split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    assert (root.get("failures"), suite.get("failures")) == ("1", "1")
    (run,) = [c for c in suite.iter("testcase") if c.get("classname") == "run"]
    failure = run.find("failure")
    assert failure is not None and failure.get("type") == "run"
    assert (failure.get("message") or "").startswith(said)
    assert int(suite.get("tests") or 0) == len(list(suite.iter("testcase")))
