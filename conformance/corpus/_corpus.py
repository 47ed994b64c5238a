"""Keeping the corpus in order: lint it, format it, and write its manifest.

A corpus folder holds ``cases/<op>/<id>.json`` (one case each, see
:mod:`conformance.corpus._case`) and ``manifest.json``::

    {"corpus_version": "1.0.0", "format_version": 1, "count": N, "sha256": "<hex>",
     "by_op": {<op>: n, ...}, "by_level": {<level>: n, ...}}

``sha256`` is the SHA-256 of the concatenation, over every case file sorted by its path relative
to the corpus folder (POSIX separators, compared as strings, e.g.
``cases/decode_event/x-0123abcd.json``), of that relative path in UTF-8, one NUL byte, and the
file's bytes. ``by_op`` and ``by_level`` list every op and level (zero included) in the kit's
order. ``corpus_version`` is kept from the existing manifest (``1.0.0`` for a new one); the rest
is derived from the files. The manifest is written as 2-space indented JSON with a final newline.

:func:`lint` checks, and reports as :class:`Problem` (file, JSON path, message, rule):

``read``        the file is readable UTF-8 JSON (a regular file: a FIFO or a device is not read)
``schema``      it validates against ``conformance/schemas/case.schema.json``
``format``      its text is exactly ``Case.to_text()``
``layout``      it lies at ``cases/<op>/<id>.json``
``id``          its id is ``<slug>-<hash8>`` with the hash of its content
``unique``      no two cases share an id
``reference``   the reference reproduces it: the same output text, or the same error kind and
                message
``sample``      cases sharing a ``sample`` share a meaning (output text, or error kind)
``secret``      no input or output holds a value the server would redact (section 7)
``manifest``    ``manifest.json`` is what :func:`manifest_for` computes, in canonical text
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from conformance.core._atomic import write_atomic

from ._case import (
    FORMAT_VERSION,
    LEVELS,
    OPS,
    Case,
    CaseFileError,
    DuplicateKey,
    case_from_bytes,
    case_from_json,
    iter_case_files,
    lone_surrogate,
    read_case,
    read_regular,
    surrogate_message,
    unique_members,
)
from ._secrets import is_sensitive_key, is_sensitive_value, secret_paths

__all__ = [
    "DEFAULT_CORPUS_VERSION",
    "MANIFEST_NAME",
    "RULES",
    "Problem",
    "UnreadableCases",
    "case_secrets",
    "corpus_digest",
    "fmt",
    "lint",
    "manifest_for",
    "manifest_path",
    "manifest_text",
    "write_manifest",
]

MANIFEST_NAME: Final = "manifest.json"
DEFAULT_CORPUS_VERSION: Final = "1.0.0"
RULES: Final = {
    "read": "the file is readable UTF-8 JSON",
    "schema": "it validates against conformance/schemas/case.schema.json",
    "format": "its text is exactly Case.to_text() (fix: corpus fmt)",
    "layout": "it lies at cases/<op>/<id>.json",
    "id": "its id is <slug>-<hash8> with the hash of its content",
    "unique": "no two cases share an id",
    "reference": "the reference reproduces it (output text, or error kind and message)",
    "sample": "cases sharing a sample share a meaning (output text, or error kind)",
    "secret": "no input or output holds a value the server would redact",
    "manifest": "manifest.json matches the case files (fix: corpus manifest)",
}
"""The lint rules, by name: what each checks."""


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a corpus: where (file, JSON path inside it) and what."""

    file: str
    json_path: str
    message: str
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.file}: {self.json_path}: {self.message} [{self.rule}]"

    def to_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


# ---- manifest ----------------------------------------------------------------------------------


def _relative(corpus: Path, path: Path) -> str:
    return path.relative_to(corpus).as_posix()


def _digest(files: Iterable[tuple[str, bytes]]) -> str:
    """The manifest's ``sha256`` of (relative path, bytes) pairs given in sorted path order."""
    digest = hashlib.sha256()
    for rel, data in files:
        digest.update(rel.encode("utf-8"))
        digest.update(b"\0")
        digest.update(data)
    return digest.hexdigest()


def corpus_digest(corpus_dir: Path) -> str:
    """The manifest's ``sha256`` of the corpus folder's case files (they are not parsed)."""
    corpus = Path(corpus_dir)
    rels = sorted(_relative(corpus, p) for p in iter_case_files(corpus))
    return _digest((rel, read_regular(corpus / rel)) for rel in rels)


def _existing_version(corpus: Path) -> str:
    try:
        old = json.loads(read_regular(corpus / MANIFEST_NAME).decode("utf-8"))
    except (OSError, ValueError):
        return DEFAULT_CORPUS_VERSION
    version = old.get("corpus_version") if isinstance(old, dict) else None
    return version if isinstance(version, str) and version else DEFAULT_CORPUS_VERSION


def _manifest(corpus: Path, files: Mapping[str, bytes], cases: list[Case]) -> dict[str, Any]:
    """The manifest of the case files ``files`` (relative path -> bytes), read as ``cases``."""
    return {
        "corpus_version": _existing_version(corpus),
        "format_version": FORMAT_VERSION,
        "count": len(cases),
        "sha256": _digest(sorted(files.items())),
        "by_op": {op: sum(c.op == op for c in cases) for op in OPS},
        "by_level": {level: sum(c.level == level for c in cases) for level in LEVELS},
    }


def manifest_for(corpus_dir: Path) -> dict[str, Any]:
    """The manifest the corpus folder should carry; raises :class:`CaseFileError` for a case
    file that cannot be read as a case."""
    corpus = Path(corpus_dir)
    files: dict[str, bytes] = {}
    cases: list[Case] = []
    for path in iter_case_files(corpus):
        case, data = read_case(path)
        files[_relative(corpus, path)] = data
        cases.append(case)
    return _manifest(corpus, files, cases)


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2) + "\n"


def manifest_path(corpus_dir: Path) -> Path:
    """The corpus folder's ``manifest.json``; an :class:`OSError` naming it when it is there
    (links followed) but not a regular file (a folder, a FIFO, a device): it is neither read
    nor replaced."""
    path = Path(corpus_dir) / MANIFEST_NAME
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return path  # (a new file; a link to nothing gets its target written, as `open` does)
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "is not a regular file; it is not replaced", str(path))
    return path


def write_manifest(corpus_dir: Path) -> dict[str, Any]:
    """Write ``manifest.json`` (:data:`MANIFEST_NAME`) for the corpus folder; returns the
    manifest written. One that is not a regular file is refused (see :func:`manifest_path`)
    before anything is read."""
    corpus = Path(corpus_dir)
    path = manifest_path(corpus)
    manifest = manifest_for(corpus)
    write_atomic(path, manifest_text(manifest))
    return manifest


# ---- fmt ---------------------------------------------------------------------------------------


class UnreadableCases(ValueError):
    """Case files that cannot be read as cases (``errors``, one per file); ``fmt`` then wrote
    nothing. ``changed``: the readable files whose text is not canonical."""

    def __init__(self, errors: list[CaseFileError], changed: list[Path]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
        self.changed = changed


def fmt(corpus_dir: Path, check: bool = False) -> list[Path]:
    """Rewrite every case file whose text is not ``Case.to_text()``; returns those files.
    With ``check=True`` nothing is written. Every file is read first: if one cannot be read
    as a case (fix it by hand: ``corpus lint`` says where), nothing is written and
    :class:`UnreadableCases` names them all."""
    changed: list[tuple[Path, str]] = []
    errors: list[CaseFileError] = []
    for path in iter_case_files(Path(corpus_dir)):
        try:
            case, data = read_case(path)
        except CaseFileError as e:
            errors.append(e)
            continue
        surrogate = lone_surrogate(case.to_json())
        if surrogate is not None:
            errors.append(CaseFileError(path, surrogate[0], surrogate_message(surrogate[1])))
            continue
        text = case.to_text()
        if data != text.encode("utf-8"):
            changed.append((path, text))
    if errors:
        raise UnreadableCases(errors, [path for path, _ in changed])
    if not check:
        for path, text in changed:
            write_atomic(path, text)
    return [path for path, _ in changed]


# ---- lint --------------------------------------------------------------------------------------


@cache
def _schema_validator() -> Any:
    import jsonschema

    text = (resources.files("conformance") / "schemas" / "case.schema.json").read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _schema_message(err: Any) -> str:
    """A schema error in JSON's spelling (jsonschema's own messages show Python values)."""
    value = json.dumps(err.instance, ensure_ascii=False)
    rule = json.dumps(err.validator_value, ensure_ascii=False)
    short = (value[:60] + "...") if len(value) > 63 else value
    return f"{short}: breaks the schema's {err.validator} rule {rule}"


def _json_path(parts: Iterator[Any] | list[Any]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _expect_path(case: Case) -> str:
    return "$.expect.output" if case.accepts else "$.expect.error"


# Ops whose input and output are not what a stored row holds: the redaction itself (its cases
# are about secrets), and the HTTP answers (the extractor keeps secrets; the row is redacted later).
_UNSTORED_OPS: Final = frozenset({"sanitize_value", "post_events", "post_batch"})

_STRING_TOKEN: Final = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?', re.DOTALL)


def _lexical_secrets(text: str) -> list[str]:
    """Every string token of a text Python cannot read as one JSON document (or one with a
    repeated key), judged as a key or a value: conservative, with no depth limit."""
    found: list[str] = []
    for m in _STRING_TOKEN.finditer(text):
        try:
            s = json.loads(m.group(0).rstrip(": \t\r\n"))
        except ValueError:
            continue
        is_key = m.group(1) is not None
        if (is_sensitive_key if is_key else is_sensitive_value)(s):
            what = "key" if is_key else "string"
            found.append(f"{what} {m.group(0)[:40]!r} at offset {m.start()}")
    return found


def _document_secrets(text: str) -> list[str]:
    """Where the server would redact something if this document (or any of its top-level
    members, the roots the server sanitizes: ``meta``, and ``context`` inside ``result``) were
    stored."""
    try:
        doc = json.loads(text, object_pairs_hook=unique_members)
    except (ValueError, RecursionError):  # (DuplicateKey included)
        return _lexical_secrets(text)
    found = secret_paths(doc)
    members: list[tuple[str, Any]] = []
    if isinstance(doc, dict):
        members = [(f"$.{k}", v) for k, v in doc.items()]
    elif isinstance(doc, list):
        members = [(f"$[{i}]", v) for i, v in enumerate(doc)]
    for root, member in members:
        found.extend(p for p in secret_paths(member, root=root) if p not in found)
    return found


def _check_reference(case: Case) -> list[str]:
    from noetl_events_ref._ops import run_op

    got = run_op(case.op, case.input, case.now)
    if case.accepts:
        if not got.ok:
            return [f"the reference rejects it: {got.kind}: {got.message}"]
        if got.output != case.output:
            return [f"the reference writes {got.output!r}"]
        return []
    if got.ok:
        return [f"the reference accepts it, writing {got.output!r}"]
    problems = []
    if got.kind != case.error_kind:
        problems.append(f"the reference rejects it as {got.kind!r}, not {case.error_kind!r}")
    if case.error_message is None:
        problems.append(f"no expected message (the reference says {got.message!r})")
    elif got.message != case.error_message:
        problems.append(f"the reference's message is {got.message!r}")
    return problems


def _lint_file(corpus: Path, path: Path, out: list[Problem], read: dict[str, bytes]) -> Case | None:
    """Check one case file, adding its bytes to ``read`` (relative path -> bytes) when it can
    be read."""
    rel = _relative(corpus, path)

    def report(json_path: str, message: str, rule: str) -> None:
        out.append(Problem(rel, json_path, message, rule))

    try:
        data = read[rel] = read_regular(path)
    except OSError as e:
        report("$", f"cannot read: {e.strerror or e}", "read")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        report("$", f"cannot read: {e}", "read")
        return None
    try:
        obj = json.loads(text, object_pairs_hook=unique_members)
    except DuplicateKey as e:
        report("$", str(e), "read")
        return None
    except ValueError as e:
        report("$", f"not JSON: {e}", "read")
        return None
    # The reader's own checks first: they name the deepest JSON path, in JSON's spelling.
    try:
        case = case_from_json(obj, rel)
    except CaseFileError as e:
        report(e.json_path, e.message, "schema")
        return None
    errors = sorted(_schema_validator().iter_errors(obj), key=lambda e: list(e.absolute_path))
    for err in errors:
        report(_json_path(list(err.absolute_path)), _schema_message(err), "schema")
    if errors:
        return None

    surrogate = lone_surrogate(case.to_json())
    if surrogate is not None:
        report(surrogate[0], surrogate_message(surrogate[1]), "format")
    elif text != case.to_text():
        report("$", "not in canonical form (run `corpus fmt`)", "format")
    parts = Path(rel).parts
    if len(parts) != 3 or parts[0] != "cases":
        report("$", f"a case file belongs at cases/{case.op}/{case.id}.json", "layout")
    else:
        if parts[1] != case.op:
            report("$.op", f"op {case.op!r} but the file is in folder {parts[1]!r}", "layout")
        if parts[2] != f"{case.id}.json":
            report("$.id", f"id {case.id!r} but the file is named {parts[2]!r}", "layout")
    expected_id = case.with_id().id
    if expected_id != case.id:
        report("$.id", f"the id does not match the content: expected {expected_id!r}", "id")
    for message in _check_reference(case):
        report(_expect_path(case), message, "reference")
    for json_path, where in case_secrets(case):
        report(json_path, f"holds a value the server would redact: {where}", "secret")
    return case


def case_secrets(case: Case) -> list[tuple[str, str]]:
    """``(JSON path in the case file, where)`` for each value in the case's texts that the
    server would redact if they were stored (the ``secret`` rule of :func:`lint`)."""
    if case.op in _UNSTORED_OPS:
        return []
    texts = [("$.input", case.input)]
    if case.output is not None:
        texts.append(("$.expect.output", case.output))
    return [(json_path, where) for json_path, doc in texts for where in _document_secrets(doc)]


def _lint_manifest(corpus: Path, out: list[Problem], read: Mapping[str, bytes] | None) -> None:
    """Check ``manifest.json`` against the case files' bytes ``read`` (``None``: some case file
    could not be read, so there is nothing to compare with)."""
    path = corpus / MANIFEST_NAME
    try:
        data = read_regular(path)
    except FileNotFoundError:
        out.append(Problem(MANIFEST_NAME, "$", "missing (run `corpus manifest`)", "manifest"))
        return
    except OSError as e:
        out.append(Problem(MANIFEST_NAME, "$", f"cannot read: {e.strerror or e}", "manifest"))
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        out.append(Problem(MANIFEST_NAME, "$", f"not UTF-8 text: {e}", "manifest"))
        return
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # (as a text-mode read gives it)
    try:
        got = json.loads(text)
    except ValueError as e:
        out.append(Problem(MANIFEST_NAME, "$", f"not JSON: {e}", "manifest"))
        return
    if read is None:
        return  # already reported per file
    try:
        cases = [case_from_bytes(data, corpus / rel) for rel, data in read.items()]
    except CaseFileError:
        return  # already reported per file
    want = _manifest(corpus, read, cases)
    if not isinstance(got, dict):
        out.append(Problem(MANIFEST_NAME, "$", "expected an object", "manifest"))
        return
    for key in sorted(set(want) | set(got)):
        if got.get(key) != want.get(key):
            out.append(
                Problem(
                    MANIFEST_NAME,
                    f"$.{key}",
                    f"is {got.get(key)!r}, the corpus says {want.get(key)!r} "
                    "(run `corpus manifest`)",
                    "manifest",
                )
            )
    if got == want and text != manifest_text(want):
        out.append(Problem(MANIFEST_NAME, "$", "not in canonical form", "manifest"))


def lint(corpus_dir: Path) -> list[Problem]:
    """Every problem of the corpus folder (empty when it is clean), in file order."""
    corpus = Path(corpus_dir)
    problems: list[Problem] = []
    if not (corpus / "cases").is_dir():
        return [Problem(str(corpus), "$", "not a corpus: no cases/ folder", "layout")]
    cases: list[Case] = []
    read: dict[str, bytes] = {}
    paths = list(iter_case_files(corpus))
    for path in paths:
        case = _lint_file(corpus, path, problems, read)
        if case is not None:
            cases.append(case)

    by_id: dict[str, list[Case]] = {}
    by_sample: dict[str, list[Case]] = {}
    for case in cases:
        by_id.setdefault(case.id, []).append(case)
        if case.sample is not None:
            by_sample.setdefault(case.sample, []).append(case)
    for case_id, group in by_id.items():
        for case in group[1:]:
            problems.append(
                Problem(str(case.path), "$.id", f"id {case_id!r} is also {group[0].path}", "unique")
            )
    for sample, group in by_sample.items():
        first = group[0]
        for case in group[1:]:
            if case.meaning != first.meaning:
                problems.append(
                    Problem(
                        str(case.path),
                        _expect_path(case),
                        f"sample {sample!r}: expects {case.meaning!r} but "
                        f"{first.path} expects {first.meaning!r}",
                        "sample",
                    )
                )
    _lint_manifest(corpus, problems, read if len(read) == len(paths) else None)
    return problems
