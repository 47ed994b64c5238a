"""``--output FILE``, as every command takes it: checked before any work is done, so that a
long run does not end on a report it cannot write; and folder options, which must name one."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from conformance.core._usage import UsageError

if TYPE_CHECKING:  # (check imports this module: pathlib is a noticeable part of its start-up)
    from pathlib import Path

__all__ = ["check_output", "command_files", "folder_path", "same_file", "write_stdout"]


def command_files(spec: str) -> dict[str, str]:
    """The files an implementation names, each labelled for :func:`same_file`: a command's
    program and the files it is given (not a word after ``-m`` or ``-c``, nor an option), a
    ``python:`` or ``python-model:`` module's source. A report written over one would replace
    the implementation."""
    import shlex
    import shutil

    for prefix in ("python:", "python-model:"):
        if spec.startswith(prefix):
            module = spec.removeprefix(prefix).partition(":")[0]
            origin = _module_file(module)
            return {f"the source of {module}": origin} if origin else {}
    try:
        words = shlex.split(spec)
    except ValueError:  # (unbalanced quotes: the spec itself is refused later)
        return {}
    files: dict[str, str] = {}
    for k, word in enumerate(words):
        if k and (word.startswith("-") or words[k - 1] in ("-m", "-c")):
            continue
        path = word if os.sep in word or k else shutil.which(word)
        if path and os.path.isfile(path):
            files[f"the implementation's file {word}"] = path
    return files


def _module_file(name: str) -> str | None:
    """Where module ``name`` would be loaded from (its parent packages may be imported to
    tell), or None."""
    import importlib.util

    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # (the spec is refused later, with why)
        return None
    origin = found.origin if found is not None else None
    return origin if origin and os.path.isfile(origin) else None


def write_stdout(text: str) -> None:
    """Write a command's report to standard output. A reader that stops reading (``| head``)
    has what it wanted: the rest is dropped quietly and the command ends with its own verdict.
    Any other failure to write (a full device, standard output closed) is raised."""
    import sys

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # nothing more reaches the reader, and the interpreter's last flush must not fail
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def folder_path(text: str) -> Path:
    """An argparse type for a folder option (``--corpus DIR``): empty text is refused, as
    ``Path("")`` would silently mean the current folder."""
    from pathlib import Path

    if not text:
        raise argparse.ArgumentTypeError("give a folder name (it is empty)")
    return Path(text)


def same_file(
    path: str | os.PathLike[str], inputs: Mapping[str, str | os.PathLike[str] | None]
) -> str | None:
    """The label of the first of ``inputs`` (label -> path; None: not given) that ``path``
    would write (links followed): the same file, the path a source that does not exist yet
    names, or a file inside an input folder (a corpus). A report must never be written over
    what the run reads."""
    try:
        st: os.stat_result | None = os.stat(path)
    except OSError:
        st = None
    target = os.path.realpath(path)
    for label, other in inputs.items():
        if other is None:
            continue
        with contextlib.suppress(OSError):
            if st is not None and os.path.samestat(st, os.stat(other)):
                return label
        where = os.path.realpath(other)
        if target == where or (os.path.isdir(where) and target.startswith(where + os.sep)):
            return label
    return None


def check_output(
    path: str | os.PathLike[str],
    inputs: Mapping[str, str | os.PathLike[str] | None] | None = None,
) -> None:
    """Refuse an ``--output`` that cannot name a file to write: empty, naming a folder (a
    trailing slash, ``.``, ``..``, an existing folder), a symbolic link (replacing it would
    put a file in its place, not write where it points), or in a folder that does not exist
    (as written: ``a/../r`` needs ``a``) or that this user cannot write in; or one of the
    files the command reads (``inputs``: label -> path, see :func:`same_file`)."""
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
    same = same_file(text, inputs or {})
    if same is not None:
        raise UsageError(f"--output {text}: is {same}; it is not replaced")
