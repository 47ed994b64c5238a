"""What the server would redact: a twin of noetl-server 3.83.1 ``sanitize_sensitive_data``.

Before a ``noetl.event`` row is stored, the server rewrites the row's ``result`` and ``meta``
(wire contract section 7): walking the value from its root at depth 0, it stops at depth 20
(that value and everything under it is left alone); otherwise

- an object member whose key is *sensitive* gets the string ``"[REDACTED]"`` (whatever its
  value, which is then not walked);
- a string value that *looks like a credential* gets ``"[REDACTED]"``.

A key is sensitive when its lowercase form, with ``-`` read as ``_``, contains one of
:data:`SENSITIVE_KEY_PARTS`. A string looks like a credential when its lowercase form starts
with ``bearer `` or ``basic ``; when it is JWT-like (starts ``eyJ``, exactly two ``.``, over 50
UTF-8 bytes); when it holds a PEM private key (``-----BEGIN`` and ``PRIVATE KEY-----``); or when
it is 40 or more UTF-8 bytes made only of alphanumerics and ``+``, ``/``, ``=``.

"Alphanumeric" is Rust's ``char::is_alphanumeric`` (Unicode ``Alphabetic`` or a numeric general
category). Python has no ``Alphabetic`` property, so :func:`is_rust_alphanumeric` answers a
superset: ``str.isalnum()``, combining marks (where ``Other_Alphabetic`` lives), letter-like
symbols, and code points Python's Unicode database does not know yet (Rust's may). A corpus
checked with it therefore errs towards reporting a value the server would leave alone, never the
reverse.

The corpus must carry no such value (the server would rewrite it, so a golden case holding one
would not describe what lands in the table): :func:`secret_paths` lists where they are.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = [
    "MAX_DEPTH",
    "REDACTED",
    "SENSITIVE_KEY_PARTS",
    "is_rust_alphanumeric",
    "is_sensitive_key",
    "is_sensitive_value",
    "secret_paths",
]

REDACTED: Final = "[REDACTED]"
MAX_DEPTH: Final = 20
"""Values at this depth (the root is at depth 0) and below are not inspected."""

SENSITIVE_KEY_PARTS: Final = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "bearer",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "auth_token",
    "authorization",
    "auth",
    "credential",
    "credentials",
    "private_key",
    "privatekey",
    "secret_key",
    "secretkey",
    "client_secret",
    "clientsecret",
    "connection_string",
    "connectionstring",
    "db_password",
    "database_password",
    "aws_secret",
    "gcp_key",
    "azure_key",
    "ssh_key",
    "sshkey",
    "passphrase",
    "pem",
    "cert",
    "certificate",
    "oauth_token",
    "id_token",
    "encryption_key",
    "decrypt_key",
    "master_key",
    "snowflake_password",
    "snowflake_token",
    "private_key_passphrase",
)

_LONG_VALUE_BYTES: Final = 40
_JWT_MIN_BYTES: Final = 51  # "over 50 bytes"
_LETTERLIKE_CATEGORIES: Final = frozenset({"Mn", "Mc", "Me", "Cn"})


def is_sensitive_key(key: str) -> bool:
    """Would the server redact the value stored under ``key``?"""
    folded = key.lower().replace("-", "_")
    return any(part in folded for part in SENSITIVE_KEY_PARTS)


def is_rust_alphanumeric(ch: str) -> bool:
    """A superset of Rust's ``char::is_alphanumeric`` (see the module docstring)."""
    if ch.isalnum():
        return True
    category = unicodedata.category(ch)
    if category in _LETTERLIKE_CATEGORIES:
        return True
    # Circled and squared Latin letters are `So` with Other_Alphabetic.
    return category == "So" and "LETTER" in unicodedata.name(ch, "")


def _utf8_len(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


def is_sensitive_value(value: str) -> bool:
    """Would the server redact this string value wherever it stands?"""
    lowered = value.lower()
    if lowered.startswith(("bearer ", "basic ")):
        return True
    if value.startswith("eyJ") and value.count(".") == 2 and _utf8_len(value) >= _JWT_MIN_BYTES:
        return True
    if "-----BEGIN" in value and "PRIVATE KEY-----" in value:
        return True
    return _utf8_len(value) >= _LONG_VALUE_BYTES and all(
        ch in "+/=" or is_rust_alphanumeric(ch) for ch in value
    )


def _key_path(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{escaped}']"


def secret_paths(value: object, *, root: str = "$") -> list[str]:
    """JSON paths (from ``root``) of every place the server's redaction would rewrite when
    ``value`` is the root it sanitizes: a member under a sensitive key, or a string that looks
    like a credential. ``value`` is a parsed JSON value (``dict``/``list``/scalars)."""
    found: list[str] = []
    # An explicit stack instead of recursion: depth is bounded by MAX_DEPTH anyway.
    stack: list[tuple[object, str, int]] = [(value, root, 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth >= MAX_DEPTH:
            continue
        if isinstance(node, dict):
            children: list[tuple[object, str, int]] = []
            for key, child in node.items():
                child_path = _key_path(path, str(key))
                if is_sensitive_key(str(key)):
                    found.append(child_path)
                else:
                    children.append((child, child_path, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(
                reversed([(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(node)])
            )
        elif isinstance(node, str) and is_sensitive_value(node):
            found.append(path)
    return found
