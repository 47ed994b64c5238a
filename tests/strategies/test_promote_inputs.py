"""``promote`` on inputs it cannot write (a lone surrogate), a closed standard input, and
folders that are not folders (empty, a symbolic link loop): a usage error, nothing written."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli._main import main
from conformance.corpus import _case

ROOT = Path(__file__).resolve().parents[2]
ERROR = "noetl-events-conformance: error: "
PROMOTE = ["promote", "--op", "canonical_value"]
SURROGATE = (
    "the input holds a lone surrogate (U+D800 at character 2), which is not Unicode text: an "
    "input is UTF-8 text, and a lone surrogate cannot be written as UTF-8"
)


def test_a_lone_surrogate_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "pc"
    assert main([*PROMOTE, "--input-json", '"\\"\\ud800\\""', "--corpus", str(corpus)]) == 2
    assert capsys.readouterr().err == (
        f"{ERROR}--input-json: {SURROGATE} (for the escape \\ud800 as text, write \\\\ud800 in "
        "the JSON literal)\n"
    )
    log = tmp_path / "ci.log"
    log.write_text(
        "FAILED\nnoetl-events-conformance promote --op canonical_value --input-json "
        '\'"\\"\\ud800\\""\'\n',
        "utf-8",
    )
    assert main(["promote", "--from-output", str(log), "--corpus", str(corpus)]) == 2
    assert capsys.readouterr().err.startswith(f"{ERROR}{log}, line 2: --input-json: {SURROGATE}")
    assert not corpus.exists()
    # The escape itself, as text, is an input like any other.
    assert main([*PROMOTE, "--input-json", '"\\"\\\\ud800\\""', "--corpus", str(corpus)]) == 0
    assert len(list(corpus.rglob("*.json"))) == 1


def test_bytes_that_are_not_utf8_in_an_option_are_refused(tmp_path: Path) -> None:
    """On the command line, bytes that are not UTF-8 reach Python as lone surrogates."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    corpus = os.fsencode(tmp_path / "pc")
    for extra, option in (
        ([b"--input", b"\xff"], "--input"),
        ([b"--input", b"1", b"--description", b"caf\xe9"], "--description"),
        ([b"--input", b"1", b"--caught-by", b"impl\xff"], "--caught-by"),
    ):
        argv = [os.fsencode(sys.executable), b"-c", run.encode(), *map(os.fsencode, PROMOTE)]
        proc = subprocess.run(
            [*argv, *extra, b"--corpus", corpus], env=env, capture_output=True, timeout=60
        )
        assert proc.returncode == 2, proc.stderr
        err = proc.stderr.decode("utf-8", "replace")
        assert err.startswith(f"{ERROR}{option}: ") and "lone surrogate" in err, err
        assert err.count("\n") == 1
    assert not (tmp_path / "pc").exists()


def test_from_output_on_a_closed_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # what Python makes of `<&-`
    assert main(["promote", "--from-output", "-", "--corpus", str(tmp_path / "pc")]) == 2
    assert capsys.readouterr().err == (
        f"{ERROR}cannot read --from-output -: standard input is closed\n"
    )


def test_from_output_reads_standard_input_that_is_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = b"\xff\xfe log\nnoetl-events-conformance promote --op canonical_value --input 1\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text), encoding="utf-8"))
    assert main(["promote", "--from-output", "-", "--corpus", str(tmp_path / "pc")]) == 0
    assert len(list((tmp_path / "pc").rglob("*.json"))) == 1


def test_closed_standard_input_in_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        f'"{sys.executable}" -c "{run}" promote --from-output - <&-',
        shell=True,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stderr) == (
        2,
        f"{ERROR}cannot read --from-output -: standard input is closed\n",
    )


def test_an_empty_or_looping_corpus_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*PROMOTE, "--input", "1", "--corpus", ""]) == 2
    assert capsys.readouterr().err == f"{ERROR}--corpus: give a folder name (it is empty)\n"
    for argv, said in (
        ([*PROMOTE, "--input-file", ""], "--input-file: give a file name (it is empty)"),
        (["promote", "--from-output", ""], "--from-output: give a file name, or - for "),
    ):
        assert main(argv) == 2
        assert capsys.readouterr().err.startswith(f"{ERROR}{said}")
    assert os.listdir(tmp_path) == []
    Path("l1").symlink_to("l2")
    Path("l2").symlink_to("l1")
    assert main([*PROMOTE, "--input", "1", "--corpus", "l1"]) == 2
    assert capsys.readouterr().err == (
        f"{ERROR}--corpus l1: Too many levels of symbolic links; give the folder to write the "
        "case into\n"
    )
    a_file = Path("notes")
    a_file.write_text("")
    assert main([*PROMOTE, "--input", "1", "--corpus", "notes"]) == 2
    assert capsys.readouterr().err == (
        f"{ERROR}--corpus notes: not a folder; give the folder to write the case into\n"
    )


def test_a_link_loop_is_not_the_installed_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside an install (the bundled corpus is in the package), resolving a loop raised
    RuntimeError before Python 3.13."""
    package = tmp_path / "package"
    (package / "_fixtures").mkdir(parents=True)
    monkeypatch.setattr(_case.resources, "files", lambda _name: package)
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    assert _case.is_installed_corpus(tmp_path / "l1") is False
    assert _case.is_installed_corpus(package / "_fixtures") is True
