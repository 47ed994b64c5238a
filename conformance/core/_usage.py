"""The kit's one error for a mistake in how it was called."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A mistake in how the kit was called: printed without a traceback, exit status 2."""
