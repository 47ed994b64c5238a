"""``diff A B``: structural diff of two envelopes, two JSONL streams, or two golden folders."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import io
import itertools
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, TextIO

from conformance.core._compressed import GZIP_ERRORS, unpacked
from conformance.core._diff import Change, json_changes, parse_or_none, serde_text
from conformance.core._text import visible
from conformance.report._views import markdown_cell

__all__ = ["MAX_SIZE", "Difference", "diff_paths", "register"]

MAX_SIZE: Final = 64 << 20
"""The most bytes read as one document or one record: a bigger one is refused (so that an
input that never ends, as ``/dev/zero``, is not read into memory)."""

_EPILOG = """\
A and B are both files holding one JSON document each, both JSON-lines streams (.jsonl,
.ndjson or .jsonl.gz: compared record by record; a blank line is not a record, and each
record is named by its line number), or both folders (golden folders: files compared by
relative path, symbolic links followed, streams among them record by record). A pipe whose
name has no suffix, as <(zcat a.jsonl.gz), is read as it comes, as whatever the other side
is (`-` is standard input, read so); two such pipes are two documents when each holds one
JSON document, else two streams (each read whole, up to 64 MiB). A document or record over
64 MiB is refused. Documents are compared as serde_json reads their bytes: key order and
spelling do not matter, types do (1 is not 1.0), bytes that are not UTF-8 are not JSON, and
the same text on both sides is equal, JSON or not. Values are shown as serde_json writes them.

--as event / --as request reads each document as the envelope (noetl-events ExecutorEvent,
or the server's EventRequest) and compares what the reference writes for it: `payload` and
`context` are one field, `Z` and `.000Z` one instant, 1e-5 and 0.00001 one number, and a
default a side leaves out is filled in. A document that does not decode is named, with why
(unless both sides are the same text).

exit status: 0 equal, 1 different, 2 usage error
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Difference:
    """Where two inputs differ (a line, a file, or the document) and how."""

    where: str
    changes: tuple[Change, ...] = ()
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"where": self.where, "changes": [c.to_json() for c in self.changes]}
        if self.note is not None:
            out["note"] = self.note
        return out


def _as_envelope(text: bytes, kind: str) -> tuple[str | None, str | None]:
    """``text`` decoded as the envelope ``kind`` and written back canonically, or the error."""
    from noetl_events_ref import (
        EnvelopeError,
        decode_event,
        decode_request,
        encode_event,
        encode_request,
    )

    try:
        if kind == "event":
            return encode_event(decode_event(text)), None
        return encode_request(decode_request(text)), None
    except EnvelopeError as e:
        return None, f"{e.kind}: {e.message}"


_A: Final = {"event": "an event", "request": "a request"}


def _compare_texts(
    where: str, left: bytes, right: bytes, as_: str | None = None
) -> Difference | None:
    if left == right:  # whatever reads it, one text is one value (or one error)
        return None
    if as_ is not None:
        a_text, a_err = _as_envelope(left, as_)
        b_text, b_err = _as_envelope(right, as_)
        if a_text is not None and b_text is not None:
            return _compare_texts(where, a_text.encode(), b_text.encode())
        notes = [
            f"{side} does not decode as {_A[as_]} ({err})"
            for side, err in (("left", a_err), ("right", b_err))
            if err
        ]
        return Difference(where, note="; ".join(notes))
    a, a_err = parse_or_none(left)
    b, b_err = parse_or_none(right)
    if a_err is None and b_err is None:
        changes = json_changes(a, b)
        return Difference(where, tuple(changes)) if changes else None
    notes = [
        f"{side} is not JSON ({err})" for side, err in (("left", a_err), ("right", b_err)) if err
    ]
    return Difference(where, note="; ".join(notes) + "; texts differ")


def _unreadable(path: Path, e: OSError) -> ValueError:
    if e.errno == errno.ENOENT:
        return ValueError(f"{path}: no such file or folder")
    return ValueError(f"{path}: {e.strerror or e}")


def _too_large(where: str) -> ValueError:
    return ValueError(
        f"{where}: over {MAX_SIZE >> 20} MiB (diff reads no bigger document or record)"
    )


def _document(path: Path) -> bytes:
    """The bytes of a file holding one document (a pipe is read as it comes)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SIZE + 1)
    except OSError as e:
        raise _unreadable(path, e) from None
    if len(data) > MAX_SIZE:
        raise _too_large(str(path))
    return data


def _unpacked_text(path: Path, data: bytes) -> bytes:
    """``data`` read from ``path``, decompressed when it is gzip (by its first bytes)."""
    binary, packed = unpacked(io.BytesIO(data))
    if not packed:
        return data
    try:
        text = binary.read(MAX_SIZE + 1)
    except GZIP_ERRORS as e:
        raise ValueError(f"{path}: unreadable gzip data: {e}") from None
    if len(text) > MAX_SIZE:
        raise _too_large(f"{path} (decompressed)")
    return text


def _records(path: Path) -> Iterator[tuple[int, bytes]]:
    """The lines of a JSON-lines stream that hold a record, with their line numbers (a line
    of JSON whitespace holds none); gzip data (by its first bytes, whatever the name) is read
    through."""
    try:
        raw = path.open("rb")
    except OSError as e:
        raise _unreadable(path, e) from None
    number, packed = 0, False
    with raw:
        try:
            binary, packed = unpacked(raw)
            while line := binary.readline(MAX_SIZE + 1):
                number += 1
                text = line.removesuffix(b"\n")
                if len(text) > MAX_SIZE:
                    raise _too_large(f"{path}: line {number}")
                if text.strip(b" \t\r"):
                    yield number, text.rstrip(b"\r")
        except GZIP_ERRORS as e:
            what = "unreadable gzip data" if packed else "cannot read"
            raise ValueError(f"{path}: {what} at line {number + 1}: {e}") from None


def _is_stream(path: Path) -> bool:
    return path.name.endswith((".jsonl", ".jsonl.gz", ".ndjson"))


def _is_pipe(path: Path) -> bool:
    """A pipe whose name says nothing of its shape (``<(...)``, ``/dev/stdin``)."""
    return not path.suffix and (str(path) == _STDIN or stat.S_ISFIFO(path.stat().st_mode))


def diff_paths(left: Path, right: Path, as_: str | None = None) -> list[Difference]:
    """Compare two inputs of the same shape; raises ``ValueError`` for mismatched shapes.
    ``as_`` (``event`` or ``request``) compares them as that envelope."""
    for path in (left, right):
        try:
            path.stat()
        except OSError as e:
            raise _unreadable(path, e) from None
    if left.is_dir() != right.is_dir():
        raise ValueError("compare a folder with a folder, or a file with a file")
    if left.is_dir():
        return _diff_folders(left, right, as_)
    if _is_pipe(left) and _is_pipe(right):  # nothing names their shape: their texts tell
        texts = _unpacked_text(left, _document(left)), _unpacked_text(right, _document(right))
        if all(parse_or_none(t)[1] is None for t in texts):  # (gzip read through, as below)
            d = _compare_texts("document", *texts, as_)
            return [d] if d else []
        return _diff_records(_lines(texts[0]), _lines(texts[1]), as_)
    if _is_stream(left) != _is_stream(right):
        stream, other = (left, right) if _is_stream(left) else (right, left)
        if _is_pipe(other):
            return _diff_streams(left, right, as_)
        raise ValueError(
            f"{stream} is a JSON-lines stream and {other} is not: compare a stream with a stream "
            "(.jsonl, .ndjson, .jsonl.gz), or a document with a document"
        )
    if _is_stream(left):
        return _diff_streams(left, right, as_)
    texts = _unpacked_text(left, _document(left)), _unpacked_text(right, _document(right))
    d = _compare_texts("document", *texts, as_)
    return [d] if d else []


def _diff_streams(left: Path, right: Path, as_: str | None, prefix: str = "") -> list[Difference]:
    return _diff_records(_records(left), _records(right), as_, prefix)


def _lines(text: bytes) -> Iterator[tuple[int, bytes]]:
    """The records of a stream's whole text, as :func:`_records` reads them from a file."""
    lines = text.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if line.strip(b" \t\r"):
            yield number, line.rstrip(b"\r")


def _diff_records(
    left: Iterator[tuple[int, bytes]],
    right: Iterator[tuple[int, bytes]],
    as_: str | None,
    prefix: str = "",
) -> list[Difference]:
    """The n-th record of one stream against the n-th of the other, each named by its line
    number (both, when blank lines put them on different lines)."""
    out: list[Difference] = []
    for a, b in itertools.zip_longest(left, right):
        if a is None or b is None:
            side, (n, _) = ("left", a) if b is None else ("right", b)
            out.append(Difference(f"{prefix}line {n}", note=f"only on the {side}"))
            continue
        where = f"{prefix}line {a[0]}" + (f" (right: line {b[0]})" if a[0] != b[0] else "")
        if (d := _compare_texts(where, a[1], b[1], as_)) is not None:
            out.append(d)
    return out


def _diff_folders(left: Path, right: Path, as_: str | None) -> list[Difference]:
    def files(root: Path) -> set[str]:
        """Every file under ``root`` by relative path; links are followed, as files and as
        folders (a golden folder may link to shared ones), but a link back to a folder it is
        inside is a loop, and refused."""
        out: set[str] = set()
        top = root.stat()
        pending: list[tuple[Path, tuple[tuple[int, int], ...]]] = [
            (root, ((top.st_dev, top.st_ino),))
        ]
        while pending:
            folder, inside = pending.pop()
            try:
                entries = sorted(folder.iterdir())
            except OSError as e:
                raise _unreadable(folder, e) from None
            for p in entries:
                try:
                    st = p.stat()  # a link to nowhere, or in a loop, is not taken for no file
                except OSError as e:
                    raise _unreadable(p, e) from None
                if stat.S_ISDIR(st.st_mode):
                    identity = (st.st_dev, st.st_ino)
                    if identity in inside:
                        raise ValueError(f"{p}: a symbolic link to a folder it is inside (a loop)")
                    pending.append((p, (*inside, identity)))
                elif stat.S_ISREG(st.st_mode):
                    out.add(p.relative_to(root).as_posix())
        return out

    a, b = files(left), files(right)
    out: list[Difference] = []
    for rel in sorted(a | b):
        if rel not in b:
            out.append(Difference(rel, note="only on the left"))
        elif rel not in a:
            out.append(Difference(rel, note="only on the right"))
        elif _is_stream(Path(rel)):
            out += _diff_streams(left / rel, right / rel, as_, prefix=f"{rel}: ")
        else:
            ta = _unpacked_text(left / rel, _document(left / rel))
            tb = _unpacked_text(right / rel, _document(right / rel))
            if (d := _compare_texts(rel, ta, tb, as_)) is not None:
                out.append(d)
    return out


def _write_text(diffs: list[Difference], out: TextIO) -> None:
    if not diffs:
        out.write("equal\n")
        return
    for d in diffs:  # (file names and texts as they are, their control characters escaped)
        out.write(f"{visible(d.where)}:{' ' + visible(d.note) if d.note else ''}\n")
        for c in d.changes:
            out.write(f"  {visible(c.describe())}\n")
    total = sum(len(d.changes) or 1 for d in diffs)
    counted = f"{total} difference{'s' if total != 1 else ''}"
    if total != len(diffs):  # (some document or record differs at several paths)
        counted += f" in {len(diffs)} document{'s' if len(diffs) != 1 else ''} or record"
        counted += "s" if len(diffs) != 1 else ""
    out.write(f"{counted}\n")


def _write_markdown(diffs: list[Difference], out: TextIO) -> None:
    if not diffs:
        out.write("**equal**\n")
        return
    out.write("| where | JSON path | left | right |\n|---|---|---|---|\n")

    def code(text: str) -> str:
        """``text`` as a code span in a table cell: a fence longer than any run of backticks
        inside, its pipes escaped (the table's cell ends at a bare one)."""
        longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
        fence = "`" * (longest + 1)
        pad = " " if longest else ""
        # (a backslash is itself inside a code span: only the table's pipes are escaped)
        inside = visible(text).replace("|", "\\|")
        return f"{fence}{pad}{inside}{pad}{fence}"

    for d in diffs:
        where = markdown_cell(d.where)
        if not d.changes:
            out.write(f"| {where} | | {markdown_cell(d.note or '')} | |\n")
        for c in d.changes:
            left = code(serde_text(c.left)) if c.kind != "added" else "—"
            right = code(serde_text(c.right)) if c.kind != "removed" else "—"
            out.write(f"| {where} | {code(c.path)} | {left} | {right} |\n")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diff",
        help="structural diff of two envelopes, JSONL streams or golden folders",
        description="Show which documents, lines or files differ, and at which JSON paths.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("left", metavar="A", type=Path)
    p.add_argument("right", metavar="B", type=Path)
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="how to write the differences: text (the default), json (one object: equal, "
        "differences) or markdown (a table)",
    )
    p.add_argument(
        "--as",
        dest="as_",
        choices=("event", "request"),
        help="compare the documents as this envelope (see below)",
    )
    p.set_defaults(func=_run)


_STDIN: Final = "/dev/stdin"


def _stdin_for_dash(path: Path) -> Path:
    """``-``: standard input, read as a pipe is (as whatever the other side is)."""
    if str(path) != "-":
        return path
    if not os.path.exists(_STDIN):  # pragma: no cover - every system the kit runs on
        raise ValueError("-: standard input cannot be named here; give a file")
    return Path(_STDIN)


def _run(args: argparse.Namespace) -> int:
    import deepdiff  # noqa: F401 - the `diff` extra, asked for whatever the inputs hold

    from ._main import UsageError
    from ._output import write_stdout

    try:
        if str(args.left) == str(args.right) == "-":
            raise ValueError("-: standard input can be only one side")
        left, right = (_stdin_for_dash(side) for side in (args.left, args.right))
        diffs = diff_paths(left, right, args.as_)
    except ValueError as e:
        raise UsageError(str(e)) from None
    out = io.StringIO()
    if args.format == "json":
        json.dump(
            {"equal": not diffs, "differences": [d.to_json() for d in diffs]},
            out,
            ensure_ascii=False,
            indent=2,
        )
        out.write("\n")
    elif args.format == "markdown":
        _write_markdown(diffs, out)
    else:
        _write_text(diffs, out)
    write_stdout(out.getvalue())
    return 1 if diffs else 0
