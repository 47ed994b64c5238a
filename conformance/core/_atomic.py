"""Atomic file writes: a reader (a CI step, a second run, cargo) sees the old file or the new
one, never a part."""

from __future__ import annotations

import contextlib
import errno
import os
import stat

__all__ = ["write_atomic"]

# (No pathlib here: ``check`` writes its report through this module, and importing pathlib
# is a noticeable part of its start-up.)


def _new_temp(folder: str, name: str) -> tuple[int, str]:
    """A new, empty file beside the target, created with mode 0o666 so that the kernel applies
    the umask, as ``open`` does (no need to read the umask, which means changing it)."""
    while True:
        tmp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def write_atomic(
    path: str | os.PathLike[str], data: str | bytes, *, skip_unchanged: bool = False
) -> bool:
    """Replace ``path`` with ``data`` (text is written as UTF-8, newlines untouched) through a
    temporary file in the same folder, fsync and ``os.replace``; an existing file keeps its
    mode, a new one gets what the umask gives (``0o666 & ~umask``, as ``open`` would).

    With ``skip_unchanged`` a file that already holds exactly ``data`` is left alone (its
    mtime too). Returns whether the file was written.

    A symbolic link is followed: the file it points to is replaced, and the link kept.
    A character device or a pipe (``/dev/null``, ``/dev/stdout``) is written through, never
    replaced; any other path that is not a regular file (a folder, a socket), and a path
    ending with a slash, is refused with an OSError. Every OSError names ``path`` as its
    ``filename`` (not the temporary file, nor where a link points).
    """
    given = os.fspath(path)
    try:
        return _write(given, data, skip_unchanged)
    except OSError as e:  # named by the path asked for, not a temporary file or a link's target
        raise OSError(e.errno, e.strerror or str(e), given) from None


def _write(path: str, data: str | bytes, skip_unchanged: bool) -> bool:
    # (a name read from the file system may hold bytes that are not UTF-8: they are written
    # back as they were, as standard output does)
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if os.path.islink(path):  # written where it points, as `open` would: the link stays
        path = os.path.realpath(path)
    try:
        kind = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        kind = None
    if kind is not None and not stat.S_ISREG(kind):
        if not (stat.S_ISCHR(kind) or stat.S_ISFIFO(kind)):
            raise OSError(errno.EINVAL, "not a regular file, a device or a pipe")
        with open(path, "wb") as f:
            f.write(raw)
        return True
    if skip_unchanged:
        with contextlib.suppress(OSError), open(path, "rb") as f:
            if f.read() == raw:
                return False
    folder, name = os.path.split(path)
    if not name:  # a trailing slash: the caller meant a folder
        raise IsADirectoryError(errno.EISDIR, "names a folder, not a file")
    folder = folder or os.curdir
    os.makedirs(folder, exist_ok=True)
    mode = kind & 0o777 if kind is not None else None
    fd, tmp = _new_temp(folder, name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True
