"""``noetl-events-conformance corpus``: lint a corpus folder, format its case files (``fmt``),
rewrite its manifest (``manifest``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Final

from conformance.core._text import visible
from conformance.corpus._case import CaseFileError, default_corpus_dir, is_installed_corpus
from conformance.corpus._corpus import (
    MANIFEST_NAME,
    RULES,
    UnreadableCases,
    fmt,
    lint,
    write_manifest,
)

from ._output import write_stdout

__all__ = ["register"]

EXIT_OK: Final = 0
EXIT_PROBLEMS: Final = 1

_DESCRIPTION: Final = """\
Maintain a corpus folder (cases/<op>/<id>.json plus manifest.json).

  lint      check every case file and the manifest; exit 1 if anything is wrong
  fmt       rewrite case files into their canonical text (--check: only report)
  manifest  rewrite manifest.json from the case files

Without --corpus, lint and fmt --check read the bundled corpus; fmt and manifest write, and
need --corpus DIR (the bundled corpus is never written).
"""

_LINT_DESCRIPTION: Final = (
    "Check every case file and the manifest. Each problem is printed as\n"
    "FILE: JSON-PATH: MESSAGE [RULE]; the rules are:\n\n"
    + "".join(f"  {name:10} {text}\n" for name, text in RULES.items())
)
_LINT_EPILOG: Final = "exit status: 0 clean, 1 problems found, 2 usage error (not a corpus folder)"


def _corpus_dir(value: str | None, *, writing: bool = False, command: str = "") -> Path:
    from ._main import UsageError

    if value == "":  # (Path("") would be the current folder)
        raise UsageError("--corpus: give a folder name (it is empty)")
    if value is None and writing:
        raise UsageError(
            f"corpus {command} writes into the corpus: give its folder with --corpus DIR (the "
            "bundled corpus is never written)"
        )
    corpus = Path(value) if value is not None else default_corpus_dir()
    if not (corpus / "cases").is_dir():
        raise UsageError(f"{corpus} is not a corpus folder (it has no cases/ folder)")
    if writing and is_installed_corpus(corpus):
        raise UsageError(
            f"{corpus} is the corpus installed with the kit: it is never written to (a "
            "reinstall would undo it); give your own folder with --corpus DIR"
        )
    return corpus


def _add_corpus_option(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--corpus",
        metavar="DIR",
        help=f"the corpus folder, holding cases/ and manifest.json ({default})",
    )


def _run_lint(args: argparse.Namespace) -> int:
    corpus = _corpus_dir(args.corpus)
    problems = lint(corpus)
    if args.format == "json":
        report = {
            "corpus": str(corpus),
            "clean": not problems,
            "count": len(problems),
            "problems": [p.to_json() for p in problems],
        }
        write_stdout(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        write_stdout(
            "".join(
                f"{corpus / p.file}: {p.json_path}: {visible(p.message)} [{p.rule}]\n"
                for p in problems
            )
        )
        files = len({p.file for p in problems})
        if problems:
            print(f"{len(problems)} problem(s) in {files} file(s)", file=sys.stderr)
        else:
            print(f"{corpus}: clean", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _run_fmt(args: argparse.Namespace) -> int:
    corpus = _corpus_dir(args.corpus, writing=not args.check, command="fmt")
    verb = "would reformat" if args.check else "reformatted"
    try:
        changed = fmt(corpus, check=args.check)
    except UnreadableCases as e:
        if args.check:
            write_stdout("".join(f"{verb} {path}\n" for path in e.changed))
        for error in e.errors:
            print(f"{error.path}: {error.json_path}: {error.message}", file=sys.stderr)
        print(
            f"{len(e.errors)} file(s) cannot be read as cases (`corpus lint` says more)"
            + ("" if args.check else ": nothing was reformatted"),
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    write_stdout("".join(f"{verb} {path}\n" for path in changed))
    if changed and not args.check:
        print("the case files changed: update the manifest with `corpus manifest`", file=sys.stderr)
    if args.check and changed:
        return EXIT_PROBLEMS
    return EXIT_OK


def _run_manifest(args: argparse.Namespace) -> int:
    corpus = _corpus_dir(args.corpus, writing=True, command="manifest")
    try:
        manifest = write_manifest(corpus)
    except CaseFileError as e:
        print(f"{e.path}: {e.json_path}: {e.message}", file=sys.stderr)
        return EXIT_PROBLEMS
    path = corpus / MANIFEST_NAME
    print(f"wrote {path}: {manifest['count']} cases, sha256 {manifest['sha256']}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``corpus`` command and its subcommands."""
    corpus = subparsers.add_parser(
        "corpus",
        help="lint a corpus folder, fmt its case files, rewrite its manifest",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = corpus.add_subparsers(dest="corpus_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser(
        "lint",
        help="check the case files and the manifest",
        description=_LINT_DESCRIPTION,
        epilog=_LINT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_corpus_option(p, "default: the bundled corpus")
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one line per problem (default); json: one report object",
    )
    p.set_defaults(func=_run_lint)

    p = sub.add_parser(
        "fmt",
        help="rewrite case files into canonical text",
        description=(
            "Rewrite each case file whose text differs from its canonical form (2-space\n"
            "indented JSON, fields in format order, UTF-8, final newline). Files are replaced\n"
            "atomically. Ids, names and the manifest are not touched."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 done or nothing to change; 1 --check found files to reformat,\n"
        "or a file is not a case; 2 usage error",
    )
    _add_corpus_option(
        p,
        "required: the bundled corpus is never written; with --check, default: the bundled corpus",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the files that would change and exit 1 if any",
    )
    p.set_defaults(func=_run_fmt)

    p = sub.add_parser(
        "manifest",
        help="rewrite manifest.json from the case files",
        description=(
            "Recompute manifest.json (count, sha256 over the case files, counts by op and\n"
            "level) and write it; corpus_version is kept."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 written, 1 a file is not a case, 2 usage error",
    )
    _add_corpus_option(p, "required: the bundled corpus is never written")
    p.set_defaults(func=_run_manifest)
