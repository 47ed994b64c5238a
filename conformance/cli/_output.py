"""``--output FILE``, as every command takes it: checked before any work is done, so that a
long run does not end on a report it cannot write."""

from __future__ import annotations

import os

from conformance.core._usage import UsageError

__all__ = ["check_output"]


def check_output(path: str | os.PathLike[str]) -> None:
    """Refuse an ``--output`` that cannot name a file to write: empty, naming a folder (a
    trailing slash, ``.``, ``..``, an existing folder), a symbolic link (replacing it would
    put a file in its place, not write where it points), or in a folder that does not exist
    (as written: ``a/../r`` needs ``a``) or that this user cannot write in."""
    text = os.fspath(path)
    if not text:
        raise UsageError("--output: give a file name (it is empty)")
    if os.path.islink(text):  # (a trailing slash follows the link: then it names a folder)
        raise UsageError(f"--output {text}: is a symbolic link; give the file it points to")
    folder, name = os.path.split(text)  # (a trailing slash leaves no name)
    if not name or name in (os.curdir, os.pardir) or os.path.isdir(text):
        raise UsageError(f"--output {text}: names a folder; give the file name to write")
    folder = folder or os.curdir
    if not os.path.isdir(folder):
        raise UsageError(f"--output {text}: no such folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--output {text}: no permission to write in the folder {folder}")
