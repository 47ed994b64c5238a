"""Data that may be gzip-compressed, told by its first bytes (whatever a file is named)."""

from __future__ import annotations

import gzip
import zlib
from typing import BinaryIO, Final

__all__ = ["GZIP_ERRORS", "unpacked"]

_GZIP_MAGIC: Final = b"\x1f\x8b"
GZIP_ERRORS: Final = (OSError, EOFError, zlib.error)
"""What reading damaged gzip data raises."""


def unpacked(raw: BinaryIO) -> tuple[BinaryIO | gzip.GzipFile, bool]:
    """``raw`` (seekable, at its start), read through gzip when it starts with gzip's magic
    bytes; and whether it does."""
    packed = raw.read(2) == _GZIP_MAGIC
    raw.seek(0)
    return (gzip.GzipFile(fileobj=raw) if packed else raw), packed
