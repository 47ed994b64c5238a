"""``check`` on files and standard streams under faults: rotation, growth and truncation while
read, hostile sizes, closed or full standard streams, a dangerous ``--output``, interruption.

Each scenario runs the command as a real process and asserts the counts, the exit status, the
completeness verdict, that the source is unchanged, and the process's peak memory."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ._servers import PEAK_RSS_LIMIT, Run, has_open, run_check, wait_until
from .tricky import BASE, render

VALID = render(list(BASE.items())).encode()
MISSING = render([(k, v) for k, v in BASE.items() if k != "context"]).encode()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _report(run: Run) -> Any:
    assert "Traceback" not in run.err, run.err
    return json.loads(run.out)


def _big_file(path: Path, lines: int) -> Path:
    """``lines`` lines, every 10th invalid."""
    with path.open("wb") as f:
        block = b"".join((MISSING if i % 10 == 0 else VALID) + b"\n" for i in range(1000))
        for _ in range(lines // 1000):
            f.write(block)
    return path


def _frozen_once_open(path: Path, action: Any) -> Any:
    """A ``during`` callback: once the process has ``path`` open, freeze it, act, thaw it."""

    def during(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: has_open(proc.pid, path) or proc.poll() is not None)
        proc.send_signal(signal.SIGSTOP)
        try:
            action()
        finally:
            proc.send_signal(signal.SIGCONT)

    return during


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_rotation_while_read_checks_the_file_opened(tmp_path: Path, jobs: str) -> None:
    path = _big_file(tmp_path / "events.jsonl", 200_000)
    before = _digest(path)

    def rotate() -> None:
        path.rename(tmp_path / "events.jsonl.1")
        (tmp_path / "events.jsonl").write_bytes(b"not json\n" * 50_000)

    run = run_check(
        [str(path), "--format", "json", "--jobs", jobs],
        tmp_path,
        during=_frozen_once_open(path, rotate),
    )
    report = _report(run)
    assert run.status == 1
    assert report["complete"] is True
    assert (report["total"], report["invalid"]) == (200_000, 20_000)  # the first file only
    assert report["by_kind"] == {"missing_field": 20_000}
    assert _digest(tmp_path / "events.jsonl.1") == before
    assert run.peak_rss < PEAK_RSS_LIMIT


def test_growth_while_read_is_incomplete_and_the_torn_line_is_not_judged(tmp_path: Path) -> None:
    path = _big_file(tmp_path / "events.jsonl", 100_000)
    with path.open("ab") as f:
        f.write(VALID[:40])  # a line being written

    def grow() -> None:
        with path.open("ab") as f:
            f.write(VALID[40:] + b"\n" + VALID + b"\n")

    run = run_check([str(path), "--format", "json"], tmp_path, during=_frozen_once_open(path, grow))
    report = _report(run)
    assert run.status == 3
    assert report["complete"] is False
    assert report["incomplete"]["partial"] is True
    assert "grew" in report["incomplete"]["reason"]
    assert (report["total"], report["invalid"]) == (100_000, 10_000)  # not the torn line
    assert "incomplete" in run.err


def test_a_gzip_file_that_grows_while_read_is_incomplete(tmp_path: Path) -> None:
    """Its compressed bytes were read to the end, however far: a gzip member appended while it
    was read was checked too, and the report said complete."""
    plain = _big_file(tmp_path / "plain.jsonl", 100_000)
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))

    def grow() -> None:
        with path.open("ab") as f:
            f.write(gzip.compress(b"not json\n" * 10))

    run = run_check([str(path), "--format", "json"], tmp_path, during=_frozen_once_open(path, grow))
    report = _report(run)
    assert run.status == 3
    assert report["complete"] is False
    assert "grew" in report["incomplete"]["reason"]
    assert (report["total"], report["invalid"]) == (100_000, 10_000)  # not the member added


@pytest.mark.parametrize("change", ["finish", "truncate"])
def test_a_gzip_file_changed_mid_member_says_how_it_changed(tmp_path: Path, change: str) -> None:
    """A gzip file opened half-written and finished while read (or cut) was "unreadable gzip
    data": the file was fine, it changed."""
    plain = _big_file(tmp_path / "plain.jsonl", 100_000)
    whole = gzip.compress(plain.read_bytes())
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2] if change == "finish" else whole)

    def alter() -> None:
        if change == "finish":
            path.write_bytes(whole)
        else:
            os.truncate(path, len(whole) // 2)

    run = run_check(
        [str(path), "--format", "json"], tmp_path, during=_frozen_once_open(path, alter)
    )
    report = _report(run)
    assert run.status == 3
    assert ("grew" if change == "finish" else "shrank") in report["incomplete"]["reason"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_truncation_while_read_is_incomplete(tmp_path: Path, jobs: str) -> None:
    path = _big_file(tmp_path / "events.jsonl", 200_000)

    def truncate() -> None:
        os.truncate(path, 1000)

    run = run_check(
        [str(path), "--format", "json", "--jobs", jobs],
        tmp_path,
        during=_frozen_once_open(path, truncate),
    )
    report = _report(run)
    assert run.status == 3
    assert report["complete"] is False
    assert "shrank" in report["incomplete"]["reason"]
    assert report["total"] < 200_000
    # the line the truncation tore is not judged (the file's lines are all JSON): on the
    # Python engine's --jobs 2, a worker judged it, as a syntax error
    assert "syntax" not in report["by_kind"], report["errors"][-1]


def test_a_200_mb_line_is_too_large_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as f:
        f.write(VALID + b"\n")
        chunk = b"x" * (1 << 20)
        for _ in range(200):
            f.write(chunk)
        f.write(b"\n" + VALID + b"\n")
    run = run_check([str(path), "--format", "json"], tmp_path)
    report = _report(run)
    assert run.status == 1
    assert report["complete"] is True
    assert (report["total"], report["valid"]) == (3, 2)
    assert report["by_kind"] == {"too_large": 1}
    assert report["errors"][0]["line"] == 2
    assert f"{200 << 20:,} bytes" in report["errors"][0]["message"]
    assert run.peak_rss < PEAK_RSS_LIMIT


def test_stdin_without_newlines_stays_bounded(tmp_path: Path) -> None:
    producer = subprocess.Popen(["head", "-c", str(300 << 20), "/dev/zero"], stdout=subprocess.PIPE)
    assert producer.stdout is not None
    run = run_check(["-", "--format", "json"], tmp_path, stdin=producer.stdout.fileno())
    producer.stdout.close()
    producer.wait()
    report = _report(run)
    assert run.status == 1
    assert (report["total"], report["by_kind"]) == (1, {"too_large": 1})
    assert run.peak_rss < PEAK_RSS_LIMIT


def _hostile(context: str) -> bytes:
    """A valid envelope whose ``context`` is ``context``, just under the maximum item size."""
    head = render([(k, v) for k, v in BASE.items() if k != "context"])
    line = f'{head[:-1]},"context":{context}}}'.encode()
    assert (4 << 20) - 200_000 < len(line) <= 4 << 20, len(line)
    return line


@pytest.mark.parametrize("engine", ["native", "python"])
@pytest.mark.parametrize(
    ("context", "hazards"),
    [
        ("{" + ",".join(['"a":1'] * 690_000) + "}", 689_999),  # a key repeated
        ("[" + ",".join(["1.50"] * 838_000) + "]", 838_000),  # floats written back otherwise
        ('{"password":"p","x":[' + ",".join(["1"] * 2_090_000) + "]}", 1),  # a secret
    ],
    ids=["repeated-key", "respelled-floats", "secret-and-2M-numbers"],
)
def test_hazards_of_a_hostile_line_stay_within_the_memory_limit(
    tmp_path: Path, engine: str, context: str, hazards: int
) -> None:
    """Hostile lines peaked at 200 to 400 MB with --hazards: every number literal was an object
    of its own in the Python scan, the native scan wrote the texts of all of a line's hazards
    (the report lists 100), and the search for secrets copied every member of the redacted
    value with its path. Same report on either engine (the native one hands the line with a
    secret to the Python scan)."""
    from conformance.audit import _native

    if engine == "native" and not _native.available():
        pytest.skip("the native engine is not built")
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(_hostile(context) + b"\n")
    run = run_check([str(path), "--hazards", "--engine", engine, "--format", "json"], tmp_path)
    report = _report(run)
    assert run.status == 0, run.err
    assert report["valid"] == 1
    assert report["hazards"]["by_kind"].get("unsafe_integer") == 2  # (the envelope's ids)
    assert sum(report["hazards"]["by_kind"].values()) == hazards + 2
    assert len(report["hazards"]["items"]) == min(100, hazards + 2)
    assert run.peak_rss < PEAK_RSS_LIMIT, run.peak_rss >> 20


def test_peak_memory_is_measured(tmp_path: Path) -> None:
    """The measure the limits above rely on does see memory: a 200 MB line allowed whole."""
    path = tmp_path / "line.jsonl"
    path.write_bytes(b"x" * (200 << 20))
    run = run_check([str(path), "--max-item-size", "1G"], tmp_path)
    assert run.status == 1
    assert run.peak_rss > 200 << 20


def test_many_errors_with_max_errors_0_are_counted_not_all_kept(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n" * 300_000)
    run = run_check([str(path), "--format", "json", "--max-errors", "0"], tmp_path)
    report = _report(run)
    assert run.status == 1
    assert report["invalid"] == report["by_kind"]["syntax"] == 300_000
    assert len(report["errors"]) == 100_000
    assert run.peak_rss < PEAK_RSS_LIMIT


@pytest.mark.parametrize(
    ("redirect", "message"),
    [
        ({"stdin": "closed"}, "standard input"),
        ({"stdin": "write-only"}, "cannot read"),
        ({"stdout": "closed"}, "standard output"),
        ({"stdout": "full"}, "standard output"),
    ],
)
def test_closed_or_full_standard_streams(
    tmp_path: Path, redirect: dict[str, str], message: str
) -> None:
    path = _big_file(tmp_path / "events.jsonl", 1000)
    source = "-" if "stdin" in redirect else str(path)
    fds: dict[str, int] = {}
    opened: list[int] = []
    if redirect.get("stdin") == "write-only":
        fds["stdin"] = os.open(path, os.O_WRONLY | os.O_APPEND)
        opened.append(fds["stdin"])
    if redirect.get("stdout") == "full":
        fds["stdout"] = os.open("/dev/full", os.O_WRONLY)
        opened.append(fds["stdout"])
    before = _digest(path)
    # a closed stream: the child starts with that descriptor closed
    closed = [0 if redirect.get("stdin") == "closed" else None]
    closed.append(1 if redirect.get("stdout") == "closed" else None)
    code = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    shell = 'exec "$@"' + (" <&-" if closed[0] == 0 else "") + (" >&-" if closed[1] == 1 else "")
    import sys

    from ._servers import ROOT

    proc = subprocess.run(
        ["sh", "-c", shell, "sh", sys.executable, "-c", code, "check", source],
        stdin=fds.get("stdin", subprocess.DEVNULL),
        stdout=fds.get("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    for fd in opened:
        os.close(fd)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert message in err
    assert "Traceback" not in err
    assert _digest(path) == before


@pytest.mark.parametrize("target", ["source", "symlink", "fifo", "device"])
def test_output_refuses_what_it_must_not_replace(tmp_path: Path, target: str) -> None:
    path = _big_file(tmp_path / "events.jsonl", 1000)
    before = _digest(path)
    output = {
        "source": path,
        "symlink": tmp_path / "link",
        "fifo": tmp_path / "fifo",
        "device": Path("/dev/null"),
    }[target]
    if target == "symlink":
        (tmp_path / "kept.json").write_text("kept")
        output.symlink_to(tmp_path / "kept.json")
    if target == "fifo":
        os.mkfifo(output)
    run = run_check([str(path), "--output", str(output)], tmp_path)
    assert run.status == 2
    assert "Traceback" not in run.err
    assert "--output" in run.err
    assert _digest(path) == before
    if target == "symlink":
        assert output.is_symlink() and (tmp_path / "kept.json").read_text() == "kept"
    if target == "fifo":
        assert output.is_fifo()


def test_a_failed_run_marks_the_stale_report(tmp_path: Path) -> None:
    path = _big_file(tmp_path / "events.jsonl", 1000)
    output = tmp_path / "report.json"
    first = run_check([str(path), "--format", "json", "--output", str(output)], tmp_path)
    assert first.status == 1 and json.loads(output.read_text())["complete"] is True
    path.unlink()
    run = run_check([str(path), "--format", "json", "--output", str(output)], tmp_path)
    assert run.status == 2
    stale = json.loads(output.read_text())
    assert stale["complete"] is False
    assert "no such file" in stale["incomplete"]["reason"]
    assert stale["incomplete"]["source"] == str(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "inf"], "--timeout"),
        (["--timeout", "nan"], "--timeout"),
        (["--max-item-size", "lots"], "--max-item-size"),
    ],
)
def test_bad_values_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    path = _big_file(tmp_path / "events.jsonl", 1000)
    run = run_check([str(path), *args], tmp_path)
    assert run.status == 2
    assert message in run.err
    assert "Traceback" not in run.err


def test_a_name_too_long(tmp_path: Path) -> None:
    run = run_check([str(tmp_path / ("x" * 300))], tmp_path)
    assert run.status == 2
    assert "File name too long" in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize("case", ["unreadable", "no search permission"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_permission_denied(tmp_path: Path, case: str, jobs: str) -> None:
    folder = tmp_path / "private"
    folder.mkdir()
    path = _big_file(folder / "events.jsonl", 1000)
    if case == "unreadable":
        os.chmod(path, 0o000)
    else:
        os.chmod(folder, 0o600)
    try:
        run = run_check([str(path), "--jobs", jobs], tmp_path, unprivileged=os.geteuid() == 0)
    finally:
        os.chmod(folder, 0o700)
    assert run.status == 2
    assert "Permission denied" in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_within_two_seconds(tmp_path: Path, sig: signal.Signals, group: bool) -> None:
    """Sent to the process, or (as Ctrl-C does) to its whole group, workers included."""
    path = _big_file(tmp_path / "events.jsonl", 1_000_000)
    signalled: list[float] = []

    def interrupt(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: has_open(proc.pid, path))
        time.sleep(0.5)
        signalled.append(time.monotonic())
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)

    began = time.monotonic()
    run = run_check([str(path), "--jobs", "2", "--exact"], tmp_path, during=interrupt)
    assert run.status == 130, run.err
    assert "interrupted" in run.err
    assert "Traceback" not in run.err
    # it ends, rather than finishing the file (the time it takes: benchmarks/check.py)
    assert began + run.seconds - signalled[0] < 15


def test_out_of_memory_is_a_clean_failure(tmp_path: Path) -> None:
    """A line allowed far past the default maximum, in a process that cannot hold it."""
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as f:
        f.write(b'["')
        chunk = b"x" * (1 << 20)
        for _ in range(300):
            f.write(chunk)
        f.write(b'"]\n')
    output = tmp_path / "report.json"
    output.write_text('{"complete": true}')
    run = run_check(
        [str(path), "--max-item-size", "1G", "--format", "json", "--output", str(output)],
        tmp_path,
        memory=700 << 20,
    )
    assert run.status == 2
    assert "out of memory" in run.err
    assert "Traceback" not in run.err
    assert json.loads(output.read_text())["complete"] is False  # not judged "other"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_while_waiting_on_standard_input(tmp_path: Path, sig: signal.Signals) -> None:
    """A reader thread still waiting in a read of standard input held the buffered reader's
    lock, and the interpreter aborted at exit (status 134, 'Fatal Python error')."""
    import fcntl
    import struct
    import termios

    read_end, write_end = os.pipe()
    os.write(write_end, render(list(BASE.items())).encode() + b"\n")

    def interrupt(proc: subprocess.Popen[bytes]) -> None:
        def drained() -> bool:  # the lines were read: check now waits for more
            return struct.unpack("i", fcntl.ioctl(read_end, termios.FIONREAD, b"\0" * 4))[0] == 0

        wait_until(drained)
        time.sleep(0.3)
        proc.send_signal(sig)

    try:
        run = run_check(["-", "--format", "json"], tmp_path, stdin=read_end, during=interrupt)
    finally:
        os.close(write_end)
        os.close(read_end)
    assert run.status == 130, run.err
    assert "interrupted" in run.err
    assert "Fatal Python error" not in run.err and "Traceback" not in run.err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_interrupted_report_counts_what_was_checked(tmp_path: Path, jobs: str) -> None:
    """It said total 0 and partial false, whatever had been read before the stop."""
    path = _big_file(tmp_path / "events.jsonl", 1_000_000)
    output = tmp_path / "report.json"

    def interrupt(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: has_open(proc.pid, path))
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)

    args = [str(path), "--exact", "--jobs", jobs, "--format", "json", "--output", str(output)]
    run = run_check(args, tmp_path, during=interrupt)
    assert run.status == 130, run.err
    report = json.loads(output.read_text())
    assert report["complete"] is False
    assert report["incomplete"] == {"source": str(path), "reason": "interrupted", "partial": True}
    assert 0 < report["total"] < 1_000_000  # (every 10th line invalid: see _big_file)
    assert report["invalid"] == report["total"] - report["valid"] > 0
    assert report["sources"][0]["size"] == path.stat().st_size


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def test_an_interrupt_before_a_piece_is_merged_still_says_reading_began(tmp_path: Path) -> None:
    """The Python engine's --jobs 2, stopped while its workers were on their first pieces,
    said "partial": false (the source could not be read at all) and dropped the pieces they
    had finished; now reading began once a piece was handed out, and finished pieces count."""
    path = _big_file(tmp_path / "events.jsonl", 200_000)
    output = tmp_path / "report.json"

    def interrupt(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None)
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)

    args = [str(path), "--engine", "python", "--hazards", "--jobs", "2", "--format", "json"]
    run = run_check([*args, "--output", str(output)], tmp_path, during=interrupt)
    assert run.status == 130, run.err
    report = json.loads(output.read_text())
    assert report["incomplete"] == {"source": str(path), "reason": "interrupted", "partial": True}
    assert report["invalid"] == report["total"] - report["valid"]
    assert report["total"] < 200_000


def test_options_that_cannot_go_together_leave_the_output_alone(tmp_path: Path) -> None:
    """A usage error found before the run wrote a report blaming a healthy source."""
    path = _big_file(tmp_path / "events.jsonl", 1000)
    output = tmp_path / "report.json"
    output.write_text("an older report\n")
    for extra in (["--as", "request", "--engine", "native"], ["--exact", "--engine", "native"]):
        run = run_check([str(path), *extra, "--output", str(output)], tmp_path)
        assert run.status == 2 and "Traceback" not in run.err, run.err
        assert output.read_text() == "an older report\n"


def test_sizes_up_to_one_terabyte_are_taken_as_the_message_says(tmp_path: Path) -> None:
    path = _big_file(tmp_path / "events.jsonl", 1000)
    assert run_check([str(path), "--max-item-size", "1T"], tmp_path).status == 1
    refused = run_check([str(path), "--max-item-size", "2T"], tmp_path)
    assert refused.status == 2 and "must be between 1 byte and 1T: 2T" in refused.err


@pytest.mark.parametrize(
    "extra",
    [
        ["{missing}"],  # a later source that does not open
        ["--query", "select 1"],  # an option refused once the sources are read
        ["--census"],  # the census writes its own report
    ],
)
def test_a_source_named_as_output_is_never_written_whatever_stops_the_run(
    tmp_path: Path, extra: list[str]
) -> None:
    path = _big_file(tmp_path / "events.jsonl", 1000)
    before = _digest(path)
    args = [a.replace("{missing}", str(tmp_path / "nosuch.jsonl")) for a in extra]
    run = run_check([str(path), *args, "--output", str(path)], tmp_path)
    assert run.status == 2, run.err
    assert run.err.endswith(f"--output {path}: is the source {path}; it is not replaced\n")
    assert _digest(path) == before


def test_a_source_read_on_stdin_is_never_written_by_a_failed_run(tmp_path: Path) -> None:
    path = _big_file(tmp_path / "events.jsonl", 1000)
    before = _digest(path)
    with path.open("rb") as stdin:
        run = run_check(
            ["-", str(tmp_path / "nosuch.jsonl"), "--output", str(path)],
            tmp_path,
            stdin=stdin.fileno(),
        )
    assert run.status == 2, run.err
    assert "is the source -; it is not replaced" in run.err
    assert _digest(path) == before


def test_gzip_data_from_a_fifo_is_read_as_it_comes(tmp_path: Path) -> None:
    plain = _big_file(tmp_path / "events.jsonl", 2000)
    fifo = tmp_path / "events.jsonl.gz"
    os.mkfifo(fifo)
    data = gzip.compress(plain.read_bytes())

    def feed() -> None:
        with fifo.open("wb") as f:
            f.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    run = run_check([str(fifo), "--format", "json"], tmp_path)
    writer.join(timeout=30)
    assert run.status in (0, 1), run.err
    piped = json.loads(run.out)
    whole = json.loads(run_check([str(plain), "--format", "json"], tmp_path).out)
    for report in (piped, whole):
        report.pop("sources")
        report.pop("title", None)
    assert piped == whole


def test_the_failed_report_names_the_source_that_did_not_open(tmp_path: Path) -> None:
    path = _big_file(tmp_path / "events.jsonl", 1000)
    folder = tmp_path / "folder"
    folder.mkdir()
    output = tmp_path / "report.json"
    args = [str(path), str(path), str(folder), "--format", "json", "--output", str(output)]
    run = run_check(args, tmp_path)
    assert run.status == 2
    stale = json.loads(output.read_text())
    assert stale["incomplete"] == {
        "source": str(folder),
        "reason": f"{folder}: is a directory",
        "partial": False,
    }


def test_a_file_name_that_is_not_utf8_gives_a_utf8_report(tmp_path: Path) -> None:
    """The name's byte is written as a \\u escape (as verify does), so the JSON report reads
    back with the very name; text and markdown too are UTF-8."""
    path = Path(os.fsdecode(bytes(tmp_path / "events") + b"\xff.jsonl"))
    path.write_bytes(VALID + b"\n{\n")
    for fmt in ("json", "text", "markdown"):
        output = tmp_path / f"r.{fmt}"
        run = run_check([str(path), "--format", fmt, "--output", str(output)], tmp_path)
        assert run.status == 1, run.err
        text = output.read_bytes().decode("utf-8")
        if fmt == "json":
            assert json.loads(text)["sources"][0]["name"] == str(path)
        else:
            assert "events\\udcff.jsonl" in text
