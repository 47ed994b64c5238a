"""``generate --seed``: an empty ``--out`` or a symbolic link loop is a usage error (an empty
name used to write into the current folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.cli._main import main
from conformance.corpus._case import CaseFileError, load_corpora, load_corpus

ERROR = "noetl-events-conformance: error: "


def test_an_empty_out_is_refused_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--seed", "7", "--count", "2", "--out", ""]) == 2
    assert capsys.readouterr().err == f"{ERROR}--out: give a folder name (it is empty)\n"
    assert os.listdir(tmp_path) == []


def test_a_link_loop_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("l1").symlink_to("l2")
    Path("l2").symlink_to("l1")
    assert main(["generate", "--seed", "7", "--count", "2", "--out", "l1"]) == 2
    assert capsys.readouterr().err == (
        f"{ERROR}--out l1: Too many levels of symbolic links; give the folder to write the "
        "cases into\n"
    )
    assert main(["generate", "--seed", "7", "--count", "2", "--out", "c"]) == 0
    with pytest.raises(CaseFileError, match="l1: \\$: "):  # (not Path.resolve's RuntimeError)
        load_corpora(Path("c"), [Path("l1")])
    assert len(load_corpora(Path("c"), [Path("c")])) == len(load_corpus(Path("c"))) == 2
    capsys.readouterr()
    assert main(["verify", "--corpus", "c", "--extra-corpus", "l1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{ERROR}cannot read the corpus: l1: $: ") and err.count("\n") == 1
