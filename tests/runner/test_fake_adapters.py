"""Each misbehaving adapter gets the right verdicts and exit status, quickly, and the kit leaves
no process behind: a broken adapter is ``errored`` (exit 3) with a reason and its stderr tail,
never a wrong answer; a subtly wrong one fails (exit 1); a skipping one is skipped (exit 0)."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.corpus._case import Case

from ._support import Verify, fake, reference_case, write_corpus

FAST = ("--timeout", "0.5", "--format", "json")


def run_fake(
    verify: Verify,
    name: str,
    *args: object,
    options: tuple[str, ...] = FAST,
    corpus_dir: Path | None = None,
) -> tuple[int, dict[str, Any]]:
    extra = {"corpus_dir": corpus_dir} if corpus_dir is not None else {}
    status, out, _ = verify("--impl", fake(name, *args), *options, **extra)
    return status, json.loads(out)


def counts(report: dict[str, Any]) -> tuple[int, int, int, int]:
    s = report["summary"]
    return s["passed"], s["failed"], s["skipped"], s["errored"]


@pytest.mark.parametrize(
    ("name", "args", "expected", "reason"),
    [
        pytest.param(
            "crash_at_start",
            (),
            (0, 0, 0, 8),
            "handshake failed: stdout closed before the start response: "
            "the implementation exited with status 127",
            id="crash-at-start",
        ),
        pytest.param(
            "crash_mid_run",
            (2,),
            (2, 0, 0, 6),
            r"stdout closed before the response to seq 3 .*exited with status 3",
            id="crash-mid-run",
        ),
        pytest.param(
            "hang",
            ("start",),
            (0, 0, 0, 8),
            r"timed out after 0.5 s \(--timeout\) waiting for the start response",
            id="hang-at-handshake",
        ),
        pytest.param(
            "hang",
            (2,),
            (2, 0, 0, 6),
            r"timed out after 0.5 s \(--timeout\) waiting for the response to seq 3",
            id="hang-mid-run",
        ),
        pytest.param(
            "garbage", ("start",), (0, 0, 0, 8), "the start response is not JSON", id="bad-hello"
        ),
        pytest.param(
            "garbage",
            (1,),
            (1, 0, 0, 7),
            r"the response to seq 2 \(case .*\) is not JSON",
            id="garbage",
        ),
        pytest.param(
            "close_stdout",
            (1,),
            (1, 0, 0, 7),
            "stdout closed before the response to seq 2 .*still running",
            id="close",
        ),
        pytest.param(
            "wrong_version",
            (),
            (0, 0, 0, 8),
            r"declined protocol 1 \(it speaks protocol 2\)",
            id="declines-protocol",
        ),
        pytest.param(
            "wrong_version",
            ("ready",),
            (0, 0, 0, 8),
            "answered ready for protocol 2",
            id="claims-protocol-2",
        ),
        pytest.param(
            "wrong_seq",
            (2,),
            (1, 0, 0, 7),
            r"responses out of order: expected seq 2 \(case [a-z0-9-]+\), got seq 9",
            id="wrong-seq",
        ),
        pytest.param(
            "malformed", (1,), (0, 0, 0, 8), "malformed response to seq 1", id="malformed"
        ),
        pytest.param(
            "bent",
            ("no-seq", 2),
            (1, 0, 0, 7),
            r"^responses out of order: expected seq 2 \(case [a-z0-9-]+\), got a response without `seq`$",
            id="no-seq",
        ),
        pytest.param(
            "bent",
            ("string-seq", 2),
            (1, 0, 0, 7),
            r'^responses out of order: expected seq 2 \(case [a-z0-9-]+\), got seq "2"$',
            id="string-seq",
        ),
        *(
            pytest.param(
                "bent",
                (shape,),
                (0, 0, 0, 8),
                r"malformed response to seq 1 \(case [a-z0-9-]+\): expected ok:true with a string `output`, "
                r"ok:false with `error` \{kind, message\}, or skipped:true with a string "
                r"`reason`, and no key of another of these shapes; got \{",
                id=shape,
            )
            for shape in (
                "skip-without-reason",
                "skip-with-output",
                "skipped-false",
                "output-and-error",
                "error-and-output",
                "error-without-kind",
            )
        ),
        pytest.param(
            "endless_line", (), (0, 0, 0, 8), "a response line longer than 64 MiB", id="endless"
        ),
    ],
)
def test_broken_adapter_is_errored(
    verify: Verify, name: str, args: tuple[object, ...], expected: tuple[int, ...], reason: str
) -> None:
    # The endless line must trip the 64 MiB cap, not the per-request timeout: give it a
    # timeout a loaded machine cannot reach first (the cap still ends it within seconds).
    options = (*FAST, "--timeout", "30") if name == "endless_line" else FAST
    began = time.monotonic()
    status, report = run_fake(verify, name, *args, options=options)
    assert time.monotonic() - began < (20 if name == "endless_line" else 5)
    assert status == 3
    assert report["status"] == "errored"
    assert counts(report) == expected
    assert re.search(reason, report["run"]["error"]), report["run"]["error"]
    errored = [c for c in report["cases"] if c["verdict"] == "errored"]
    assert errored[0]["reason"] == report["run"]["error"]
    assert all(c["got"] is None for c in errored)
    # the error says why no case ran: no note blames the implementation's ops
    assert not any(n.startswith("no case ran") for n in report["run"]["notes"])


def test_the_text_report_lists_first_the_case_the_run_errored_on(verify: Verify) -> None:
    status, report = run_fake(verify, "malformed", 1)
    first = next(c for c in report["cases"] if c["verdict"] == "errored")
    culprit, level = first["id"], first["level"]
    assert f"(case {culprit})" in report["run"]["error"]
    status, out, _ = verify("--impl", fake("malformed", 1), "--timeout", "0.5")
    assert status == 3
    listed = [line for line in out.splitlines() if line.startswith("ERROR ")]
    assert listed[0].endswith(
        f"{culprit} [{level}]: the implementation errored on this case (below)"
    )


def test_an_error_kind_outside_the_wire_contract_fails_its_cases(verify: Verify) -> None:
    """Graded, not errored: the answer is a rejection, of a kind no case expects; only
    --validate-protocol refuses the message itself."""
    status, report = run_fake(verify, "bent", "unknown-kind")
    assert status == 1
    failed = [c for c in report["cases"] if c["verdict"] == "fail"]
    expected = {
        f"different error kind: expected {c['expected']['error']['kind']}, got "
        f"{c['expected']['error']['kind'].title()} (not an error kind of the wire contract)"
        for c in failed
    }
    assert failed and {c["reason"] for c in failed} == expected
    assert counts(report) == (8 - len(failed), len(failed), 0, 0)
    status, report = run_fake(
        verify, "bent", "unknown-kind", options=(*FAST, "--validate-protocol")
    )
    assert status == 3
    assert "does not match run-response.schema.json" in report["run"]["error"]


def test_stderr_tail_is_in_the_report(verify: Verify) -> None:
    _, report = run_fake(verify, "crash_mid_run", 2)
    assert "panicked at request 3: index out of bounds" in report["run"]["stderr_tail"]


def _alive(pid: int) -> bool:
    """Running, and not a zombie: a killed grandchild is left to init to reap, which some
    containers' init does lazily."""
    if not Path("/proc/self/stat").exists():  # no procfs: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_hung_adapter_and_its_children_are_killed(verify: Verify) -> None:
    _, report = run_fake(verify, "hang", 1)
    pids = [int(p) for p in re.findall(r"pids (\d+) (\d+)", report["run"]["stderr_tail"])[0]]
    deadline = time.monotonic() + 2
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.01)  # SIGKILL is asynchronous
    assert not any(map(_alive, pids))


def test_whole_run_timeout(verify: Verify) -> None:
    status, report = run_fake(
        verify, "hang", 2, options=("--timeout", "30", "--run-timeout", "0.5", "--format", "json")
    )
    assert status == 3
    assert "took longer than 0.5 s (--run-timeout)" in report["run"]["error"]


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 cases with 8 KB inputs: more than the pipelining window, and more than a pipe holds."""
    cases: list[Case] = [
        reference_case(
            f"big {i}", "canonical_value", json.dumps(["x" * 8000, i]), None, "required", ("big",)
        )
        for i in range(600)
    ]
    return write_corpus(tmp_path_factory.mktemp("big"), cases)


def test_hang_with_a_full_stdin_pipe_does_not_deadlock(verify: Verify, big_corpus: Path) -> None:
    began = time.monotonic()
    status, report = run_fake(verify, "hang", 0, corpus_dir=big_corpus)
    assert time.monotonic() - began < 5
    assert status == 3
    assert counts(report) == (0, 0, 0, 600)


def test_pipelining_beyond_the_window(verify: Verify, big_corpus: Path) -> None:
    status, out, _ = verify(
        "--impl", fake("stderr_spam"), "--format", "json", corpus_dir=big_corpus
    )
    assert status == 0, out
    assert counts(json.loads(out)) == (600, 0, 0, 0)


def test_stderr_spam_does_not_deadlock(verify: Verify) -> None:
    status, report = run_fake(verify, "stderr_spam")
    assert status == 0
    assert counts(report) == (8, 0, 0, 0)
    tail = report["run"]["stderr_tail"]
    assert len(tail.encode()) <= 4096
    assert tail.endswith("done with request 8\n")


def test_skipping_adapter_is_skipped_and_a_run_of_no_case_fails(verify: Verify) -> None:
    status, report = run_fake(verify, "skip_all")
    assert status == 1
    assert report["status"] == "failed"
    assert counts(report) == (0, 0, 8, 0)
    assert report["cases"][0]["got"] == {"skipped": {"reason": "not implemented yet"}}
    assert any(n.startswith("no case ran") for n in report["run"]["notes"])


def test_an_adapter_declaring_no_op_fails_with_a_red_badge(verify: Verify) -> None:
    status, report = run_fake(verify, "no_ops")
    assert status == 1 and report["status"] == "failed"
    assert counts(report) == (0, 0, 8, 0)
    status, badge, _ = verify("--impl", fake("no_ops"), "--format", "badge")
    assert status == 1
    assert json.loads(badge)["color"] == "red"


def test_a_misspelt_op_is_refused_at_handshake(verify: Verify) -> None:
    status, report = run_fake(verify, "misspelt_ops")
    assert status == 3 and report["status"] == "errored"
    assert "unknown ops 'decode_events'" in report["run"]["error"]


def test_an_op_asked_for_that_runs_no_case_fails_the_run(verify: Verify) -> None:
    status, report = run_fake(
        verify, "partial_ops", options=(*FAST, "--op", "decode_event", "--op", "canonical_value")
    )
    assert status == 1 and report["status"] == "failed"
    assert "no case of decode_event ran, and it was asked for (--op)" in report["run"]["notes"]
    status, report = run_fake(verify, "partial_ops", options=(*FAST, "--op", "canonical_value"))
    assert status == 0 and report["summary"]["total"] == 4


def test_undeclared_ops_are_skipped_without_being_sent(verify: Verify) -> None:
    status, report = run_fake(verify, "partial_ops")  # it dies if sent another op
    assert status == 0
    by_op = report["summary"]["by_op"]
    assert by_op["canonical_value"]["passed"] == 4
    assert by_op["decode_event"]["skipped"] == 3
    skipped = [c for c in report["cases"] if c["verdict"] == "skipped"]
    assert {c["reason"] for c in skipped} == {"op not declared by the implementation"}
    assert all(c["got"] is None for c in skipped)


def test_subtly_wrong_adapter_fails(verify: Verify) -> None:
    status, report = run_fake(verify, "float_repr")
    assert status == 1
    assert report["status"] == "failed"
    failed = [c for c in report["cases"] if c["verdict"] == "fail"]
    assert {c["id"].rsplit("-", 1)[0] for c in failed} == {"small-float", "event-float-in-context"}
    assert all(c["reason"] == "different output" for c in failed)
    assert "1e-05" in failed[0]["got"]["output"]


def test_unstartable_command_is_errored(verify: Verify, tmp_path: Path) -> None:
    broken = tmp_path / "not-a-program"
    broken.write_bytes(b"\x00\x01 not an executable format")
    broken.chmod(0o755)
    status, out, _ = verify("--impl", str(broken), "--format", "json")
    assert status == 3
    assert "cannot start" in json.loads(out)["run"]["error"]


def test_a_mistyped_command_is_one_usage_error(verify: Verify, tmp_path: Path) -> None:
    status, out, err = verify("--impl", str(tmp_path / "no-such-adapter"), "--format", "json")
    assert (status, out) == (2, "")
    assert f"no such file {tmp_path / 'no-such-adapter'}" in err
    status, out, err = verify("--impl", str(tmp_path), "--format", "json")
    assert (status, out) == (2, "")
    assert f"{tmp_path} is a folder, not a program" in err


@pytest.mark.parametrize("content", [b"import sys\nprint('hi')\n", b""])
def test_a_script_without_a_shebang_is_one_usage_error(
    verify: Verify, tmp_path: Path, content: bytes
) -> None:
    """The system refuses to run it (exec format error): it was exit 3 and an ERROR line for
    every case of the corpus."""
    script = tmp_path / "my_adapter.py"
    script.write_bytes(content)
    script.chmod(0o755)
    status, out, err = verify("--impl", str(script), "--format", "json")
    assert (status, out) == (2, "")
    assert err == (
        f"noetl-events-conformance: error: --impl {str(script)!r}: {script} is a script "
        "without a `#!` first line, so it cannot be run as a program: add one "
        f"(`#!/usr/bin/env python3`), or give its interpreter (`python3 {script}`)\n"
    )
    script.write_bytes(b"#!" + sys.executable.encode() + b"\n" + content)
    status, out, _ = verify("--impl", str(script), "--format", "json")
    assert status == 3  # it runs (and speaks no protocol)
    assert "cannot start" not in json.loads(out)["run"]["error"]


def test_a_complete_run_ends_with_the_protocols_stop(verify: Verify) -> None:
    """protocol.md: the kit sends {"cmd":"stop"} and the adapter exits 0; a run that went
    well ends that way rather than by a kill, and an adapter that then exits badly is noted."""
    status, report = run_fake(verify, "stop_status", 0)
    assert status == 0
    assert "got stop" in report["run"]["stderr_tail"]
    assert report["run"]["notes"] == []
    status, report = run_fake(verify, "stop_status", 7)
    assert status == 0  # every case passed; the exit status is noted, not judged
    assert report["run"]["notes"] == [
        "after stop, the implementation exited with status 7 (expected 0)"
    ]


def test_an_adapter_that_does_not_exit_after_stop_is_noted_and_killed(verify: Verify) -> None:
    """protocol.md §End: waited for up to --timeout (5 s at most), then killed; a note, not a
    failure."""
    began = time.monotonic()
    status, report = run_fake(verify, "stop_status", "hang")
    assert time.monotonic() - began < 5
    assert status == 0
    assert counts(report) == (8, 0, 0, 0)
    assert report["run"]["notes"] == ["the implementation did not exit within 0.5 s of stop"]


def test_tag_selects_cases_carrying_any_of_the_tags(verify: Verify) -> None:
    status, out, _ = verify("--tag", "numbers", "--tag", "syntax", "--format", "json")
    assert status == 0
    report = json.loads(out)
    assert sorted(c["id"].rsplit("-", 1)[0] for c in report["cases"]) == [
        "event-float-in-context",
        "small-float",
        "truncated-array",
    ]
    assert report["run"]["tags"] == ["numbers", "syntax"]
    status, _, err = verify("--tag", "no-such-tag")
    assert status == 2 and "--tag no-such-tag" in err


def test_an_adapter_that_answers_without_reading_is_not_waited_on(
    verify: Verify, big_corpus: Path
) -> None:
    """Every case answered, none of the requests read: the kit wrote the stop request into the
    full pipe, and waited there forever (past --run-timeout), leaving the adapter running."""
    began = time.monotonic()
    status, report = run_fake(verify, "deaf", 600, corpus_dir=big_corpus)
    assert time.monotonic() - began < 10
    assert counts(report) == (0, 0, 600, 0)
    assert report["run"]["notes"][0] == (
        "the implementation answered without reading all its requests (its standard input "
        "stayed full), so it was not sent stop: it was killed"
    )
    assert report["run"]["notes"][1].startswith("no case ran:")
    assert status == 1  # no case ran


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_what_the_adapter_says_is_shown_not_obeyed(verify: Verify, fmt: str) -> None:
    """Its name and its stderr went into the reports raw: a line break started a line (a
    heading in markdown), a terminal escape cleared the screen of whoever read the report."""
    status, out, _ = verify("--impl", fake("loud"), "--format", fmt)
    assert status == 0
    assert "\x1b" not in out and "\x00" not in out and "\r" not in out
    assert "fake\\n# heading \\u001b[2J" in out
    assert not any(line.startswith("# heading") for line in out.splitlines())
    if fmt == "text":
        assert "  warming up \\u001b[31mRED\\u001b[0m\\u0000" in out.splitlines()


@pytest.mark.parametrize(
    ("how", "validate", "said"),
    [
        ("nan", False, r"the response to seq 2 \(case .*\) is not JSON \(NaN is not JSON\)"),
        ("bom", False, r"the response to seq 2 \(case .*\) starts with a byte order mark"),
        ("utf16", True, r"the response to seq 2 \(case .*\) is not JSON \('utf-8' codec"),
        ("crlf", True, r"--validate-protocol: the response to seq 2 .* ends with \\r\\n, not \\n"),
    ],
)
def test_a_response_that_is_not_one_json_text_a_line_is_errored(
    verify: Verify, how: str, validate: bool, said: str
) -> None:
    """Python's json reads NaN, and reads bytes in UTF-16 or with a byte order mark: the kit
    took them all, even with --validate-protocol."""
    options = ("--validate-protocol", *FAST) if validate else FAST
    status, report = run_fake(verify, "lenient", how, options=options)
    assert status == 3
    assert counts(report) == (1, 0, 0, 7)
    assert re.search(said, report["run"]["error"]), report["run"]["error"]
    if how == "crlf":  # a line ended by \r\n is otherwise read, as JSON whitespace allows
        status, report = run_fake(verify, "lenient", how)
        assert (status, counts(report)) == (0, (8, 0, 0, 0))


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_failing_cases_reason_is_shown_not_obeyed(verify: Verify, fmt: str) -> None:
    """The reason quotes the adapter's error kind: a line break in it forged a heading, and a
    terminal escape (C0 ESC, or C1 CSI) reached the terminal."""
    status, out, _ = verify("--impl", fake("odd_kind"), "--format", fmt)
    assert status == 1
    assert "\x1b" not in out and "\x9b" not in out
    assert not any(line.lstrip("- ").startswith("# forged") for line in out.splitlines())
    assert "Bad\\u001b[2J\\n# forged \\u009b31m" in out


def test_a_script_on_path_without_a_shebang_is_one_usage_error(
    verify: Verify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "my-adapter"
    script.write_text("print('hi')\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    status, out, err = verify("--impl", "my-adapter", "--format", "json")
    assert (status, out) == (2, "")
    assert f"{script} is a script without a `#!` first line" in err


@pytest.mark.parametrize(
    ("shebang", "said"),
    [
        ("#!/nonexistent/python", "names '/nonexistent/python', which is not a program here"),
        ("#!/usr/bin/env no-such-interpreter", "runs 'no-such-interpreter', which is not on PATH"),
        # as the kernel reads the line: a CR is part of the name, and env gets one argument
        ("#!/usr/bin/env sh\r", "runs 'sh\\r', which is not on PATH"),
        ("#!/bin/sh\r", "names '/bin/sh\\r', which is not a program here"),
        ("#!/usr/bin/env sh -e", "runs 'sh -e', which is not on PATH (env takes its whole"),
    ],
)
def test_a_script_whose_interpreter_is_missing_is_one_usage_error(
    verify: Verify, tmp_path: Path, shebang: str, said: str
) -> None:
    """The system says the script itself is missing: exit 3, 1009 errored cases, and a
    message naming a file that is there."""
    script = tmp_path / "adapter"
    script.write_bytes(shebang.encode() + b"\n")
    script.chmod(0o755)
    status, out, err = verify("--impl", str(script), "--format", "json")
    assert (status, out) == (2, "")
    assert f"the `#!` line of {script} {said}" in err


@pytest.mark.parametrize("shebang", ["#!/usr/bin/env -S -u FOO sh", "#!/bin/sh -e"])
def test_a_working_shebang_is_not_refused(verify: Verify, tmp_path: Path, shebang: str) -> None:
    """env's options (-S splits the rest, -u takes a value) and an argument after a path."""
    script = tmp_path / "adapter"
    script.write_text(shebang + "\nexit 7\n")
    script.chmod(0o755)
    status, out, _ = verify("--impl", str(script), "--format", "json")
    assert status == 3  # it ran: it speaks no protocol
    assert "cannot start" not in json.loads(out)["run"]["error"]


def test_the_json_paths_that_differ_are_shown_not_obeyed(
    verify: Verify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "odd_step.py").write_text(
        "import json\n"
        "from noetl_events_ref import Outcome, run_op\n"
        "def answer(op, text, now):\n"
        "    out = run_op(op, text, now)\n"
        "    if op != 'decode_event' or not out.ok:\n"
        "        return out\n"
        "    event = json.loads(out.output)\n"
        "    event['step'] = 'x\\u009b2J\\u2028y'\n"
        "    return Outcome(True, output=json.dumps(event, ensure_ascii=False))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    status, out, _ = verify("--impl", "python:odd_step:answer")
    assert status == 1
    assert "\x9b" not in out and "\u2028" not in out
