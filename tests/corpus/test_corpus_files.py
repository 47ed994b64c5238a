"""The corpus commands on files that are not what they should be: a manifest that is not
UTF-8, a FIFO among the case files, a lone surrogate in a case, symbolic links; and what
``corpus --help`` says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli._main import main
from conformance.corpus._case import CaseFileError, load_corpus
from conformance.corpus._corpus import fmt, lint, manifest_for, write_manifest
from conformance.generation._generation import generate_cases, write_cases

ROOT = Path(__file__).resolve().parents[2]
ERROR = "noetl-events-conformance: error: "


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "c"
    write_cases(folder, generate_cases(seed=1, count=3))
    return folder


def _cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, stopped after a while (a hang fails the test)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", run, *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


# ---- a manifest that is not UTF-8 (it was a UnicodeDecodeError) --------------------------------


def test_lint_reports_a_manifest_that_is_not_utf8(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "manifest.json").write_bytes(b"\xff")
    problems = lint(corpus)
    assert [(p.file, p.json_path, p.rule) for p in problems] == [("manifest.json", "$", "manifest")]
    assert problems[0].message.startswith("not UTF-8 text: ")
    assert main(["corpus", "lint", "--corpus", str(corpus)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"{corpus / 'manifest.json'}: $: not UTF-8 text: ")
    assert "Traceback" not in err
    assert main(["corpus", "manifest", "--corpus", str(corpus)]) == 0  # and it is rewritten
    assert lint(corpus) == []


def test_lint_tells_an_unreadable_manifest_from_a_missing_one(corpus: Path) -> None:
    manifest = corpus / "manifest.json"
    manifest.unlink()
    manifest.mkdir()
    [problem] = lint(corpus)
    assert (problem.file, problem.message) == (
        "manifest.json",
        "cannot read: is a folder, not a regular file",
    )


# ---- a FIFO among the case files: never opened (every command reading the corpus hung) --------


def test_a_fifo_case_file_is_a_finding_not_a_hang(corpus: Path) -> None:
    fifo = corpus / "cases" / "decode_event" / "zz.json"
    os.mkfifo(fifo)
    said = "cannot read: is a named pipe (FIFO), not a regular file"
    lint_run = _cli("corpus", "lint", "--corpus", str(corpus))
    assert lint_run.returncode == 1
    assert f"{fifo}: $: {said} [read]\n" in lint_run.stdout
    for argv, status in (
        (["corpus", "fmt", "--check", "--corpus", str(corpus)], 1),
        (["corpus", "fmt", "--corpus", str(corpus)], 1),
        (["corpus", "manifest", "--corpus", str(corpus)], 1),
        (["verify", "--corpus", str(corpus)], 2),
        (["generate", "--rust", str(corpus.parent / "r"), "--corpus", str(corpus)], 2),
        (["generate", "--seed", "2", "--count", "2", "--out", str(corpus)], 2),
        (["matrix", "--impl", "ref=reference", "--corpus", str(corpus)], 2),
    ):
        run = _cli(*argv)
        assert run.returncode == status, (argv, run.stderr)
        if status == 2:  # a usage error: one line
            assert run.stderr.startswith(ERROR) and run.stderr.count("\n") == 1, argv
        assert f"{fifo}: $: {said}" in run.stderr, argv
        assert "Traceback" not in run.stderr, argv
    assert not (corpus.parent / "r").exists()
    with pytest.raises(CaseFileError, match="named pipe"):
        load_corpus(corpus)
    with pytest.raises(CaseFileError, match="named pipe"):
        manifest_for(corpus)


def test_a_fifo_manifest_is_neither_read_nor_replaced(corpus: Path) -> None:
    manifest = corpus / "manifest.json"
    manifest.unlink()
    os.mkfifo(manifest)
    run = _cli("corpus", "lint", "--corpus", str(corpus))
    assert run.returncode == 1
    assert "manifest.json: $: cannot read: is a named pipe (FIFO), not a regular file" in run.stdout
    for argv in (
        ["corpus", "manifest", "--corpus", str(corpus)],
        ["generate", "--seed", "2", "--count", "2", "--out", str(corpus)],
    ):
        run = _cli(*argv)
        assert run.returncode == 2, argv
        assert run.stderr == f"{ERROR}{manifest}: is not a regular file; it is not replaced\n"
    assert len(list((corpus / "cases").rglob("*.json"))) == 3  # the run wrote nothing
    assert manifest.is_fifo()


# ---- a lone surrogate in a case file (`corpus fmt` was a UnicodeEncodeError) ------------------


def test_a_case_holding_a_lone_surrogate_is_a_finding_and_fmt_writes_nothing(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sorted((corpus / "cases").rglob("*.json"))[0]
    obj = json.loads(path.read_text("utf-8"))
    obj["description"] = "before \ud800 after"
    path.write_text(json.dumps(obj, indent=2) + "\n", "utf-8")  # (as the escape \ud800)
    before = path.read_bytes()
    said = "holds a lone surrogate (U+D800 at character 8), which is not Unicode text"
    assert [(p.json_path, p.rule) for p in lint(corpus) if p.rule != "manifest"] == [
        ("$.description", "format")
    ]
    assert main(["corpus", "fmt", "--corpus", str(corpus)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: $.description: {said}" in err
    assert "nothing was reformatted" in err
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="lone surrogate"):
        fmt(corpus)


def test_a_case_whose_input_holds_a_lone_surrogate_is_refused_when_loaded(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only lint refused it: verify sent it to an adapter, and died on a UnicodeEncodeError
    (a traceback, exit 1)."""
    path = sorted((corpus / "cases").rglob("*.json"))[0]
    obj = json.loads(path.read_text("utf-8"))
    obj["input"] = '"\ud800"'
    path.write_text(json.dumps(obj, indent=2) + "\n", "utf-8")  # (as the escape \ud800)
    impl = f"{sys.executable} -m noetl_events_ref"
    assert main(["verify", "--corpus", str(corpus), "--impl", impl]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"noetl-events-conformance: error: cannot read the corpus: {path}: $.input: holds a "
        "lone surrogate (U+D800 at "
        "character 2), which is not Unicode text: the case's canonical text cannot be written "
        "as UTF-8\n"
    )


# ---- symbolic links: kept, their targets updated -----------------------------------------------


def test_fmt_and_manifest_write_through_symbolic_links(corpus: Path, tmp_path: Path) -> None:
    case = sorted((corpus / "cases").rglob("*.json"))[0]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    real_case, real_manifest = elsewhere / "case.json", elsewhere / "manifest.json"
    canonical = case.read_text("utf-8")
    real_case.write_text(json.dumps(json.loads(canonical)), "utf-8")  # not canonical
    case.unlink()
    case.symlink_to(real_case)
    real_manifest.write_text("{}\n", "utf-8")
    (corpus / "manifest.json").unlink()
    (corpus / "manifest.json").symlink_to(real_manifest)

    assert main(["corpus", "fmt", "--corpus", str(corpus)]) == 0
    assert main(["corpus", "manifest", "--corpus", str(corpus)]) == 0
    assert case.is_symlink() and (corpus / "manifest.json").is_symlink()
    assert real_case.read_text("utf-8") == canonical
    assert json.loads(real_manifest.read_text("utf-8"))["count"] == 3
    assert lint(corpus) == []
    write_manifest(corpus)
    assert (corpus / "manifest.json").is_symlink()


# ---- empty paths, and what --help says -----------------------------------------------------------


def test_an_empty_corpus_path_is_refused_not_the_current_folder(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(corpus)  # a corpus: an empty name read as "." would lint, write here
    before = sorted(p.name for p in corpus.iterdir())
    for sub in (["lint"], ["fmt"], ["fmt", "--check"], ["manifest"]):
        assert main(["corpus", *sub, "--corpus", ""]) == 2
        assert capsys.readouterr().err == f"{ERROR}--corpus: give a folder name (it is empty)\n"
    assert sorted(p.name for p in corpus.iterdir()) == before


def test_the_help_names_the_subcommands_and_says_when_corpus_is_required(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    line = next(
        ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("corpus")
    )
    assert "lint" in line and "fmt" in line and "manifest" in line
    for sub in ("fmt", "manifest"):
        with pytest.raises(SystemExit):
            main(["corpus", sub, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "required: the bundled corpus is never written" in text
        assert "(default: the bundled corpus)" not in text
    for argv in (["corpus", "manifest"], ["corpus", "fmt"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == (
            f"{ERROR}corpus {argv[1]} writes into the corpus: give its folder with --corpus DIR "
            "(the bundled corpus is never written)\n"
        )


def test_a_key_given_twice_in_a_case_file_is_refused_not_dropped(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """lint said only "not in canonical form", and fmt then deleted one of the two values:
    a silent change of the case."""
    path = sorted((corpus / "cases").rglob("*.json"))[0]
    text = path.read_text("utf-8")
    doubled = text.replace('"level": ', '"level": "recommended",\n  "level": ', 1)
    assert doubled != text
    path.write_text(doubled, "utf-8")
    said = 'the key "level" is given twice in one object'
    assert [(p.json_path, p.message) for p in lint(corpus) if p.rule == "read"] == [("$", said)]
    assert main(["corpus", "fmt", "--corpus", str(corpus)]) == 1
    assert f"{path}: $: {said}" in capsys.readouterr().err
    assert path.read_text("utf-8") == doubled  # nothing rewritten
    assert main(["verify", "--corpus", str(corpus)]) == 2
    assert said in capsys.readouterr().err
