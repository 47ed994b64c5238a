"""``check --census``: the shapes of a stream, and how many corpus inputs share each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.cli._main import main

LINES = [
    '{"execution_id":9007199254740993,"event_type":"zz.never.seen","step":"s","status":"ZZ",'
    '"created_at":"2026-01-01T00:00:00.1234Z","context":{},"event_id":null,"worker_id":"w"}',
    '{"execution_id":5,"event_type":"command.completed","step":"s","status":"COMPLETED",'
    '"created_at":"2026-01-01T00:00:00+02:00","payload":{}}',
    "not json",
    "[1,2]",
]


def _census(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    assert main(["check", "--census", "--format", "json", str(path)]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def _rows(report: dict[str, Any], shape: str) -> dict[str, tuple[int, int]]:
    return {r["shape"]: (r["count"], r["in_corpus"]) for r in report["shapes"][shape]}


def test_census_of_a_small_stream(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "stream.jsonl"
    path.write_text("\n".join(LINES) + "\n")
    report = _census(capsys, path)
    assert (report["lines"], report["objects"]) == (4, 2)
    field_sets = _rows(report, "field_sets")
    assert set(field_sets) == {
        "execution_id,event_type,step,status,created_at,context,event_id,worker_id",
        "execution_id,event_type,step,status,created_at,context",
    }
    assert _rows(report, "optionals").keys() == {"worker_id", "-"}
    assert _rows(report, "nulls") == {"event_id": (1, _rows(report, "nulls")["event_id"][1])}
    assert _rows(report, "event_types")["zz.never.seen"] == (1, 0)
    assert _rows(report, "event_types")["command.completed"][1] > 0
    assert _rows(report, "statuses")["ZZ"] == (1, 0)
    assert set(_rows(report, "fractions")) == {"4 digits, Z", "0 digits, offset"}
    assert report["ids"]["execution_id"] == {"min": 5, "max": 9007199254740993, "beyond_2_53": 1}
    zero = [r for rows in report["shapes"].values() for r in rows if r["in_corpus"] == 0]
    assert report["uncovered"] == len(zero) >= 2


def test_census_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "stream.jsonl"
    path.write_text(LINES[0] + "\n")
    assert main(["check", "--census", str(path)]) == 0
    out = capsys.readouterr().out
    assert "!       1  corpus   0  zz.never.seen" in out
    assert out.splitlines()[1].startswith("1 line, 1 JSON object; ")
    assert "execution_id: 9007199254740993 .. 9007199254740993, 1 beyond ±(2^53 - 1)" in out


def test_lines_serde_json_cannot_read_as_an_object_are_not_objects(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A byte order mark, bytes that are not UTF-8 and nesting deeper than Python's stack are
    lines, not objects; the census goes on past them."""
    path = tmp_path / "stream.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + LINES[0].encode()
        + b"\n"
        + b'{"a":"\xff"}\n'
        + b"[" * 100_000
        + b"]" * 100_000
        + b"\n"
        + LINES[1].encode()
        + b"\n"
    )
    report = _census(capsys, path)
    assert (report["lines"], report["objects"]) == (4, 1)


def test_a_census_says_it_is_complete(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "stream.jsonl"
    path.write_text(LINES[1] + "\n")
    report = _census(capsys, path)
    assert next(iter(report)) == "complete"
    assert report["complete"] is True
    assert "incomplete" not in report


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_failed_census_marks_its_output_as_a_census_that_failed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    """An older census at ``--output`` must not look like this run's: it is replaced by a
    census, not by a check report, that says the run failed and why."""
    path = tmp_path / "stream.jsonl"
    path.write_text("\n".join(LINES) + "\n")
    output = tmp_path / "census.out"
    args = ["check", "--census", "--format", fmt, "--output", str(output)]
    assert main([*args, str(path)]) == 0
    missing = tmp_path / "nosuch.jsonl"
    assert main([*args, str(path), str(missing)]) == 2
    assert f"{missing}: no such file" in capsys.readouterr().err
    text = output.read_text()
    if fmt == "text":
        assert "ids:" not in text  # (no heading over nothing)
        assert text.splitlines()[:3] == [
            f"census of {path}, {missing}",
            f"INCOMPLETE: {missing}: no such file",
            "0 lines, 0 JSON objects; 0 shapes the corpus lacks (marked !)",
        ]
        return
    report = json.loads(text)
    assert list(report)[:3] == ["complete", "incomplete", "lines"]
    assert report["complete"] is False
    assert report["incomplete"] == {"reason": f"{missing}: no such file"}
    assert (report["lines"], report["objects"], report["uncovered"]) == (0, 0, 0)
    assert all(rows == [] for rows in report["shapes"].values())


def test_a_census_shows_what_the_stream_holds_without_obeying_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "stream.jsonl"
    path.write_text(LINES[1].replace("command.completed", "x\\n# forged\\u001b[2J") + "\n")
    for fmt in ("text", "markdown"):
        assert main(["check", "--census", "--format", fmt, str(path)]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out
        assert not any(line.lstrip("-! ").startswith("# forged") for line in out.splitlines())
        assert "x\\n# forged\\u001b[2J" in out


def test_a_census_reads_every_spelling_the_crate_reads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """NaN lines were objects; created_at with a space, a lowercase t or +hhmm had no
    fraction width; -2^53-1 was not beyond 2^53 and 2^53 - 1 + 1 was."""
    base = json.loads(LINES[1])
    lines = []
    for stamp in ("2024-01-01 00:00:00Z", "2024-01-01t00:00:00.5z", "2024-01-01T00:00:00+0000"):
        lines.append(json.dumps({**base, "created_at": stamp}))
    lines.append(json.dumps({**base, "execution_id": -(2**53) - 1}))
    lines.append(json.dumps({**base, "execution_id": 2**53 - 1}))
    lines.append('{"execution_id":NaN}')
    lines.append('{"execution_id":1,"step":"\\ud800"}')  # (serde_json refuses a lone surrogate)
    lines.append('{"execution_id":1,"step":"\\ud83d\\ude00"}')  # (a pair is one character)
    path = tmp_path / "stream.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = _census(capsys, path)
    assert (report["lines"], report["objects"]) == (8, 6)
    fractions = _rows(report, "fractions")
    assert fractions["0 digits, Z"][0] == 1 and fractions["1 digits, Z"][0] == 1
    assert fractions["0 digits, offset"][0] == 3
    assert report["ids"]["execution_id"]["beyond_2_53"] == 1


@pytest.mark.parametrize(
    "option",
    [
        ["--shard", "0/2"],
        ["--as", "request"],
        ["--hazards"],
        ["--jobs", "2"],
        ["--exact"],
        ["--engine", "python"],
        ["--max-errors", "5"],
    ],
)
def test_a_census_refuses_what_it_would_ignore(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: list[str]
) -> None:
    """--shard 0/2 was ignored: two CI jobs each counted every line."""
    path = tmp_path / "stream.jsonl"
    path.write_text(LINES[1] + "\n")
    assert main(["check", "--census", *option, str(path)]) == 2
    err = capsys.readouterr().err
    assert f"--census reads every line as it is: it takes no {option[0]}" in err
    # refused before any source is opened, and --output is left as it is
    output = tmp_path / "census.json"
    output.write_text("earlier\n")
    args = ["check", "--census", *option, str(tmp_path / "nosuch.jsonl"), "--output", str(output)]
    assert main(args) == 2
    assert "it takes no" in capsys.readouterr().err
    assert output.read_text() == "earlier\n"
