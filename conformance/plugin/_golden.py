"""Golden files for events, requests and JSON texts, with the kit's one canonical encoder.

``noetl_golden.check(value, name=...)`` writes ``value`` the way serde_json writes it and
compares that text with ``goldens/<test module>/<name>.json`` beside the test. What happens
depends on the mode (``--noetl-events-golden``):

``new``     (default locally) a missing golden is created and the test fails with its path;
            a mismatch fails with the diff and leaves ``<name>.obtained`` beside the golden
            (removed again once the golden matches, or is updated).
``update``  missing and changed goldens are (re)written; the test passes and the session
            summary lists what changed. After a full, unfiltered run, unused goldens are removed.
``none``    (default when ``CI`` is set, to anything but empty, ``0``, ``false`` or ``no``)
            nothing is written except ``.obtained`` files: a missing golden fails, so goldens
            are never created in CI.

Writes are queued and done atomically at the end of the session. Goldens no test used are
listed (kept; removed in ``update`` mode) in the golden folders of the test modules that ran
with every test passing, never after a run narrowed by ``-k``, ``-m``, ``--lf`` or node ids.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from conformance.core._atomic import write_atomic

__all__ = ["MODES", "Golden", "GoldenError", "GoldenStore", "canonical_text"]

MODES: Final = ("update", "new", "none")
SUFFIX: Final = ".json"
OBTAINED: Final = ".obtained"
FOLDER: Final = "goldens"


ACCEPTED: Final = (
    "an ExecutorEvent or EventRequest, a JSON text (str or bytes), a JSON value (dict, list, "
    "str, int, float, bool, None), a pydantic model (its model_dump_json(by_alias=True)) or a "
    "dataclass instance (dataclasses.asdict)"
)


class GoldenError(Exception):
    """A mistake in a ``noetl_golden.check`` call (a value no golden can hold, a name used
    twice or leaving the golden folder): the fixture fails the test with this one line."""


def _as_text(value: Any) -> str | bytes | None:
    """The JSON text a pydantic model or a dataclass dumps itself to; None for anything else."""
    dump = getattr(value, "model_dump_json", None)
    if callable(dump) and not isinstance(value, type):
        text = dump(by_alias=True)
        return text if isinstance(text, (str, bytes)) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        import json

        try:
            return json.dumps(dataclasses.asdict(value), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise GoldenError(
                f"noetl_golden.check: {type(value).__name__} is a dataclass whose fields are not "
                f"all JSON values ({e}); pass its JSON text instead"
            ) from None
    return None


def canonical_text(value: Any, *, exact: bool = False) -> str:
    """The text a golden holds for ``value``.

    An ExecutorEvent or EventRequest is written by the reference's encoder. Any other value (a
    JSON text, a JSON value, a pydantic model's or a dataclass's dump) is read the way serde_json
    reads it: a text that decodes as an ExecutorEvent is kept in that struct's field order, else
    one that decodes as an EventRequest in that one's, else it is written as a generic value
    (object keys sorted, as serde_json's ``Value`` writes them). With ``exact`` a text (str or
    bytes) is kept byte for byte: what your own encoder wrote, spelling and order included.
    """
    from noetl_events_ref import (
        EnvelopeError,
        EventRequest,
        ExecutorEvent,
        decode_event,
        decode_request,
        encode_event,
        encode_request,
    )
    from noetl_events_ref._codec import to_bytes
    from noetl_events_ref._json import SerdeError, encode_value, parse_value
    from noetl_events_ref._model import _check_json

    if isinstance(value, ExecutorEvent):
        return encode_event(value)
    if isinstance(value, EventRequest):
        return encode_request(value)
    dumped = _as_text(value)
    if dumped is not None:
        value = dumped
    if exact:
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError as e:
                raise GoldenError(f"noetl_golden.check: the text is not UTF-8: {e}") from None
        if isinstance(value, str):
            return value
        raise GoldenError(
            f"noetl_golden.check: exact=True keeps a text as is: pass str or bytes (or a "
            f"pydantic model or a dataclass), not {type(value).__name__}"
        )
    if isinstance(value, (str, bytes)):
        text = to_bytes(value)
        try:
            parsed = parse_value(text)
        except SerdeError as e:
            raise GoldenError(f"noetl_golden.check: the text is not JSON: {e.message}") from None
    else:
        try:
            parsed = _check_json(value, "value")
        except TypeError as e:
            raise GoldenError(f"noetl_golden.check: {e}; it accepts {ACCEPTED}") from None
        except ValueError as e:  # nan, inf, an integer outside i64/u64: serde_json has none
            raise GoldenError(f"noetl_golden.check: {e}, which no golden can hold") from None
        text = to_bytes(encode_value(parsed))
    if isinstance(parsed, dict):
        with contextlib.suppress(EnvelopeError):
            return encode_event(decode_event(text))
        with contextlib.suppress(EnvelopeError):
            return encode_request(decode_request(text))
    return encode_value(parsed)


@dataclasses.dataclass
class GoldenStore:
    """One session's goldens: what was used, what to write at the end, what changed."""

    mode: str
    pending: dict[Path, str] = dataclasses.field(default_factory=dict)
    used: set[Path] = dataclasses.field(default_factory=set)
    roots: set[Path] = dataclasses.field(default_factory=set)
    created: list[Path] = dataclasses.field(default_factory=list)
    updated: list[Path] = dataclasses.field(default_factory=list)
    obtained: list[Path] = dataclasses.field(default_factory=list)
    removed: list[Path] = dataclasses.field(default_factory=list)
    stale: set[Path] = dataclasses.field(default_factory=set)  # .obtained files now settled
    names: dict[Path, str] = dataclasses.field(default_factory=dict)  # the name each was given

    def compare(self, path: Path, text: str, name: str | None = None) -> str | None:
        """Hold ``text`` against the golden at ``path`` (checked as ``name``); the failure
        message, or None. A golden checked twice in one session is a :class:`GoldenError`."""
        if path in self.used:
            first = self.names.get(path)
            also = f" (first as {_quoted(first)})" if first is not None and first != name else ""
            raise GoldenError(
                f"noetl_golden.check: the golden file {path} is checked twice in this "
                f"session{also}: give each check a name= of its own"
            )
        self.used.add(path)
        if name is not None:
            self.names[path] = name
        self.roots.add(path.parent)
        content = text + "\n"
        try:  # (as written: an exact text may hold CRLF line ends of its own)
            with path.open(encoding="utf-8", newline="") as f:
                golden: str | None = f.read()
        except FileNotFoundError:
            golden = None
        except UnicodeDecodeError as e:  # (--noetl-events-golden=update replaces it)
            if self.mode != "update":
                raise GoldenError(
                    f"noetl_golden.check: the golden file {path} is not UTF-8 text ({e.reason} "
                    f"at byte {e.start}): fix it, or rewrite it with --noetl-events-golden=update"
                ) from None
            golden = ""
        except OSError as e:  # a folder, no permission...
            raise GoldenError(
                f"noetl_golden.check: cannot read the golden file {path}: {e.strerror or e}"
            ) from None
        obtained = path.with_suffix(OBTAINED)
        # CRLF line ends a checkout gave a golden (git's autocrlf) read as LF
        if golden is not None and golden != content and "\r\n" in golden:
            golden = golden.replace("\r\n", "\n")
        if golden == content:
            self.pending.pop(obtained, None)
            self.stale.add(obtained)  # a mismatch this left behind is settled
            return None
        if self.mode == "update":
            self.stale.add(obtained)
            self.pending[path] = content
            (self.updated if golden is not None else self.created).append(path)
            return None
        if golden is None:
            if self.mode == "none":
                return (
                    f"no golden file at {path}\n(not written: --noetl-events-golden=none, the "
                    "default when CI is set; create goldens locally and commit them)"
                )
            self.pending[path] = content
            self.created.append(path)
            return f"golden file created: {path}\nrerun to compare against it"
        self.pending[path.with_suffix(OBTAINED)] = content
        self.obtained.append(path.with_suffix(OBTAINED))
        return _mismatch(path, golden, content)

    def flush(self) -> None:
        for path, text in sorted(self.pending.items()):
            write_atomic(path, text)
        self.pending.clear()
        for path in sorted(self.stale):  # only the kit's own <golden>.obtained files
            path.unlink(missing_ok=True)
        self.stale.clear()

    def unused(self, roots: Iterable[Path]) -> list[Path]:
        """Golden files under ``roots`` that no test used this session."""
        found: set[Path] = set()
        for root in roots:
            if root.is_dir():
                found.update(p for p in root.rglob(f"*{SUFFIX}") if p.is_file())
        return sorted(found - self.used)

    def remove(self, paths: Iterable[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
            self.removed.append(path)


def _mismatch(path: Path, golden: str, obtained: str) -> str:
    """How the golden file's text differs from the obtained one (each read with universal
    newlines, so CRLF line ends are no difference; the obtained text ends with one newline)."""
    from conformance.core._diff import explain_difference

    text = obtained.removesuffix("\n")
    if golden.rstrip("\n") == text:  # only the newlines at the end differ
        extra = len(golden) - len(text)
        how = (
            "it has no final newline"
            if extra == 0
            else f"it ends with {extra} newlines where a golden ends with one"
        )
        explained = [f"{how}; the texts are otherwise identical (goldens are canonical text)"]
    else:
        explained = explain_difference(golden.removesuffix("\n"), text, "golden -> obtained")
    return "\n".join(
        [
            f"does not match the golden file {path}",
            *explained,
            f"obtained text left in {path.with_suffix(OBTAINED)}",
            "accept it with --noetl-events-golden=update",
        ]
    )


def _quoted(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.\-]+")


class Golden:
    """The ``noetl_golden`` fixture: one test's view of the session's golden store."""

    def __init__(self, store: GoldenStore, folder: Path, default_name: str) -> None:
        self._store = store
        self._folder = folder
        self._default = default_name
        self._calls = 0

    def path(self, name: str | None = None) -> Path:
        """Where the golden called ``name`` (default: the test's name) lives: in the test
        module's golden folder, whatever the name (a ``..`` in it is a :class:`GoldenError`;
        other characters outside ``A-Za-z0-9_.-``, ``/`` included, become ``-``)."""
        if name is not None and not isinstance(name, str):
            raise GoldenError(
                f"noetl_golden.check: name= is the golden's name, a text, not "
                f"{type(name).__name__} {name!r}"
            )
        if name is not None and ".." in re.split(r"[/\\]", name):
            raise GoldenError(
                f"noetl_golden.check: the name {_quoted(name)} leads out of the golden folder "
                f"{self._folder}: give a plain name"
            )
        stem = _UNSAFE.sub("-", name if name is not None else self._default).strip("-.")
        return self._folder / f"{stem or 'golden'}{SUFFIX}"

    def check(self, value: Any, *, name: str | None = None, exact: bool = False) -> None:
        """Compare ``value``'s text with its golden file (see the module doc and
        :func:`canonical_text`): an event or request in its struct's order, other JSON in
        serde_json's ``Value`` order; ``exact=True`` keeps a text byte for byte."""
        import pytest

        if name is None:
            self._calls += 1
            if self._calls > 1:
                name = f"{self._default}-{self._calls}"
        try:
            path = self.path(name)
            message = self._store.compare(
                path,
                canonical_text(value, exact=exact),
                name if name is not None else self._default,
            )
        except GoldenError as e:  # the call's mistake: one line, no traceback through the kit
            message = str(e)  # (failed outside the handler: no "during handling" chain)
        if message is not None:
            pytest.fail(message, pytrace=False)
