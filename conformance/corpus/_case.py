"""Corpus cases: the record, its stable id, its canonical file text, and loading a corpus.

A case file is one JSON object (``fixtures/cases/<op>/<id>.json``):

``format_version``  1
``id``              ``<slug>-<hash8>``; the hash covers (op, input, now, expected meaning)
``op``              one of the five protocol operations
``sample``          optional: cases sharing a meaning (many spellings, one canonical output)
``description``     one line
``level``           ``required`` | ``recommended`` | ``acceptable``
``tags``            the hazards the case exercises
``input``           the raw JSON text handed to the implementation
``now``             optional RFC 3339 text, for ``request_to_event``
``expect``          ``{"output": text}`` or ``{"error": {"kind": k, "message": m}}``
``provenance``      optional: where a promoted case came from
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
from importlib import resources
from pathlib import Path
from typing import Any, Final

from conformance.core._atomic import write_atomic
from conformance.core._usage import UsageError
from noetl_events_ref._errors import KINDS
from noetl_events_ref._ops import OPS, Outcome

__all__ = [
    "FORMAT_VERSION",
    "LEVELS",
    "OPS",
    "Case",
    "CaseFileError",
    "DuplicateKey",
    "case_from_bytes",
    "case_from_json",
    "case_from_outcome",
    "case_hash",
    "case_id",
    "case_path",
    "check_level",
    "corpus_folder",
    "default_corpus_dir",
    "is_installed_corpus",
    "iter_case_files",
    "load_case",
    "load_corpora",
    "load_corpus",
    "lone_surrogate",
    "output_folder",
    "read_case",
    "read_regular",
    "select",
    "slugify",
    "surrogate_message",
    "unique_members",
    "write_case",
]

FORMAT_VERSION: Final = 1
LEVELS: Final = ("required", "recommended", "acceptable")
LEVEL_CHOICES: Final = ("required", "recommended", "all")
"""The levels a run selects by: that level or stricter (``all``: every case)."""
_FIELD_ORDER: Final = (
    "format_version",
    "id",
    "op",
    "sample",
    "description",
    "level",
    "tags",
    "input",
    "now",
    "expect",
    "provenance",
)


class CaseFileError(ValueError):
    """A case file that cannot be read as a case: names the file and the JSON path."""

    def __init__(self, path: Path | str, json_path: str, message: str) -> None:
        super().__init__(f"{path}: {json_path}: {message}")
        self.path = str(path)
        self.json_path = json_path
        self.message = message


@dataclasses.dataclass(frozen=True, slots=True)
class Case:
    """One golden case: ``output`` is set when it is accepted, ``error_kind`` when rejected."""

    id: str
    op: str
    input: str
    level: str
    description: str
    tags: tuple[str, ...] = ()
    sample: str | None = None
    now: str | None = None
    output: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    provenance: Mapping[str, Any] | None = None
    path: str | None = dataclasses.field(default=None, compare=False)

    @property
    def accepts(self) -> bool:
        return self.output is not None

    @property
    def meaning(self) -> tuple[str, str | None]:
        """What the case expects, messages aside: ``("output", text)`` or ``("error", kind)``.
        Cases sharing a ``sample`` share it; the id's hash covers it."""
        if self.output is not None:
            return ("output", self.output)
        return ("error", self.error_kind)

    def expect_json(self) -> dict[str, Any]:
        if self.output is not None:
            return {"output": self.output}
        if self.error_message is None:  # (the message is optional: a case may give the kind only)
            return {"error": {"kind": self.error_kind}}
        return {"error": {"kind": self.error_kind, "message": self.error_message}}

    def to_json(self) -> dict[str, Any]:
        """The case as a JSON object, fields in canonical order, optional ones omitted."""
        raw: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "id": self.id,
            "op": self.op,
            "sample": self.sample,
            "description": self.description,
            "level": self.level,
            "tags": list(self.tags),
            "input": self.input,
            "now": self.now,
            "expect": self.expect_json(),
            "provenance": dict(self.provenance) if self.provenance is not None else None,
        }
        return {k: raw[k] for k in _FIELD_ORDER if raw[k] is not None}

    def to_text(self) -> str:
        """The canonical file text (what ``corpus fmt`` writes)."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"

    def with_id(self) -> Case:
        """This case with its id recomputed from its slug and content."""
        slug = self.id.rsplit("-", 1)[0] if re.fullmatch(r".+-[0-9a-f]{8}", self.id) else self.id
        return dataclasses.replace(self, id=case_id(slug, self))


def slugify(text: str) -> str:
    """A readable, file-name-safe slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].rstrip("-") or "case"


def case_hash(case: Case) -> str:
    """8 hex digits over (op, input, now, expected meaning); messages do not count."""
    blob = json.dumps([case.op, case.input, case.now, case.meaning], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:8]


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def lone_surrogate(value: Any, json_path: str = "$") -> tuple[str, str] | None:
    """Where ``value`` (text, or JSON lists and objects of it, keys included; a case's
    :meth:`Case.to_json`, say) first holds a lone surrogate: ``(JSON path, "U+D800 at
    character N")``, else None. A lone surrogate is not Unicode text: no UTF-8 file (a case
    file's canonical text is UTF-8) can hold it, nor can a UTF-8 input reach an
    implementation."""
    if isinstance(value, str):
        m = _SURROGATE.search(value)
        return None if m is None else (json_path, f"U+{ord(m[0]):04X} at character {m.start() + 1}")
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = lone_surrogate(str(key), json_path) or lone_surrogate(
                item, f"{json_path}.{key}"
            )
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = lone_surrogate(item, f"{json_path}[{i}]")
            if found is not None:
                return found
    return None


def surrogate_message(where: str) -> str:
    """Why a case holding a lone surrogate (``where``: from :func:`lone_surrogate`) is
    refused."""
    return (
        f"holds a lone surrogate ({where}), which is not Unicode text: the case's canonical "
        "text cannot be written as UTF-8"
    )


def case_id(slug: str, case: Case) -> str:
    return f"{slugify(slug)}-{case_hash(case)}"


def case_from_outcome(
    outcome: Outcome,
    slug: str,
    *,
    op: str,
    input: str,
    level: str,
    description: str,
    tags: tuple[str, ...] = (),
    sample: str | None = None,
    now: str | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> Case:
    """The case expecting ``outcome`` (the reference's answer to ``op`` on ``input``), its id
    made from ``slug`` and its content."""
    case = Case(
        id="",
        op=op,
        input=input,
        level=level,
        description=description,
        tags=tags,
        sample=sample,
        now=now,
        output=outcome.output if outcome.ok else None,
        error_kind=None if outcome.ok else outcome.kind,
        error_message=None if outcome.ok else outcome.message,
        provenance=provenance,
    )
    return dataclasses.replace(case, id=case_id(slug, case))


def case_path(corpus: Path, case: Case) -> Path:
    """Where the case's file belongs in a corpus folder: ``cases/<op>/<id>.json``."""
    return Path(corpus) / "cases" / case.op / f"{case.id}.json"


def write_case(corpus: Path, case: Case) -> Path:
    """Write the case's canonical text at :func:`case_path` (atomically); returns the path."""
    path = case_path(corpus, case)
    write_atomic(path, case.to_text())
    return path


def _require(obj: Mapping[str, Any], key: str, typ: type, path: Path | str) -> Any:
    if key not in obj:
        raise CaseFileError(path, f"$.{key}", "missing")
    value = obj[key]
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise CaseFileError(
            path, f"$.{key}", f"expected {typ.__name__}, got {type(value).__name__}"
        )
    return value


_TAG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _only(obj: Mapping[str, Any], known: Iterable[str], where: str, path: Path | str) -> None:
    """No key outside ``known`` (a field the kit does not read would be lost on rewrite)."""
    names = tuple(known)
    for key in obj:
        if key not in names:
            raise CaseFileError(
                path, f"{where}.{key}", f"unknown field (the fields: {', '.join(names)})"
            )


def case_from_json(obj: Any, path: Path | str = "<case>") -> Case:
    """Build a :class:`Case` from a parsed case file; raises :class:`CaseFileError`. The file
    is held to ``case.schema.json``'s structure (no unknown field, known error kinds, tags
    and description as it says); ``corpus lint`` checks the rest (ids, the reference)."""
    if not isinstance(obj, dict):
        raise CaseFileError(path, "$", f"expected an object, got {type(obj).__name__}")
    _only(obj, _FIELD_ORDER, "$", path)
    version = _require(obj, "format_version", int, path)
    if version != FORMAT_VERSION:
        raise CaseFileError(
            path, "$.format_version", f"this kit reads format {FORMAT_VERSION}, got {version}"
        )
    op = _require(obj, "op", str, path)
    if op not in OPS:
        raise CaseFileError(path, "$.op", f"unknown op {op!r} (one of {', '.join(OPS)})")
    level = _require(obj, "level", str, path)
    if level not in LEVELS:
        raise CaseFileError(
            path, "$.level", f"unknown level {level!r} (one of {', '.join(LEVELS)})"
        )
    tags = _require(obj, "tags", list, path)
    for i, tag in enumerate(tags):
        if not isinstance(tag, str):
            raise CaseFileError(path, f"$.tags[{i}]", "expected a string")
        if not _TAG.fullmatch(tag):
            raise CaseFileError(path, f"$.tags[{i}]", f"{json.dumps(tag)}: not a-z, 0-9 and -")
        if tag in tags[:i]:
            raise CaseFileError(path, f"$.tags[{i}]", f"{json.dumps(tag)} is given twice")
    description = _require(obj, "description", str, path)
    if not description or "\n" in description:
        raise CaseFileError(path, "$.description", "expected one line of text")
    expect = _require(obj, "expect", dict, path)
    output = error_kind = error_message = None
    if "output" in expect and "error" in expect:
        raise CaseFileError(path, "$.expect", "has both `output` and `error`: give one")
    if "output" in expect:
        _only(expect, ("output",), "$.expect", path)
        output = expect["output"]
        if not isinstance(output, str):
            raise CaseFileError(path, "$.expect.output", "expected a string")
    elif "error" in expect:
        _only(expect, ("error",), "$.expect", path)
        err = expect["error"]
        if not isinstance(err, dict):
            raise CaseFileError(path, "$.expect.error", "expected an object")
        _only(err, ("kind", "message"), "$.expect.error", path)
        if "kind" not in err:
            raise CaseFileError(path, "$.expect.error.kind", "missing")
        if not isinstance(err["kind"], str):
            raise CaseFileError(path, "$.expect.error.kind", "expected a string")
        if err["kind"] not in KINDS:
            raise CaseFileError(
                path,
                "$.expect.error.kind",
                f"unknown kind {json.dumps(err['kind'])} (one of {', '.join(KINDS)})",
            )
        error_kind = err["kind"]
        error_message = err.get("message")
        if error_message is not None and not isinstance(error_message, str):
            raise CaseFileError(path, "$.expect.error.message", "expected a string")
    else:
        raise CaseFileError(path, "$.expect", "needs `output` or `error`")
    for key in ("sample", "now"):
        if key in obj and (not isinstance(obj[key], str) or not obj[key]):
            raise CaseFileError(path, f"$.{key}", "expected a non-empty string")
    provenance = obj.get("provenance")
    if provenance is not None and not isinstance(provenance, dict):
        raise CaseFileError(path, "$.provenance", "expected an object")
    return Case(
        id=_require(obj, "id", str, path),
        op=op,
        input=_require(obj, "input", str, path),
        level=level,
        description=description,
        tags=tuple(tags),
        sample=obj.get("sample"),
        now=obj.get("now"),
        output=output,
        error_kind=error_kind,
        error_message=error_message,
        provenance=provenance,
        path=str(path),
    )


class DuplicateKey(ValueError):
    """A key given twice in one object of a case file."""


def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s ``object_pairs_hook`` for case files: a key given twice is refused
    (JSON readers keep one of the two, silently, and `corpus fmt` would drop the other)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                quoted = json.dumps(key, ensure_ascii=False)
                raise DuplicateKey(f"the key {quoted} is given twice in one object")
            seen.add(key)
    return obj


def case_from_bytes(data: bytes, path: Path | str = "<case>") -> Case:
    """A case file's bytes as a :class:`Case`; raises :class:`CaseFileError` as
    :func:`load_case` does."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CaseFileError(path, "$", f"cannot read: {e}") from None
    # Newlines as a text-mode read gives them, so error lines are counted the same way.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        obj = json.loads(text, object_pairs_hook=unique_members)
    except json.JSONDecodeError as e:
        raise CaseFileError(
            path, "$", f"not JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    except DuplicateKey as e:
        raise CaseFileError(path, "$", str(e)) from None
    # (an escape such as "\\ud800" in the file: no implementation can be sent that text)
    surrogate = lone_surrogate(obj)
    if surrogate is not None:
        raise CaseFileError(path, surrogate[0], surrogate_message(surrogate[1]))
    return case_from_json(obj, path)


_KINDS: Final = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_regular(path: Path | str) -> bytes:
    """The bytes of the file ``path`` names (links followed), which must be a regular file:
    a folder, a named pipe, a device or a socket is refused with an :class:`OSError` whose
    ``strerror`` says what it is, and its content is never read (a FIFO would block the run
    until something writes to it; a device may never end)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)  # (O_NONBLOCK: opening a FIFO with no writer does not wait)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
            raise OSError(code, f"is {what}, not a regular file", os.fspath(path))
        f = os.fdopen(fd, "rb")
    except BaseException:
        # (the descriptor is closed here, or by the file object below, never by both: a
        # Ctrl-C landing between the two must not turn into a false EBADF)
        os.close(fd)
        raise
    with f:
        return f.read()


def read_case(path: Path) -> tuple[Case, bytes]:
    """Read one case file once: the case and the file's bytes (for a digest, or to compare
    with the canonical text); raises :class:`CaseFileError` as :func:`load_case` does (a file
    that is not a regular file, a FIFO say, is refused without being read)."""
    try:
        data = read_regular(path)
    except OSError as e:
        raise CaseFileError(path, "$", f"cannot read: {e.strerror or e}") from None
    return case_from_bytes(data, path), data


def load_case(path: Path) -> Case:
    """Read one case file; raises :class:`CaseFileError` naming the file, line and JSON path."""
    return read_case(path)[0]


def default_corpus_dir() -> Path:
    """The bundled corpus: inside the installed package, else the source tree's ``fixtures/``."""
    bundled = resources.files("conformance") / "_fixtures"
    if bundled.is_dir():
        return Path(str(bundled))
    return Path(__file__).resolve().parents[2] / "fixtures"


def check_level(level: str) -> None:
    """Refuse a level a run cannot select by (:data:`LEVEL_CHOICES`)."""
    if level not in LEVEL_CHOICES:
        raise UsageError(f"level {level!r}: expected one of {', '.join(LEVEL_CHOICES)}")


def _folder_state(path: str) -> str | None:
    """What is wrong with ``path`` as a folder, or None when it is one (or does not exist:
    ``"missing"``)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # (a file in its path: as missing)
        return "a symbolic link to nothing" if os.path.islink(path) else "missing"
    except OSError as e:  # a symbolic link loop (ELOOP), no permission, a name too long
        return e.strerror or str(e)
    return None if stat.S_ISDIR(mode) else "not a folder"


def corpus_folder(corpus: str | Path | None, *, flag: str | None = None) -> Path:
    """The corpus folder ``corpus`` names (None: the bundled one); refused when it is not a
    folder, or empty text (a :class:`UsageError`, named by ``flag`` when given: an empty
    name must not silently mean the current folder)."""
    if corpus is not None and not os.fspath(corpus):
        raise UsageError(f"{flag or 'the corpus'}: give a folder name (it is empty)")
    folder = Path(corpus) if corpus is not None else default_corpus_dir()
    state = _folder_state(str(folder))
    if state is not None:
        what = "no such corpus folder" if state == "missing" else state
        raise UsageError(f"{folder}: {what}")
    return folder


def output_folder(value: str | Path, flag: str, what: str = "") -> Path:
    """The folder ``flag`` names to write into, which need not exist yet; a
    :class:`UsageError` for empty text (it must not silently mean the current folder), for
    something that is not a folder, or for a path the system cannot follow (a symbolic link
    loop)."""
    text = os.fspath(value)
    if not text:
        raise UsageError(f"{flag}: give a folder name (it is empty)")
    state = _folder_state(text)
    if state not in (None, "missing"):
        into = f"{what} into" if what else "into"
        raise UsageError(f"{flag} {text}: {state}; give the folder to write {into}")
    return Path(text)


def iter_case_files(corpus: Path) -> Iterator[Path]:
    """Case files under ``corpus/cases`` in a stable order."""
    yield from sorted((corpus / "cases").rglob("*.json"))


def load_corpus(corpus: Path | None = None) -> list[Case]:
    """All cases of a corpus folder (default: the bundled one), sorted by op then id; an id
    found twice is an error naming both files."""
    root = corpus if corpus is not None else default_corpus_dir()
    if not (root / "cases").is_dir():
        state = _folder_state(str(root))
        if state is None:
            why = "not a corpus: no cases/ folder"
        else:
            why = "no such corpus folder" if state == "missing" else state
        raise CaseFileError(root, "$", why)
    return _unique([load_case(p) for p in iter_case_files(root)])


def _unique(cases: list[Case]) -> list[Case]:
    """``cases`` sorted by op then id; an id found twice is an error naming both files."""
    seen: dict[str, Case] = {}
    for case in cases:
        other = seen.setdefault(case.id, case)
        if other is not case:
            raise CaseFileError(
                case.path or "<case>", "$.id", f"id {case.id} is also in {other.path}"
            )
    return sorted(cases, key=lambda c: (OPS.index(c.op), c.id))


def is_installed_corpus(corpus: Path) -> bool:
    """True for the corpus bundled inside the installed package: never written to (a
    reinstall would lose the change, and its manifest would go stale)."""
    bundled = resources.files("conformance") / "_fixtures"
    if not bundled.is_dir():
        return False
    try:
        return corpus.resolve() == Path(str(bundled)).resolve()
    except (OSError, RuntimeError):  # (RuntimeError: a symbolic link loop, before Python 3.13)
        return False


def _resolved(folder: Path) -> Path:
    """``folder`` resolved; a symbolic link loop is a :class:`CaseFileError`, not Python's
    RuntimeError."""
    try:
        return folder.resolve()
    except OSError as e:
        raise CaseFileError(folder, "$", f"cannot read: {e.strerror or e}") from None
    except RuntimeError:  # (a symbolic link loop, before Python 3.13)
        raise CaseFileError(folder, "$", "cannot read: a symbolic link loop") from None


def load_corpora(corpus: Path | None = None, extra: Iterable[Path] = ()) -> list[Case]:
    """The cases of ``corpus`` (default: the bundled one) plus those of each ``extra`` corpus
    folder (each folder read once, however often it is named), sorted by op then id; an id
    found twice is an error naming both files."""
    cases = load_corpus(corpus)
    loaded = {_resolved(corpus if corpus is not None else default_corpus_dir())}
    for folder in extra:
        if _resolved(folder) in loaded:  # a folder named twice is read once
            continue
        loaded.add(_resolved(folder))
        cases += load_corpus(folder)
    return _unique(cases)


def select(cases: Iterable[Case], *, level: str = "all", pattern: str | None = None) -> list[Case]:
    """Cases at ``level`` or stricter (``all`` keeps every case) whose id matches ``pattern``
    (a shell-style glob, or a substring when it has no glob characters)."""
    import fnmatch

    keep = {"required": 1, "recommended": 2, "all": 3, "acceptable": 3}[level]
    out = []
    for c in cases:
        if LEVELS.index(c.level) >= keep:
            continue
        if pattern is not None:
            if any(ch in pattern for ch in "*?["):
                if not fnmatch.fnmatchcase(c.id, pattern):
                    continue
            elif pattern not in c.id:
                continue
        out.append(c)
    return out
