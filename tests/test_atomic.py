"""The kit's one atomic writer: whole files only, and the permissions a user expects."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from conformance.core._atomic import write_atomic


def test_a_new_file_gets_what_the_umask_gives(tmp_path: Path) -> None:
    for umask, expected in ((0o077, 0o600), (0o022, 0o644), (0o002, 0o664)):
        old = os.umask(umask)
        try:
            path = tmp_path / f"new-{umask:o}.json"
            assert write_atomic(path, "{}\n")
        finally:
            os.umask(old)
        assert path.stat().st_mode & 0o777 == expected
        assert path.read_text("utf-8") == "{}\n"


def test_an_existing_file_keeps_its_mode_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("old")
    path.chmod(0o640)
    assert write_atomic(path, "new")
    assert path.stat().st_mode & 0o777 == 0o640
    assert path.read_text("utf-8") == "new"
    assert not write_atomic(path, "new", skip_unchanged=True)
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_a_pipe_is_written_through_never_replaced(tmp_path: Path) -> None:
    """``--output /dev/stdout`` or a FIFO: the data goes through it, and it stays what it was
    (a run that renamed a temporary file over ``/dev/null`` would replace the device)."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert write_atomic(fifo, "through\n")
    reader.join(timeout=10)
    assert got == [b"through\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.fifo"]


def test_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(OSError, match="not a regular file"):
        write_atomic(folder, "x")
    assert folder.is_dir() and not list(folder.iterdir())


def test_a_path_given_as_text_makes_its_folders_and_a_trailing_slash_is_refused(
    tmp_path: Path,
) -> None:
    """A path may come as text (``--output``): missing folders are made; ``a/b.json/`` names
    a folder, so nothing is written and no folder is made."""
    assert write_atomic(f"{tmp_path}/a/b.json", "x\n")
    assert (tmp_path / "a" / "b.json").read_text("utf-8") == "x\n"
    with pytest.raises(IsADirectoryError, match="names a folder"):
        write_atomic(f"{tmp_path}/c/d.json/", "y\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    assert write_atomic(os.path.join(tmp_path, "e.json"), "z\n", skip_unchanged=True)
    assert not write_atomic(os.path.join(tmp_path, "e.json"), "z\n", skip_unchanged=True)


def test_a_symbolic_link_is_written_through_and_kept(tmp_path: Path) -> None:
    """A baseline or golden file kept as a link to a shared file: the shared file is updated
    (replacing the link would leave it stale), and the link still points to it."""
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "base.txt"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    link = tmp_path / "base.txt"
    link.symlink_to(Path("shared") / "base.txt")
    assert write_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == os.path.join("shared", "base.txt")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert sorted(p.name for p in shared.iterdir()) == ["base.txt"]
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(shared / "made.txt")
    assert write_atomic(dangling, "made\n")
    assert dangling.is_symlink() and (shared / "made.txt").read_text() == "made\n"


def test_errors_name_the_path_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the temporary file beside it, nor a device's nameless write error."""
    with pytest.raises(OSError) as full:
        write_atomic("/dev/full", "x")
    assert (full.value.filename, full.value.strerror) == ("/dev/full", "No space left on device")
    target = tmp_path / "report.json"
    from conformance.core import _atomic

    def fail(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(_atomic.os, "fsync", fail)
    with pytest.raises(OSError) as failed:
        write_atomic(target, "x")
    assert (failed.value.filename, failed.value.errno) == (str(target), 5)
    assert not list(tmp_path.iterdir())
