#!/usr/bin/env python3
"""Build the golden corpus (``fixtures/cases``) from its human-edited source (``fixtures/src``).

Usage::

    PYTHONPATH=. python tools/build_corpus.py [--src fixtures/src] [--corpus fixtures] [--check]

Each ``*.yaml`` file of the source folder holds ``bases`` (named envelopes) and ``groups``::

    bases:
      event:                          # an ordered object: key -> raw JSON text of the value
        execution_id: 478775660589088776
        event_type: '"command.completed"'
        context: {result: {items: 42}}

    groups:
      - defaults: {op: decode_event, base: event, level: required, tags: [id-range]}
        cases:
          - slug: execution-id-i64-max
            set: {execution_id: '9223372036854775807'}
            description: the largest i64 is accepted
            expect: ok

A case entry (group ``defaults`` are merged under it; ``tags`` are concatenated):

``op``          one op, or a list (one case per op)
``slug``        the readable part of the id
``description`` one line; ``level``: required | recommended | acceptable; ``tags``: hazards
``sample``      optional meaning name; written as ``<op>:<sample>`` so ops never mix
``now``         optional RFC 3339 text for ``request_to_event``
``input``       the raw text (a string), or a YAML mapping/list written as compact JSON
``base``        instead of ``input``: a named envelope, edited by (in this order)
                ``rename`` {old: new} (same place), ``drop`` [keys], ``set`` {key: value}
                (replace in place, or append), ``add`` [[key, value], ...] (append, repeats
                allowed), ``prepend`` [[key, value], ...]; then rendered with ``separators``
                (default ``[",", ":"]``) or, with ``positional: true``, as the array of values;
                ``before``/``after`` text is put around the result
``expect``      optional: ``ok``, ``same`` (the output is the input), ``{output: text}``,
                ``{error: kind}`` or
                ``{error: {kind: k, message: m}}``. Unstated parts are filled from the reference
                (``noetl_events_ref``); a stated part the reference disagrees with fails the build.

A value (in ``bases``, ``set``, ``add``, ``prepend``) is raw JSON text when it is a YAML string;
an int, bool or null is written as JSON; a mapping or list as compact JSON (floats are refused:
spell them as raw text). A key is JSON-quoted unless it starts with ``"`` (then it is raw, e.g.
``'"\\u0063ontext"'``). ``!deep {depth: N, open: '[', core: '0', close: ']'}`` is ``open`` N
times, ``core``, ``close`` N times.

The build writes every case file (canonical text), deletes stale generated files (files with a
``provenance`` were promoted by hand and are kept) and rewrites ``manifest.json``. Running it
twice gives identical files. ``--check`` writes nothing and exits 1 if anything would change.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import yaml

from conformance.core._atomic import write_atomic
from conformance.corpus._case import (
    LEVELS,
    OPS,
    Case,
    case_from_outcome,
    case_path,
    iter_case_files,
    load_case,
    slugify,
)
from conformance.corpus._corpus import MANIFEST_NAME, manifest_for, manifest_text
from noetl_events_ref._ops import Outcome, run_op

ROOT: Final = Path(__file__).resolve().parent.parent
_CASE_KEYS: Final = frozenset(
    {
        "op",
        "slug",
        "description",
        "level",
        "tags",
        "sample",
        "now",
        "input",
        "base",
        "rename",
        "drop",
        "set",
        "add",
        "prepend",
        "separators",
        "positional",
        "before",
        "after",
        "expect",
    }
)


class BuildError(Exception):
    """The source is wrong, or the reference disagrees with a stated expectation."""


# ---- YAML ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Deep:
    depth: int
    open: str
    core: str
    close: str

    def text(self) -> str:
        return self.open * self.depth + self.core + self.close * self.depth


class _Loader(yaml.SafeLoader):
    pass


def _construct_deep(loader: yaml.SafeLoader, node: yaml.Node) -> Deep:
    m = loader.construct_mapping(node)  # type: ignore[arg-type]
    return Deep(int(m["depth"]), str(m["open"]), str(m.get("core", "")), str(m["close"]))


_Loader.add_constructor("!deep", _construct_deep)


# ---- rendering -----------------------------------------------------------------------------------


def _no_floats(value: Any, where: str) -> None:
    if isinstance(value, float):
        raise BuildError(f"{where}: a float in a structured value; spell it as raw JSON text")
    if isinstance(value, Mapping):
        for v in value.values():
            _no_floats(v, where)
    elif isinstance(value, list):
        for v in value:
            _no_floats(v, where)


def raw_value(value: Any, where: str) -> str:
    """The raw JSON text a source value stands for."""
    if isinstance(value, Deep):
        return value.text()
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int)):
        return json.dumps(value)
    if isinstance(value, (Mapping, list)):
        _no_floats(value, where)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    raise BuildError(f"{where}: cannot use a {type(value).__name__} as a value")


def raw_key(key: Any) -> str:
    key = str(key)
    return key if key.startswith('"') else json.dumps(key, ensure_ascii=False)


def _pairs(items: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(items, list) or not all(isinstance(p, list) and len(p) == 2 for p in items):
        raise BuildError(f"{where}: expected a list of [key, value] pairs")
    return [(raw_key(k), raw_value(v, where)) for k, v in items]


def render(entry: Mapping[str, Any], bases: Mapping[str, list[tuple[str, str]]], where: str) -> str:
    if "input" in entry:
        if "base" in entry:
            raise BuildError(f"{where}: give `input` or `base`, not both")
        return raw_value(entry["input"], where)
    if "base" not in entry:
        raise BuildError(f"{where}: needs `input` or `base`")
    name = entry["base"]
    if name not in bases:
        raise BuildError(f"{where}: unknown base {name!r}")
    fields = list(bases[name])
    for old, new in (entry.get("rename") or {}).items():
        i = _index(fields, raw_key(old), where)
        fields[i] = (raw_key(new), fields[i][1])
    for key in entry.get("drop") or []:
        del fields[_index(fields, raw_key(key), where)]
    for key, value in (entry.get("set") or {}).items():
        rk, rv = raw_key(key), raw_value(value, where)
        keys = [k for k, _ in fields]
        if rk in keys:
            fields[keys.index(rk)] = (rk, rv)
        else:
            fields.append((rk, rv))
    fields = _pairs(entry.get("prepend") or [], where) + fields
    fields += _pairs(entry.get("add") or [], where)
    if entry.get("positional"):
        text = "[" + ",".join(v for _, v in fields) + "]"
    else:
        comma, colon = entry.get("separators") or [",", ":"]
        text = "{" + comma.join(f"{k}{colon}{v}" for k, v in fields) + "}"
    return str(entry.get("before", "")) + text + str(entry.get("after", ""))


def _index(fields: list[tuple[str, str]], key: str, where: str) -> int:
    for i, (k, _) in enumerate(fields):
        if k == key:
            return i
    raise BuildError(f"{where}: the base has no key {key}")


# ---- expansion -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Expectation:
    """What the source states; None parts come from the reference."""

    accepts: bool | None = None
    output: str | None = None
    kind: str | None = None
    message: str | None = None


def _expectation(value: Any, text: str, where: str) -> Expectation:
    if value is None:
        return Expectation()
    if value == "ok":
        return Expectation(accepts=True)
    if value == "same":
        return Expectation(accepts=True, output=text)
    if isinstance(value, Mapping) and set(value) == {"output"}:
        return Expectation(accepts=True, output=str(value["output"]))
    if isinstance(value, Mapping) and set(value) == {"error"}:
        err = value["error"]
        if isinstance(err, str):
            return Expectation(accepts=False, kind=err)
        if isinstance(err, Mapping) and "kind" in err:
            message = err.get("message")
            return Expectation(
                accepts=False,
                kind=str(err["kind"]),
                message=None if message is None else str(message),
            )
    raise BuildError(f"{where}: expect must be ok, {{output: ..}} or {{error: ..}}, got {value!r}")


def _disagreements(expectation: Expectation, outcome: Outcome) -> list[str]:
    """Where the reference's outcome contradicts what the source states."""
    if expectation.accepts is not None and expectation.accepts != outcome.ok:
        wanted = "acceptance" if expectation.accepts else "rejection"
        got = f"output {outcome.output!r}" if outcome.ok else f"{outcome.kind}: {outcome.message}"
        return [f"expected {wanted}, the reference gives {got}"]
    if outcome.ok:
        if expectation.output is not None and expectation.output != outcome.output:
            return [
                f"expected output {expectation.output!r}, the reference writes {outcome.output!r}"
            ]
        return []
    problems = []
    if expectation.kind is not None and expectation.kind != outcome.kind:
        problems.append(
            f"expected kind {expectation.kind!r}, the reference says {outcome.kind!r}: "
            f"{outcome.message}"
        )
    if expectation.message is not None and expectation.message != outcome.message:
        problems.append(
            f"expected message {expectation.message!r}, the reference says {outcome.message!r}"
        )
    return problems


def _merge(defaults: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry over its group's defaults; an entry's own ``input`` drops a default ``base``."""
    if "input" in entry:
        defaults = {k: v for k, v in defaults.items() if k != "base"}
    merged = {**defaults, **entry}
    tags = [*(defaults.get("tags") or []), *(entry.get("tags") or [])]
    merged["tags"] = list(dict.fromkeys(str(t) for t in tags))
    return merged


def expand(
    entry: Mapping[str, Any], bases: Mapping[str, list[tuple[str, str]]], where: str
) -> list[Case]:
    unknown = set(entry) - _CASE_KEYS
    if unknown:
        raise BuildError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("slug", "description", "level", "op"):
        if key not in entry:
            raise BuildError(f"{where}: missing `{key}`")
    slug = str(entry["slug"])
    if slugify(slug) != slug:
        raise BuildError(f"{where}: slug {slug!r} is not a slug (try {slugify(slug)!r})")
    level = str(entry["level"])
    if level not in LEVELS:
        raise BuildError(f"{where}: level {level!r} is not one of {LEVELS}")
    description = str(entry["description"]).strip()
    if "\n" in description:
        raise BuildError(f"{where}: the description must be one line")
    ops = entry["op"] if isinstance(entry["op"], list) else [entry["op"]]
    text = render(entry, bases, where)
    expectation = _expectation(entry.get("expect"), text, where)
    cases = []
    for op in ops:
        if op not in OPS:
            raise BuildError(f"{where}: unknown op {op!r}")
        now = entry.get("now")
        outcome = run_op(op, text, None if now is None else str(now))
        problems = _disagreements(expectation, outcome)
        if problems:
            raise BuildError(
                f"{where} [{op}] {slug}: " + "; ".join(problems) + f"\n    input: {text!r}"
            )
        sample = entry.get("sample")
        cases.append(
            case_from_outcome(
                outcome,
                slug,
                op=op,
                input=text,
                level=level,
                description=description,
                tags=tuple(entry["tags"]),
                sample=None if sample is None else f"{op}:{sample}",
                now=None if now is None else str(now),
            )
        )
    return cases


def load_source(src: Path) -> list[Case]:
    """Every case the source folder describes, in source order."""
    docs: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(src.glob("*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        if not isinstance(doc, dict):
            raise BuildError(f"{path.name}: expected a mapping with `bases` and/or `groups`")
        docs.append((path.name, doc))
    bases: dict[str, list[tuple[str, str]]] = {}
    for name, doc in docs:
        for base, fields in (doc.get("bases") or {}).items():
            if base in bases:
                raise BuildError(f"{name}: base {base!r} is defined twice")
            bases[base] = [
                (raw_key(k), raw_value(v, f"{name}: bases.{base}")) for k, v in fields.items()
            ]
    cases: list[Case] = []
    for name, doc in docs:
        for g, group in enumerate(doc.get("groups") or []):
            defaults = group.get("defaults") or {}
            for c, entry in enumerate(group.get("cases") or []):
                where = f"{name}: groups[{g}].cases[{c}]"
                cases.extend(expand(_merge(defaults, entry), bases, where))
    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            raise BuildError(
                f"two entries make the same case {case.id} (same op, slug and content)"
            )
        seen[case.id] = case
    return cases


# ---- writing -------------------------------------------------------------------------------------


def build(src: Path, corpus: Path, *, check: bool = False) -> list[str]:
    """Bring ``corpus`` in line with ``src``; returns what changed (or would change)."""
    return build_with_manifest(src, corpus, check=check)[0]


def build_with_manifest(
    src: Path, corpus: Path, *, check: bool = False
) -> tuple[list[str], dict[str, Any] | None]:
    """:func:`build`, and the manifest the corpus now carries (``None`` when ``check`` found
    changes: the manifest was not computed)."""
    cases = load_source(src)
    changes: list[str] = []
    wanted: dict[Path, str] = {case_path(corpus, c): c.to_text() for c in cases}
    for path, text in sorted(wanted.items()):
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            changes.append(f"write {path.relative_to(corpus).as_posix()}")
            if not check:
                write_atomic(path, text)
    for path in iter_case_files(corpus):
        if path in wanted:
            continue
        try:
            promoted = load_case(path).provenance is not None
        except ValueError:
            promoted = False
        if not promoted:
            changes.append(f"delete {path.relative_to(corpus).as_posix()}")
            if not check:
                path.unlink()
    manifest_path = corpus / MANIFEST_NAME
    if check and changes:
        changes.append("write manifest.json")
        return changes, None
    manifest = manifest_for(corpus)
    text = manifest_text(manifest)
    old = manifest_path.read_text(encoding="utf-8") if manifest_path.exists() else None
    if old != text:
        changes.append("write manifest.json")
        if not check:
            write_atomic(manifest_path, text)
    return changes, manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build_corpus.py",
        description="Build fixtures/cases from fixtures/src/*.yaml (see the module docstring).",
    )
    parser.add_argument("--src", type=Path, default=ROOT / "fixtures" / "src", help="source folder")
    parser.add_argument("--corpus", type=Path, default=ROOT / "fixtures", help="corpus folder")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if out of date")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    try:
        changes, manifest = build_with_manifest(args.src, args.corpus, check=args.check)
    except BuildError as e:
        print(f"build_corpus: error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        for change in changes:
            print(change)
    if args.check:
        print(f"{len(changes)} change(s) needed" if changes else "corpus is up to date")
        return 1 if changes else 0
    assert manifest is not None
    print(
        f"{manifest['count']} cases; by op {manifest['by_op']}; by level {manifest['by_level']}; "
        f"{len(changes)} change(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
