"""What the server would redact, found with the reference's own redaction
(:func:`noetl_events_ref.sanitize_value`, the twin of the server's ``sanitize_sensitive_data``).

Before a ``noetl.event`` row is stored, the server rewrites the row's ``result`` and ``meta``.
The corpus must carry no value it would rewrite (a golden case holding one would not describe
what lands in the table), and ``check --hazards`` reports such values in real rows:
:func:`secret_paths` lists where they are, by running the redaction and comparing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from noetl_events_ref import sanitize_value
from noetl_events_ref._json import key_step
from noetl_events_ref._sanitize import (
    MAX_DEPTH,
    REDACTED,
    SENSITIVE_KEY_PARTS,
    is_sensitive_key,
    is_sensitive_value,
)

__all__ = [
    "MAX_DEPTH",
    "REDACTED",
    "SENSITIVE_KEY_PARTS",
    "is_sensitive_key",
    "is_sensitive_value",
    "key_path",
    "secret_paths",
]


def key_path(path: str, key: str) -> str:
    """``path`` and then ``key``, as every JSON path of the kit spells it: ``.key``, else the
    key as a JSON string in brackets."""
    return path + key_step(key)


def _changed(before: Any, after: Any) -> bool:
    return type(before) is not type(after) or before != after


def secret_paths(value: object, *, root: str = "$") -> list[str]:
    """JSON paths (from ``root``) of every place the server's redaction rewrites when ``value``
    (a parsed JSON value) is the root it sanitizes: a member under a sensitive key, or a string
    that looks like a credential, above the depth limit."""
    found: list[str] = []
    # Depth first, in document order; each container's members as an iterator, and a path
    # spelled only for a member the redaction made anew (a container: it copies them all) or
    # changed: a list of 2,000,000 numbers is not copied into as many entries with their
    # paths (400 MB) before the first is looked at.
    stack: list[tuple[Iterator[tuple[Any, Any, str | int]], str]] = []

    def visit(before: Any, after: Any, path: str) -> None:
        if isinstance(before, dict) and isinstance(after, dict):
            stack.append((((v, after[k], str(k)) for k, v in before.items()), path))
        elif isinstance(before, list) and isinstance(after, list):
            stack.append((((v, after[i], i) for i, v in enumerate(before)), path))
        elif _changed(before, after):
            found.append(path)

    after = sanitize_value(value)  # type: ignore[arg-type]
    if value is not after:
        visit(value, after, root)
    while stack:
        members, path = stack[-1]
        member = next(members, None)
        if member is None:
            stack.pop()
            continue
        before, after, step = member
        if before is not after:
            visit(before, after, key_path(path, step) if type(step) is str else f"{path}[{step}]")
    return found
