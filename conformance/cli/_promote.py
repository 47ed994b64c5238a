"""``promote``: turn a failing example into a corpus case.

The input is taken as given (already shrunk), the expectation comes from the reference, the id
from the content, and the case records where it came from (``provenance``: strategy, seed, the
implementation it caught, the UTC date). ``--from-output`` reads the failure text the property
checks print (a pasted CI log will do) and promotes every command it finds.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from conformance.corpus._case import (
    LEVELS,
    OPS,
    Case,
    CaseFileError,
    case_from_outcome,
    case_path,
    is_installed_corpus,
    load_case,
    lone_surrogate,
    output_folder,
    write_case,
)

__all__ = ["promote_case", "register"]

EXIT_OK: Final = 0
EXIT_CONFLICT: Final = 1
_MARKER: Final = "noetl-events-conformance promote "
DEFAULT_CORPUS: Final = Path("noetl-events-cases")
_TAG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

_DESCRIPTION: Final = """\
Turn a failing example (as a property check printed it) into a corpus case: the input as
given, the expectation from the reference, a content-hashed id, and provenance. The case is
written into <corpus>/cases/<op>/<id>.json; an existing file with that id is kept.

The corpus is a folder of your project (default: ./noetl-events-cases), never the corpus
installed with the kit. Run it beside the bundled one with
`verify --extra-corpus DIR` or `pytest --noetl-events-extra-corpus DIR`.
"""
_EPILOG: Final = """\
examples:
  noetl-events-conformance promote --op decode_event --input '{"execution_id":1,...}' \\
      --caught-by rust-noetl-events-0.1.0 --strategy wire_envelopes
  noetl-events-conformance promote --from-output ci.log --corpus fixtures

exit status: 0 written (or already in the corpus), 1 another case already has the id,
2 usage error
"""


def _add_example_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    """The options a printed command carries (shared with the --from-output reader)."""
    p.add_argument("--op", choices=OPS, help="the operation the example runs")
    given = p.add_mutually_exclusive_group(required=required)
    given.add_argument("--input", metavar="TEXT", help="the input text, as is")
    given.add_argument(
        "--input-json", metavar="JSON", help="the input as a JSON string literal (any character)"
    )
    given.add_argument("--input-file", metavar="FILE", help="the input: FILE's text")
    p.add_argument("--now", metavar="RFC3339", help="the `now` of a request_to_event example")
    p.add_argument("--caught-by", metavar="IMPL", help="the implementation the example caught")
    p.add_argument("--strategy", metavar="NAME", help="the strategy that drew the example")
    p.add_argument("--seed", type=int, metavar="S", help="the seed it was drawn with")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``promote`` subcommand."""
    p = sub.add_parser(
        "promote",
        help="turn a failing example into a corpus case",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_example_options(p, required=False)
    p.add_argument(
        "--from-output",
        metavar="FILE",
        help="promote every `noetl-events-conformance promote` command in FILE (- for stdin)",
    )
    p.add_argument("--slug", help="the readable part of the id (default: promoted-<strategy>)")
    p.add_argument("--description", metavar="TEXT", help="one line: what the case shows")
    p.add_argument("--tags", metavar="A,B", help="hazard tags, comma-separated")
    p.add_argument(
        "--corpus",
        metavar="DIR",
        help=f"the corpus folder to write into (default: ./{DEFAULT_CORPUS}; never the "
        "installed one)",
    )
    p.add_argument(
        "--level",
        choices=LEVELS,
        help="the case's level (default: recommended): required, recommended, or acceptable "
        "(a behaviour the real crates have that other readers may differ on; verify's --level "
        "all selects it)",
    )
    p.set_defaults(func=_run)


def _usage(message: str) -> Exception:
    from ._main import UsageError

    return UsageError(message)


def _read_input(args: argparse.Namespace) -> str:
    where = getattr(args, "where", "")  # (the line of a --from-output command)
    if args.input is not None:
        text = str(args.input)
    elif args.input_json is not None:
        try:
            value = json.loads(args.input_json)
        except ValueError as e:
            raise _usage(f"{where}--input-json is not a JSON string literal: {e}") from None
        if not isinstance(value, str):
            raise _usage(f"{where}--input-json must be a JSON string literal")
        text = value
    else:
        if not args.input_file:
            raise _usage(f"{where}--input-file: give a file name (it is empty)")
        try:
            return Path(args.input_file).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise _usage(f"{where}cannot read --input-file {args.input_file}: {e}") from None
    surrogate = lone_surrogate(text)
    if surrogate is not None:
        option = "--input" if args.input is not None else "--input-json"
        hint = (
            " (for the escape \\ud800 as text, write \\\\ud800 in the JSON literal)"
            if option == "--input-json"
            else ""
        )
        raise _usage(
            f"{where}{option}: the input holds a lone surrogate ({surrogate[1]}), which is "
            "not Unicode text: an input is UTF-8 text, and a lone surrogate cannot be written "
            f"as UTF-8{hint}"
        )
    return text


def _commands(text: str, source: str) -> list[argparse.Namespace]:
    """Every promote command in a failure text (duplicates once), parsed; ``source`` names
    where the text came from, for an error."""
    parser = argparse.ArgumentParser(prog="promote", add_help=False, exit_on_error=False)
    _add_example_options(parser, required=True)
    found: list[argparse.Namespace] = []
    seen: set[tuple[Any, ...]] = set()
    for number, line in enumerate(text.splitlines(), 1):
        start = line.find(_MARKER)
        if start < 0:
            continue
        try:
            ns = parser.parse_args(shlex.split(line[start + len(_MARKER) :]))
        except (ValueError, argparse.ArgumentError) as e:
            raise _usage(
                f"{source}, line {number}: cannot read the command ({e}): {line.strip()[:200]}"
            ) from None
        ns.where = f"{source}, line {number}: "
        key = (ns.op, ns.input, ns.input_json, ns.now)
        if key not in seen:
            seen.add(key)
            found.append(ns)
    return found


def _tags(value: str | None) -> tuple[str, ...]:
    tags = [t.strip() for t in (value or "").split(",") if t.strip()]
    for tag in tags:
        if not _TAG.fullmatch(tag):
            raise _usage(f"tag {tag!r}: tags are lowercase words joined by '-'")
    return tuple(dict.fromkeys([*tags, "promoted"]))


def promote_case(
    op: str,
    text: str,
    *,
    now: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    tags: Sequence[str] = ("promoted",),
    level: str = "recommended",
    provenance: dict[str, Any] | None = None,
) -> Case:
    """The corpus case for an example: the expectation from the reference, id from content.
    Raises ``ValueError`` when the reference cannot run it (``request_to_event`` without
    ``now`` for a request that has no ``created_at``)."""
    from noetl_events_ref._ops import run_op

    if now is not None and op != "request_to_event":
        raise ValueError("--now only applies to request_to_event")
    outcome = run_op(op, text, now)
    if outcome.kind == "other":
        raise ValueError(f"the reference cannot run this example: {outcome.message} (pass --now)")
    strategy = (provenance or {}).get("strategy")
    return case_from_outcome(
        outcome,
        slug or f"promoted-{strategy or op}",
        op=op,
        input=text,
        level=level,
        description=description or f"Promoted from a failing property example ({strategy or op})",
        tags=tuple(tags),
        now=now,
        provenance=provenance,
    )


def _same_meaning(a: Case, b: Case) -> bool:
    return (a.op, a.input, a.now, a.meaning) == (b.op, b.input, b.now, b.meaning)


def _write(corpus: Path, case: Case) -> tuple[Path, Case | None]:
    """Write the case unless its id is taken; ``(path, None)`` when written, else ``(path,
    the case already there)``. A taken id with another meaning is a conflict
    (``FileExistsError``)."""
    path = case_path(corpus, case)
    if path.exists():
        try:
            existing = load_case(path)
        except CaseFileError as e:
            raise FileExistsError(f"{path} exists and is not a readable case: {e}") from None
        if _same_meaning(existing, case):
            return path, existing
        raise FileExistsError(f"{path} exists and holds a different case; not overwritten")
    return write_case(corpus, case), None


# A case file's fields, by the option that gives them (for a field that cannot be written).
_OPTION_OF: Final = {
    "$.description": "--description",
    "$.now": "--now",
    "$.provenance.caught_by": "--caught-by",
    "$.provenance.strategy": "--strategy",
}


def _promote_one(args: argparse.Namespace, example: argparse.Namespace, corpus: Path) -> int:
    if example.op is None:
        raise _usage("--op is required")
    text = _read_input(example)
    if example.now is not None:
        from noetl_events_ref import Timestamp
        from noetl_events_ref._timestamp import TimestampParseError

        try:
            Timestamp.parse(example.now)
        except TimestampParseError as e:
            raise _usage(f"--now {example.now!r} is not an RFC 3339 timestamp: {e}") from None
    provenance: dict[str, Any] = {"promoted_by": "noetl-events-conformance promote"}
    for key in ("strategy", "seed", "caught_by"):
        value = getattr(example, key) if getattr(example, key) is not None else getattr(args, key)
        if value is not None:
            provenance[key] = value
    provenance["date"] = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
    if args.description is not None and "\n" in args.description:
        raise _usage("--description must be one line")
    try:
        case = promote_case(
            example.op,
            text,
            now=example.now,
            slug=args.slug,
            description=args.description,
            tags=_tags(args.tags),
            level=args.level or "recommended",
            provenance=provenance,
        )
    except ValueError as e:
        raise _usage(str(e)) from None
    surrogate = lone_surrogate(case.to_json())  # (an option given as bytes that are not UTF-8)
    if surrogate is not None:
        option = _OPTION_OF.get(surrogate[0], f"the case's {surrogate[0]}")
        raise _usage(
            f"{getattr(example, 'where', '')}{option}: holds a lone surrogate ({surrogate[1]}), "
            "which is not Unicode text: a case file is UTF-8 and cannot hold it"
        )
    try:
        path, kept = _write(corpus, case)
    except FileExistsError as e:
        print(f"noetl-events-conformance: {e}", file=sys.stderr)
        return EXIT_CONFLICT
    written = kept is None
    print(path if written else f"{path} (already in the corpus)")
    if kept is not None:  # what was asked for this run and is not what the corpus holds
        ignored = [
            flag
            for flag, given, same in (
                ("--level", args.level, kept.level == case.level),
                ("--description", args.description, kept.description == case.description),
                ("--tags", args.tags, set(kept.tags) == set(case.tags)),
            )
            if given is not None and not same
        ]
        if ignored:
            print(
                f"note: {path} is kept as it is: {', '.join(ignored)} not applied "
                "(edit the file to change it)",
                file=sys.stderr,
            )
    from conformance.corpus._corpus import case_secrets

    for json_path, where in case_secrets(case):
        print(
            f"warning: {path}: {json_path}: holds a value the server would redact ({where}); "
            "`corpus lint` will refuse it: replace the secret with a harmless value",
            file=sys.stderr,
        )
    if written:
        where = shlex.quote(str(corpus))
        print(
            f"update the manifest with: noetl-events-conformance corpus manifest --corpus {where}"
            f"\nrun it beside the bundled corpus with: noetl-events-conformance verify "
            f"--extra-corpus {where}",
            file=sys.stderr,
        )
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.corpus is None:
        corpus = DEFAULT_CORPUS
    else:  # (refused: empty, which would be the current folder; not a folder; a link loop)
        corpus = output_folder(args.corpus, "--corpus", "the case")
    if is_installed_corpus(corpus):
        raise _usage(
            f"--corpus {corpus} is the corpus installed with the kit: a reinstall would lose "
            f"the case. Write into a folder of your project (default: ./{DEFAULT_CORPUS}) and "
            "run it with --extra-corpus"
        )
    if args.from_output is None:
        if args.input is None and args.input_json is None and args.input_file is None:
            raise _usage("give --input, --input-json, --input-file or --from-output")
        return _promote_one(args, args, corpus)
    if any(getattr(args, k) is not None for k in ("op", "input", "input_json", "input_file")):
        raise _usage("--from-output takes the op and input from the output; drop --op/--input")
    if args.from_output == "-" and sys.stdin is None:  # (`<&-`: Python sets it to None)
        raise _usage("cannot read --from-output -: standard input is closed")
    if not args.from_output:
        raise _usage("--from-output: give a file name, or - for standard input (it is empty)")
    try:
        if args.from_output == "-":
            text = _read_stdin()
        else:
            text = Path(args.from_output).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise _usage(f"cannot read --from-output {args.from_output}: {e}") from None
    source = "standard input" if args.from_output == "-" else args.from_output
    examples = _commands(text, source)
    if not examples:
        raise _usage(f"no `{_MARKER.strip()}` command in {args.from_output}")
    status = EXIT_OK
    for example in examples:
        status = max(status, _promote_one(args, example, corpus))
    return status


def _read_stdin() -> str:
    """Standard input's text, as a file's is read (bytes that are not UTF-8 replaced)."""
    stdin = sys.stdin
    binary = getattr(stdin, "buffer", None)
    if binary is None:  # (a text stream without bytes underneath: a test's StringIO)
        return str(stdin.read())
    return bytes(binary.read()).decode("utf-8", errors="replace")
