"""``--output FILE`` is checked the same way by every command that takes it, before any work:
a path that cannot name a file to write is a usage error (one line, exit status 2), and
nothing is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli._main import main

COMMANDS = {
    "check": ["check", "{source}"],
    "verify": ["verify"],
    "schema": ["schema", "event"],
    "matrix": ["matrix", "--impl", "ref=reference"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("", "give a file name (it is empty)"),
        ("report/", "names a folder; give the file name to write"),
        (".", "names a folder; give the file name to write"),
        ("sub/..", "names a folder; give the file name to write"),
        ("missing/report.json", "no such folder missing"),
        ("missing/../report.json", "no such folder missing/.."),
        ("sub", "names a folder; give the file name to write"),
        ("link.json", "is a symbolic link; give the file it points to"),
        ("dangling.json", "is a symbolic link; give the file it points to"),
    ],
)
def test_an_output_that_cannot_be_a_file_is_refused_before_any_work(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    output: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    source = tmp_path / "in.jsonl"
    source.write_text("{}\n", encoding="utf-8")
    (tmp_path / "link.json").symlink_to(source)
    (tmp_path / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    args = [a.replace("{source}", str(source)) for a in COMMANDS[command]]
    status = main([*args, "--output", output])
    err = capsys.readouterr().err
    assert status == 2
    assert err == f"noetl-events-conformance: error: --output {output}: {message}\n".replace(
        "--output : ", "--output: "
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dangling.json",
        "in.jsonl",
        "link.json",
        "sub",
    ]
    assert (tmp_path / "link.json").is_symlink() and source.read_text("utf-8") == "{}\n"


def test_a_folder_this_user_cannot_write_in_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the tests may run as root, who may write anywhere: the permission is what os.access says)
    from conformance.cli import _output

    monkeypatch.setattr(_output.os, "access", lambda path, mode: False)
    status = main(["schema", "event", "--output", str(tmp_path / "s.json")])
    assert status == 2
    assert capsys.readouterr().err == (
        f"noetl-events-conformance: error: --output {tmp_path / 's.json'}: "
        f"no permission to write in the folder {tmp_path}\n"
    )
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("command", "label"),
    [
        (["verify", "--baseline", "{input}"], "the --baseline {input}"),
        (["matrix", "--impl", "ref=reference", "--trail", "cli={input}"], "the --trail {input}"),
        (["matrix", "--impl", "ref=reference", "--policy", "{input}"], "the --policy {input}"),
        # the adapter itself: a report written over it replaced the program under test
        (["verify", "--impl", "sh {input}"], "the implementation's file {input}"),
        (["matrix", "--impl", "a=sh {input}"], "the implementation's file {input}"),
    ],
)
def test_an_output_that_is_a_file_the_command_reads_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], label: str
) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("# kept\n", encoding="utf-8")
    link = tmp_path / "other-name.txt"
    link.symlink_to(kept)
    args = [a.replace("{input}", str(link)) for a in command]
    status = main([*args, "--output", str(kept)])
    assert status == 2
    assert capsys.readouterr().err == (
        f"noetl-events-conformance: error: --output {kept}: "
        f"is {label.replace('{input}', str(link))}; it is not replaced\n"
    )
    assert kept.read_text(encoding="utf-8") == "# kept\n"


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "--corpus", ""],
        ["verify", "--extra-corpus", ""],
        ["matrix", "--impl", "a=reference", "--corpus", ""],
    ],
)
def test_an_empty_folder_name_is_refused_not_the_current_folder(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert f"argument {args[-2]}: give a folder name (it is empty)" in capsys.readouterr().err


def test_an_output_inside_the_corpus_or_naming_a_source_yet_to_be_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report over a case file or the manifest breaks the next run; a report written
    where a missing source was named is read as events by the next one."""
    import shutil

    from conformance.corpus._case import default_corpus_dir

    monkeypatch.chdir(tmp_path)
    shutil.copytree(default_corpus_dir(), "corp")
    manifest = (tmp_path / "corp" / "manifest.json").read_bytes()
    for args in (
        ["verify", "--corpus", "corp"],
        ["matrix", "--impl", "a=reference", "--corpus", "corp"],
    ):
        assert main([*args, "--output", "corp/manifest.json"]) == 2
        assert "--output corp/manifest.json: is in the corpus corp; it is not replaced" in (
            capsys.readouterr().err
        )
    assert (tmp_path / "corp" / "manifest.json").read_bytes() == manifest
    (tmp_path / "a.jsonl").write_text("{}\n")
    assert main(["check", "a.jsonl", "new.jsonl", "--output", "new.jsonl"]) == 2
    assert "--output new.jsonl: is the source new.jsonl; it is not replaced" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "new.jsonl").exists()


def test_an_output_over_a_python_callables_source_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "my_adapter_mod.py"
    source.write_text("from noetl_events_ref import run_op as run\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for command in (["verify", "--impl"], ["matrix", "--impl", "a=reference", "--impl"]):
        spec = (
            "python:my_adapter_mod:run" if command[0] == "verify" else "b=python:my_adapter_mod:run"
        )
        assert main([*command, spec, "--output", str(source)]) == 2
        assert capsys.readouterr().err.endswith(
            "is the source of my_adapter_mod; it is not replaced\n"
        )
    assert source.read_text(encoding="utf-8") == "from noetl_events_ref import run_op as run\n"


def test_a_word_of_the_command_that_names_no_file_of_it_is_no_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python3 -m x` runs module x: a file named x here is not the adapter's."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").write_text("old\n", encoding="utf-8")
    (tmp_path / "-u").write_text("old\n", encoding="utf-8")
    for output in ("x", "-u"):
        status = main(["verify", "--impl", "python3 -u -m x", "--output", f"./{output}"])
        assert status == 3, capsys.readouterr().err  # (no module x: errored, and written)
        assert (tmp_path / output).read_text(encoding="utf-8") != "old\n"
