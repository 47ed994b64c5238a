"""Atomic file writes: a reader (a CI step, a second run, cargo) sees the old file or the new
one, never a part."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: str | bytes, *, skip_unchanged: bool = False) -> bool:
    """Replace ``path`` with ``data`` (text is written as UTF-8, newlines untouched) through a
    temporary file in the same folder, fsync and ``os.replace``; the file keeps its mode.

    With ``skip_unchanged`` a file that already holds exactly ``data`` is left alone (its
    mtime too). Returns whether the file was written.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if skip_unchanged:
        with contextlib.suppress(OSError):
            if path.read_bytes() == raw:
                return False
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True
