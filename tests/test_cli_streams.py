"""Every command meets a standard output it cannot write with one line and exit status 2,
never a traceback; a reader that stops reading early changes nothing but the output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CODE = "import sys; from conformance.cli import main; sys.exit(main(sys.argv[1:]))"


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", CODE, *args], stderr=subprocess.PIPE, timeout=120, **kwargs
    )  # type: ignore[call-overload, no-any-return]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", [["verify"], ["verify", "--schema", "report"], ["schema", "event"]]
)
def test_a_full_device_is_one_line_and_exit_2(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = _run(args, stdout=full)
    assert done.returncode == 2
    assert done.stderr.decode() == ("noetl-events-conformance: error: No space left on device\n")


@pytest.mark.parametrize(
    ("args", "verdict"),
    [
        (["verify", "--format", "json"], 0),
        (["verify", "--schema", "report"], 0),
        (["schema", "event"], 0),
        (["matrix", "--schema"], 0),
        (["matrix", "--impl", "ref=reference", "--impl", "{server}", "--format", "json"], 1),
        (["diff", "{a}", "{b}"], 1),
        (["diff", "{a}", "{a}"], 0),
        (["check", "{a}", "--max-errors", "0"], 1),
        (["corpus", "lint", "--corpus", "{corpus}"], 1),
        (["corpus", "fmt", "--check", "--corpus", "{corpus}"], 1),
    ],
)
def test_a_reader_that_stops_early_leaves_the_verdict(
    tmp_path: Path, args: list[str], verdict: int
) -> None:
    """``cmd | head``: the reader has what it wanted. No traceback, nothing on standard error,
    and the command's own exit status (a CI step with ``pipefail`` keeps its meaning)."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(f'{{"n":{n}}}\n' for n in range(20_000)), encoding="utf-8")
    b.write_text("".join(f'{{"n":{n + 1}}}\n' for n in range(20_000)), encoding="utf-8")
    server = "server=python-model:tests.matrix.models:ServerRequest"
    corpus = tmp_path / "corpus"  # every case file one byte off its canonical form
    shutil.copytree(Path(__file__).parents[1] / "fixtures", corpus)
    for case in (corpus / "cases").rglob("*.json"):
        case.write_text(case.read_text("utf-8") + " ", "utf-8")
    argv = [x.format(a=a, b=b, server=server, corpus=corpus) for x in args]
    read, write = os.pipe()
    os.close(read)  # nobody will read: the first write breaks the pipe
    try:
        done = _run(argv, stdout=write, cwd=Path(__file__).parents[1])
    finally:
        os.close(write)
    assert b"Traceback" not in done.stderr and b"error:" not in done.stderr  # (corpus: a summary)
    assert done.stderr == b"" or args[0] == "corpus"
    assert done.returncode == verdict


@pytest.mark.parametrize(
    "args",
    [
        ["verify"],
        ["verify", "--format", "json"],
        ["verify", "--schema", "report"],
        ["schema", "event"],
        ["matrix", "--schema"],
        ["matrix", "--impl", "ref=reference", "--count", "0"],
        ["diff", "{a}", "{a}"],
        ["check", "{a}"],
    ],
)
def test_a_closed_standard_output_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    """Started with standard output closed (``>&-``), a command that has something to print
    says so and exits 2: no traceback, and no exit 0 with the output lost."""
    events = tmp_path / "a.jsonl"
    events.write_text("{}\n", encoding="utf-8")
    argv = [a.replace("{a}", str(events)) for a in args]
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-c", CODE, *argv],
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.decode().endswith("standard output is closed\n")
    assert done.stderr.decode().count("\n") == 1
