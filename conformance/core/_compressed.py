"""Data that may be gzip-compressed, told by its first bytes (whatever a file is named)."""

from __future__ import annotations

import gzip
import zlib
from typing import BinaryIO, Final

__all__ = ["GZIP_ERRORS", "GZIP_MAGIC", "unpacked"]

GZIP_MAGIC: Final = b"\x1f\x8b"
GZIP_ERRORS: Final = (OSError, EOFError, zlib.error)
"""What reading damaged gzip data raises."""


def unpacked(raw: BinaryIO) -> tuple[BinaryIO | gzip.GzipFile, bool]:
    """``raw`` (at its start), read through gzip when it starts with gzip's magic bytes; and
    whether it does. A file that cannot seek (a pipe) is looked at through ``peek`` (as a
    buffered reader, what ``open(..., "rb")`` gives, has it): its first bytes stay unread. (A
    writer of gzip data writes its 10-byte header at once, so they come together.)"""
    if raw.seekable():
        packed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
    else:
        packed = raw.peek(2)[:2] == GZIP_MAGIC  # type: ignore[attr-defined]
    return (gzip.GzipFile(fileobj=raw) if packed else raw), packed
