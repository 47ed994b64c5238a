"""``check`` as users run it: files, gzip, stdin, bad input, the report, exit statuses."""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from noetl_events_ref import EnvelopeError, decode_event

from .conftest import Result, run_process, write_lines
from .tricky import BASE, REQUEST_BASE, render

VALID = render(list(BASE.items())).encode()
MISSING = render([(k, v) for k, v in BASE.items() if k != "context"]).encode()
Check = Callable[..., Result]


def reference(line: bytes) -> EnvelopeError | None:
    try:
        decode_event(line)
    except EnvelopeError as e:
        return e
    return None


def test_all_valid_exits_0(tmp_path: Path, check: Check) -> None:
    path = write_lines(tmp_path / "ok.jsonl", [VALID] * 5)
    result = check(str(path), "--format", "json")
    assert result.status == 0
    st = path.stat()
    assert result.json() == {
        "complete": True,
        "sources": [
            {
                "name": str(path),
                "kind": "file",
                "size": st.st_size,
                "device": st.st_dev,
                "inode": st.st_ino,
            }
        ],
        "total": 5,
        "valid": 5,
        "invalid": 0,
        "by_kind": {},
        "by_event_type": {"command.completed": 5},
        "errors": [],
    }


def test_json_report_shape(tmp_path: Path, check: Check) -> None:
    path = write_lines(tmp_path / "mixed.jsonl", [VALID, MISSING, b"", VALID])
    result = check(str(path), "--format", "json")
    assert result.status == 1
    report = result.json()
    assert list(report) == [
        "complete",
        "sources",
        "total",
        "valid",
        "invalid",
        "by_kind",
        "by_event_type",
        "errors",
    ]
    assert (report["total"], report["valid"], report["invalid"]) == (4, 2, 2)
    assert report["by_kind"] == {"missing_field": 1, "syntax": 1}
    assert report["errors"] == [
        {
            "line": 2,
            "kind": "missing_field",
            "path": "$.context",
            "message": reference(MISSING).message,
        },  # type: ignore[union-attr]
        {
            "line": 3,
            "kind": "syntax",
            "path": "$",
            "message": "EOF while parsing a value at line 1 column 0",
        },
    ]
    for error in report["errors"]:
        assert list(error) == ["line", "kind", "path", "message"]


def test_hazards_key_only_with_the_flag(tmp_path: Path, check: Check) -> None:
    path = write_lines(tmp_path / "ok.jsonl", [VALID])
    report = check(str(path), "--format", "json", "--hazards").json()
    assert list(report) == [
        "complete",
        "sources",
        "total",
        "valid",
        "invalid",
        "by_kind",
        "by_event_type",
        "errors",
        "hazards",
    ]
    assert list(report["hazards"]) == ["lines", "by_kind", "items"]
    assert report["hazards"]["by_kind"] == {"unsafe_integer": 2}


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("empty", b"", []),
        ("blank lines", b"\n\n\n", ["syntax"] * 3),
        ("crlf", VALID + b"\r\n" + VALID + b"\r\n", [None, None]),
        ("truncated last line", VALID + b"\n" + VALID[:40], [None, "syntax"]),
        ("no final newline", VALID + b"\n" + VALID, [None, None]),
        (
            "binary garbage",
            bytes(range(256)).replace(b"\n", b"") + b"\n" + VALID + b"\n",
            ["syntax", None],
        ),
        (
            "invalid utf-8",
            VALID.replace(b"fetch_calendar", b"fetch\xff\xfe") + b"\n",
            ["invalid_string"],
        ),
        ("nul bytes", b"\x00\x00\n", ["syntax"]),
        ("bom", b"\xef\xbb\xbf" + VALID + b"\n", ["syntax"]),
        ("only a newline", b"\n", ["syntax"]),
        ("spaces", b"   \n\t\n", ["syntax", "syntax"]),
    ],
)
def test_bad_input_every_line_counted(
    tmp_path: Path, check: Check, name: str, content: bytes, expect: list[str | None]
) -> None:
    path = tmp_path / "input.jsonl"
    path.write_bytes(content)
    report = check(str(path), "--format", "json", "--max-errors", "0").json()
    assert report["total"] == len(expect)
    kinds = {e["line"]: e["kind"] for e in report["errors"]}
    assert [kinds.get(n) for n in range(1, len(expect) + 1)] == expect
    lines = content.split(b"\n")
    if content.endswith(b"\n"):
        lines.pop()
    for error in report["errors"]:  # the reference's verdict, message and all
        e = reference(lines[error["line"] - 1])
        assert e is not None
        assert (error["kind"], error["path"], error["message"]) == (e.kind, e.path, e.message)


def test_a_100_mb_line(tmp_path: Path, check: Check) -> None:
    big = render(
        [(k, json.dumps("x" * 100_000_000) if k == "context" else v) for k, v in BASE.items()]
    ).encode()
    path = tmp_path / "big.jsonl"
    with path.open("wb") as f:
        f.write(VALID + b"\n")
        f.write(big + b"\n")
        f.write(big[:50_000_000] + b"\n")  # cut in the middle of the string
        f.write(VALID + b"\n")
    del big
    report = check(str(path), "--format", "json", "--max-item-size", "128M").json()
    assert (report["total"], report["valid"], report["invalid"]) == (4, 3, 1)
    assert report["errors"][0]["line"] == 3
    assert report["errors"][0]["kind"] == "syntax"
    assert report["errors"][0]["message"].startswith("EOF while parsing a string")


def test_gzip(tmp_path: Path, check: Check) -> None:
    path = tmp_path / "events.jsonl.gz"
    with gzip.open(path, "wb") as f:
        f.write(VALID + b"\n" + MISSING + b"\n" + VALID)
    report = check(str(path), "--format", "json").json()
    assert (report["total"], report["valid"]) == (3, 2)
    assert report["errors"][0]["line"] == 2


def test_gzip_is_told_by_its_first_bytes_not_its_name(tmp_path: Path, check: Check) -> None:
    text = VALID + b"\n" + MISSING + b"\n" + VALID
    packed = tmp_path / "events.jsonl"
    packed.write_bytes(gzip.compress(text))
    plain = tmp_path / "events.gz"
    plain.write_bytes(text)
    for path in (packed, plain):
        report = check(str(path), "--format", "json").json()
        assert (report["total"], report["valid"], report["invalid"]) == (3, 2, 1), path
        assert report["errors"][0]["line"] == 2


class _Trickle(io.RawIOBase):
    """A stream that gives one byte per read, as a slow pipe can."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.data:
            return 0
        buffer[0], self.data = self.data[0], self.data[1:]
        return 1


def test_gzip_on_stdin_is_read_decompressed(check: Check, monkeypatch: pytest.MonkeyPatch) -> None:
    text = VALID + b"\n" + MISSING + b"\n" + VALID + b"\n"
    report = check("-", "--format", "json", stdin=gzip.compress(text)).json()
    assert (report["total"], report["valid"], report["invalid"]) == (3, 2, 1)
    assert report["errors"][0]["line"] == 2
    # its magic bytes arriving one read apart are still told
    stream = io.BufferedReader(_Trickle(gzip.compress(text)), buffer_size=1)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
    assert check("-", "--format", "json").json() == report
    stream = io.BufferedReader(_Trickle(text), buffer_size=1)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
    assert check("-", "--format", "json").json() == report


def test_gzip_on_stdin_real_process() -> None:
    result = run_process(
        ["check", "-", "--format", "json"], stdin=gzip.compress((VALID + b"\n") * 3)
    )
    assert result.status == 0, result.err
    assert result.json()["total"] == 3


def test_corrupt_gzip_on_stdin_is_a_source_error(check: Check) -> None:
    data = gzip.compress((VALID + b"\n") * 1000)
    result = check("-", "--format", "json", stdin=data[: len(data) // 2])
    assert result.status == 3
    report = result.json()
    assert report["incomplete"]["partial"] is True
    assert report["incomplete"]["reason"].startswith(
        f"<stdin>: unreadable gzip data after line {report['total']}: "
    )
    assert report["total"] >= 400
    assert report["invalid"] == 0


def test_corrupt_gzip_is_a_source_error(tmp_path: Path, check: Check) -> None:
    path = tmp_path / "events.jsonl.gz"
    data = gzip.compress((VALID + b"\n") * 1000)
    path.write_bytes(data[: len(data) // 2])
    result = check(str(path), "--format", "json")
    assert result.status == 3  # read in part: the report counts what was readable
    assert "unreadable gzip data" in result.err
    report = result.json()
    assert report["complete"] is False
    assert report["incomplete"]["partial"] is True
    # the position given is the last line read and counted, not an earlier one
    assert f"after line {report['total']} " in report["incomplete"]["reason"]
    assert report["total"] >= 400


def test_stdin(check: Check) -> None:
    result = check("-", "--format", "json", stdin=VALID + b"\n" + MISSING + b"\n")
    assert result.status == 1
    assert result.json()["errors"][0]["line"] == 2


def test_stdin_real_process() -> None:
    result = run_process(["check", "-", "--format", "json"], stdin=(VALID + b"\n") * 3 + b"x")
    assert result.status == 1
    report = json.loads(result.out)
    assert (report["total"], report["invalid"]) == (4, 1)
    assert result.err == ""  # no progress bar when stderr is not a terminal


def test_several_sources_name_the_source(tmp_path: Path, check: Check) -> None:
    a = write_lines(tmp_path / "a.jsonl", [VALID, MISSING])
    b = write_lines(tmp_path / "b.jsonl", [MISSING])
    report = check(str(a), str(b), "--format", "json").json()
    assert [e["line"] for e in report["errors"]] == [f"{a}:2", f"{b}:1"]
    assert report["total"] == 3


def test_sources_may_come_between_and_after_options(tmp_path: Path, check: Check) -> None:
    """`check a.jsonl --max-item-size 10K b.jsonl` was refused: unrecognized arguments."""
    a = write_lines(tmp_path / "a.jsonl", [VALID, VALID])
    b = write_lines(tmp_path / "b.jsonl", [MISSING])
    result = check(str(a), "--max-item-size", "10K", str(b), "--format", "json", "-", stdin=b"")
    assert result.status == 1, result.err
    report = result.json()
    assert [s["name"] for s in report["sources"]] == [str(a), str(b), "<stdin>"]
    assert (report["total"], report["invalid"]) == (3, 1)
    refused = run_process(["check", str(a), "--hazards", "--bogus", str(b)])
    assert refused.status == 2 and "unrecognized arguments: --bogus" in refused.err


def test_max_errors(tmp_path: Path, check: Check) -> None:
    path = write_lines(tmp_path / "bad.jsonl", [MISSING] * 250)
    assert len(check(str(path), "--format", "json").json()["errors"]) == 100
    report = check(str(path), "--format", "json", "--max-errors", "7").json()
    assert [e["line"] for e in report["errors"]] == list(range(1, 8))
    assert report["by_kind"] == {"missing_field": 250}
    assert len(check(str(path), "--format", "json", "--max-errors", "0").json()["errors"]) == 250
    text = check(str(path), "--max-errors", "3").out
    assert "the first 3 of 250" in text


def test_request_mode(tmp_path: Path, check: Check) -> None:
    request = render(list(REQUEST_BASE.items())).encode()
    path = write_lines(tmp_path / "r.jsonl", [request, VALID])
    report = check(str(path), "--as", "request", "--format", "json").json()
    assert report["valid"] == 2  # an ExecutorEvent is also a valid EventRequest
    report = check(str(path), "--format", "json").json()
    assert report["valid"] == 1


def test_text_and_markdown(tmp_path: Path, check: Check) -> None:
    path = write_lines(tmp_path / "m.jsonl", [VALID, MISSING, b"a|b"])
    text = check(str(path)).out
    assert "3 checked, 1 valid, 2 invalid" in text
    assert "2: missing_field at $.context: missing field `context`" in text
    md = check(str(path), "--format", "markdown").out
    assert md.startswith("## ")
    assert "| 3 | 1 | 2 |" in md
    assert "| line | kind | path | message |" in md


def test_output_is_written_atomically(tmp_path: Path, check: Check) -> None:
    path = write_lines(tmp_path / "m.jsonl", [VALID, MISSING])
    out = tmp_path / "report.json"
    out.write_text("old")
    result = check(str(path), "--format", "json", "--output", str(out))
    assert result.status == 1
    assert result.out == ""
    assert json.loads(out.read_text())["invalid"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.jsonl", "report.json"]


def test_exact_gives_the_same_report(tmp_path: Path, check: Check) -> None:
    from .tricky import tricky_lines

    lines = [line for line in tricky_lines() if b"\n" not in line]
    path = write_lines(tmp_path / "t.jsonl", lines)
    fast = check(str(path), "--format", "json", "--max-errors", "0", "--hazards")
    exact = check(str(path), "--format", "json", "--max-errors", "0", "--hazards", "--exact")
    assert fast.status == exact.status == 1
    assert fast.json() == exact.json()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "missing.jsonl: no such file"),
        (["-", "-"], "standard input ('-') can be read only once"),
        (["x.jsonl", "--query", "SELECT 1"], "--query needs a postgresql:// source"),
        (["x.jsonl", "--max-messages", "3"], "--max-messages needs a nats:// source"),
        (["nats://127.0.0.1:1/a/b"], "expected nats://host:port/STREAM"),
    ],
)
def test_usage_errors(
    tmp_path: Path, check: Check, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jsonl").write_bytes(VALID)
    result = check(*args)
    assert result.status == 2
    assert message in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    "args",
    [
        ["--jobs", "0"],
        ["--jobs", "1025"],
        ["--jobs", "9" * 20],
        ["--shard", "4/4"],
        ["--shard", "x"],
        ["--max-errors", "-1"],
        ["--timeout", "0"],
        ["--format", "yaml"],
        ["--as", "batch"],
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str]) -> None:
    path = write_lines(tmp_path / "ok.jsonl", [VALID])
    result = run_process(["check", str(path), *args])
    assert result.status == 2
    assert "usage:" in result.err
    assert "Traceback" not in result.err


def test_directory_is_a_usage_error(tmp_path: Path, check: Check) -> None:
    result = check(str(tmp_path))
    assert result.status == 2
    assert "is a directory" in result.err


def test_help_documents_exit_status_and_blank_lines() -> None:
    result = run_process(["check", "--help"])
    assert result.status == 0
    assert "exit status: 0 complete, every line valid; 1 complete, some line invalid; 2" in (
        result.out
    )
    assert "3 incomplete" in result.out
    assert "A blank" in result.out and "EOF while parsing a value" in result.out


def test_base_install_without_orjson(tmp_path: Path) -> None:
    """Without orjson (the base install) every line goes to the reference: same report."""
    from .tricky import tricky_lines

    path = write_lines(tmp_path / "t.jsonl", [x for x in tricky_lines() if b"\n" not in x][:300])
    code = (
        "import sys; sys.modules['orjson'] = None\n"
        "from conformance.audit import _fast\n"
        "assert not _fast.available() and _fast.event_prover() is None\n"
        "from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    )
    import subprocess
    import sys

    from .conftest import ROOT

    args = ["check", str(path), "--format", "json", "--max-errors", "0"]
    without = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, cwd=ROOT, check=False
    )
    with_orjson = run_process(args)
    assert without.returncode == with_orjson.status == 1, without.stderr
    assert json.loads(without.stdout) == json.loads(with_orjson.out)


@pytest.mark.parametrize(
    ("module", "url", "extra"),
    [
        ("psycopg", "postgresql://x@127.0.0.1:1/db", "postgres"),
        ("nats", "nats://127.0.0.1:1/s", "nats"),
    ],
)
def test_missing_extra_names_it(module: str, url: str, extra: str) -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "check", url],
        capture_output=True,
        cwd=ROOT,
        check=False,
        text=True,
    )
    assert proc.returncode == 2
    assert f"pip install 'noetl-events-conformance[{extra}]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import io

    from conformance.audit._progress import progress_for
    from conformance.audit._run import AuditOptions, run
    from conformance.audit._sources import FileSource

    path = write_lines(tmp_path / "ok.jsonl", [VALID] * 10)
    screen = io.StringIO()
    progress = progress_for(screen, enabled=True)
    tally = run(AuditOptions(), [FileSource.open(str(path), "ok.jsonl")], progress=progress)
    assert tally.valid == 10
    assert type(progress).__name__ == "_RichProgress"
    assert type(progress_for(io.StringIO())).__name__ == "Progress"  # not a terminal: silent


def test_reports_match_the_shipped_schema(tmp_path: Path, check: Check) -> None:
    import jsonschema

    from .conftest import ROOT
    from .tricky import tricky_lines

    schema = json.loads((ROOT / "conformance" / "schemas" / "check-report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    lines = [x for x in tricky_lines() if b"\n" not in x]
    path = write_lines(tmp_path / "t.jsonl", lines)
    other = write_lines(tmp_path / "u.jsonl", lines[:10])
    for args in ([str(path)], [str(path), "--hazards"], [str(path), str(other), "--hazards"]):
        report = check(*args, "--format", "json", "--max-errors", "0").json()
        jsonschema.validate(report, schema)
    # an incomplete report, and the one a failed run leaves at --output
    broken = tmp_path / "broken.jsonl.gz"
    data = gzip.compress((VALID + b"\n") * 1000)
    broken.write_bytes(data[: len(data) // 2])
    report = check(str(broken), "--format", "json").json()
    assert report["complete"] is False
    jsonschema.validate(report, schema)
    output = tmp_path / "report.json"
    assert (
        check(str(tmp_path / "gone.jsonl"), "--format", "json", "--output", str(output)).status == 2
    )
    jsonschema.validate(json.loads(output.read_text()), schema)
    # a too_large line
    big = write_lines(tmp_path / "big.jsonl", [VALID, b"x" * (len(VALID) + 1)])
    report = check(str(big), "--format", "json", "--max-item-size", str(len(VALID))).json()
    assert report["by_kind"] == {"too_large": 1}
    jsonschema.validate(report, schema)


def test_unwritable_output_fails_before_reading(tmp_path: Path, check: Check) -> None:
    path = write_lines(tmp_path / "ok.jsonl", [VALID])
    result = check(str(path), "--output", str(tmp_path / "no" / "such" / "report.txt"))
    assert result.status == 2
    assert "no such folder" in result.err


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    path = write_lines(tmp_path / "bad.jsonl", [MISSING] * 2000)
    code = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    pipeline = (
        f"{sys.executable} -c '{code}' check {path} --max-errors 0 | head -1 >/dev/null; "
        "echo ${PIPESTATUS[0]}"
    )
    proc = subprocess.run(
        ["bash", "-c", pipeline], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert "Traceback" not in proc.stderr
    assert proc.stdout.strip() == "1"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
        (
            "postgresql://u@h/db?password=pw&sslmode=require",
            "postgresql://u@h/db?password=***&sslmode=***",
        ),
        ("postgres://h/db?sslpassword=pw", "postgres://h/db?sslpassword=***"),
        ("nats://tok3n@h:4222/s", "nats://***@h:4222/s"),
        ("nats://u:pw@h:4222/s", "nats://u:***@h:4222/s"),
        ("nats://h:4222/s", "nats://h:4222/s"),
        ("events.jsonl", "events.jsonl"),
    ],
)
def test_secrets_in_urls_are_masked(url: str, shown: str) -> None:
    from conformance.audit._sources import display_url

    assert display_url(url) == shown


def test_a_bad_nats_url_is_a_usage_error(check: Check) -> None:
    result = check("nats://h:notaport/s")
    assert result.status == 2
    assert "Traceback" not in result.err
