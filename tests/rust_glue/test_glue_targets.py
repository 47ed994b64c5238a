"""``generate --rust``: what stands in the way of the glue is found before anything is
written, and a folder that is empty text or a symbolic link loop is a usage error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli._main import main
from conformance.corpus._case import load_corpus
from conformance.rust._glue import RustGlueError, glue_layout, write_rust_tests

ERROR = "noetl-events-conformance: error: "
ROOT = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir())


@pytest.fixture
def crate(tmp_path: Path) -> Path:
    (tmp_path / "c2" / "tests").mkdir(parents=True)
    (tmp_path / "c2" / "Cargo.toml").write_text('[package]\nname="x"\n[lib]\n')
    return tmp_path / "c2"


def test_a_test_file_that_is_a_folder_is_refused_before_anything_is_written(
    crate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    in_the_way = crate / "tests" / "noetl_events_conformance.rs"
    in_the_way.mkdir()
    assert main(["generate", "--rust", str(crate / "tests")]) == 2
    assert capsys.readouterr().err == (
        f"{ERROR}{in_the_way}: is not a regular file; nothing was written (move it out of the "
        "way)\n"
    )
    assert _files(crate) == ["Cargo.toml"]


@pytest.mark.parametrize(
    "where", ["noetl_events_conformance", "noetl_events_conformance/canonical_value"]
)
def test_a_file_where_a_folder_goes_is_refused_before_anything_is_written(
    crate: Path, where: str
) -> None:
    in_the_way = crate / "tests" / where
    in_the_way.parent.mkdir(parents=True, exist_ok=True)
    in_the_way.write_text("mine")
    before = _files(crate)
    with pytest.raises(RustGlueError, match=f"{in_the_way}: is not a folder; nothing was written"):
        write_rust_tests(crate / "tests", load_corpus())
    assert _files(crate) == before


def test_a_fifo_where_the_test_file_goes_is_refused_not_read(crate: Path) -> None:
    """In a process of its own, stopped after a while: reading the FIFO blocked the run."""
    fifo = crate / "tests" / "noetl_events_conformance.rs"
    os.mkfifo(fifo)
    run = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", run, "generate", "--rust", str(crate / "tests")],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stderr) == (
        2,
        f"{ERROR}{fifo}: is not a regular file; nothing was written (move it out of the way)\n",
    )
    assert _files(crate) == ["Cargo.toml", "tests/noetl_events_conformance.rs"]
    with pytest.raises(RustGlueError, match="is not a regular file"):
        write_rust_tests(crate / "tests", load_corpus())


def test_an_empty_or_looping_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for argv, said in (
        (["--rust", ""], "--rust: give a folder name (it is empty)"),
        (["--rust", "r", "--corpus", ""], "--corpus: give a folder name (it is empty)"),
    ):
        assert main(["generate", *argv]) == 2
        assert capsys.readouterr().err == f"{ERROR}{said}\n"
    assert os.listdir(tmp_path) == []
    Path("l1").symlink_to("l2")
    Path("l2").symlink_to("l1")
    assert main(["generate", "--rust", "l1"]) == 2
    assert capsys.readouterr().err == (
        f"{ERROR}--rust l1: Too many levels of symbolic links; give the folder to write the Rust "
        "test glue into\n"
    )
    assert main(["generate", "--rust", "r", "--corpus", "l1"]) == 2
    assert capsys.readouterr().err == f"{ERROR}l1: Too many levels of symbolic links\n"
    with pytest.raises(RustGlueError, match="l1: "):  # (Path.resolve: a RuntimeError before 3.13)
        glue_layout(Path("l1"), "event")
    assert sorted(os.listdir(tmp_path)) == ["l1", "l2"]
