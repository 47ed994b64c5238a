"""``generate``: generated corpus cases (``--seed/--count``), or Rust test glue (``--rust``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.corpus._case import (
    LEVEL_CHOICES,
    OPS,
    CaseFileError,
    corpus_folder,
    load_corpus,
    output_folder,
    select,
)

__all__ = ["register"]

_EPILOG = """\
modes:
  generated cases   noetl-events-conformance generate --seed 7 --count 200 --out DIR [--op OP ...]
                    N cases drawn from the kit's Hypothesis strategies, expectations from the
                    reference, in the corpus's case format; the same seed and count give
                    byte-identical files on every machine.
  Rust test glue    noetl-events-conformance generate --rust OUT [--rust-type PATH
                        --rust-role event|request|batch] [--check]
                    A test file plus the case files it embeds, for a crate's tests/ folder
                    (OUT = tests/ writes tests/<stem>.rs; OUT = tests/<dir> writes
                    tests/<dir>/main.rs, the two layouts cargo runs; anywhere else
                    OUT/<stem>.rs, with a warning that cargo will not run it there); needs only
                    serde_json as an extra dev-dependency. OUT and the folders it is in are
                    made when missing. The role says what the type is; only the default type
                    has one without --rust-role. --check writes nothing and tells whether OUT
                    holds exactly what this command would write.

With --seed, an existing case file is never overwritten: one that holds something else than
the case (edited since) is kept and named, and the exit status is 1. With --rust, the files
the glue embeds are its own: a rerun writes them again (edit cases in a corpus, not there).
Stopped part-way (Ctrl-C, or a SIGTERM as `timeout` sends), a run removes the files it created
and leaves the manifest as it was.

exit status: 0 written (or up to date with --check), 1 existing case files kept (they differ)
or stale (--check), 2 usage error
"""

# The Rust glue's options, with their defaults: given in seed mode, they are a mistake.
_RUST_ONLY = {
    "rust_type": ("--rust-type", None),
    "rust_role": ("--rust-role", None),
    "check": ("--check", False),
    "corpus": ("--corpus", None),
    "level": ("--level", None),
    "select": ("--select", None),
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "generate",
        help="generate corpus cases from the strategies, or Rust test glue",
        description="Generate corpus cases from the kit's strategies, or a Rust test file "
        "that runs the corpus inside a downstream crate's `cargo test`.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rust = p.add_argument_group("Rust test glue")
    rust.add_argument("--rust", metavar="OUT", help="write Rust test glue into OUT/")
    rust.add_argument(
        "--rust-type",
        metavar="PATH",
        help="the Rust type under test (default: noetl_events::ExecutorEvent); a server repo "
        "passes its request or batch type, with --rust-role",
    )
    rust.add_argument(
        "--rust-role",
        choices=("event", "request", "batch"),
        help="what the type under test is: event (an ExecutorEvent: decode_event), request "
        "(the server's EventRequest: decode_request) or batch (its BatchEventRequest: "
        "decode_batch); required for any type but the default",
    )
    rust.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if OUT's glue differs from what would be written",
    )
    rust.add_argument("--corpus", metavar="DIR", help="corpus folder (default: the bundled one)")
    rust.add_argument("--level", choices=LEVEL_CHOICES, help="default: all")
    rust.add_argument("--select", metavar="PATTERN", help="only case ids matching PATTERN")
    gen = p.add_argument_group("generated cases")
    gen.add_argument("--seed", type=int, help="random seed (required with --count)")
    gen.add_argument("--count", type=int, help="number of cases to generate")
    gen.add_argument("--out", metavar="DIR", help="folder to write the cases into")
    gen.add_argument(
        "--op",
        action="append",
        choices=OPS,
        help="draw cases of these ops, in turn (repeatable; default: the five envelope ops, "
        f"{', '.join(OPS[:5])})",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ._main import UsageError

    if args.rust is not None:
        if args.seed is not None or args.count is not None or args.out is not None:
            raise UsageError("--rust cannot be combined with --seed/--count/--out")
        return _run_rust(args)
    if args.seed is None or args.count is None or args.out is None:
        raise UsageError("give either --rust OUT, or all of --seed, --count and --out")
    for attr, (flag, default) in _RUST_ONLY.items():
        if getattr(args, attr) != default:
            raise UsageError(f"{flag} goes with --rust (Rust test glue), not with --seed")
    if args.count < 1:
        raise UsageError("--count must be at least 1")
    args.out = output_folder(args.out, "--out", "the cases")
    if (args.out / "cases").is_dir():  # an existing corpus: readable, before anything is written
        try:
            load_corpus(args.out)
        except CaseFileError as e:
            raise UsageError(f"--out {args.out}: cannot read the corpus there: {e}") from None
    from conformance.generation._generation import generate_cases, write_cases

    cases = generate_cases(seed=args.seed, count=args.count, ops=args.op)
    try:
        done = write_cases(args.out, cases)
    except CaseFileError as e:  # (a case file that changed during the run; nothing is left)
        raise UsageError(f"--out {args.out}: cannot read the corpus there: {e}") from None
    print(f"wrote {len(done.cases)} cases into {args.out}")
    if done.kept:
        print(
            f"kept {len(done.kept)} existing case file(s) that differ from what seed "
            f"{args.seed} gives (edited since?); not overwritten:",
            file=sys.stderr,
        )
        for path in done.kept[:20]:
            print(f"  {path}", file=sys.stderr)
        if len(done.kept) > 20:
            print(f"  ... and {len(done.kept) - 20} more", file=sys.stderr)
        return 1
    return 0


def _options(args: argparse.Namespace, role: str) -> list[str]:
    """The generating command's options, as the header records them."""
    out = ["--rust", str(args.rust), "--rust-type", args.rust_type, "--rust-role", role]
    if args.corpus is not None:
        out += ["--corpus", str(args.corpus)]
    if args.level != "all":
        out += ["--level", args.level]
    if args.select is not None:
        out += ["--select", args.select]
    return out


def _run_rust(args: argparse.Namespace) -> int:
    import filecmp
    import tempfile

    from conformance.rust._glue import (
        DEFAULT_RUST_TYPE,
        RustGlueError,
        glue_layout,
        owned_case_files,
        resolve_role,
        write_rust_tests,
    )

    from ._main import UsageError

    args.rust_type = args.rust_type or DEFAULT_RUST_TYPE
    args.level = args.level or "all"
    try:
        role = resolve_role(args.rust_type, args.rust_role)
    except RustGlueError as e:
        raise UsageError(str(e)) from None
    args.rust = output_folder(args.rust, "--rust", "the Rust test glue")
    folder = corpus_folder(args.corpus, flag="--corpus")  # (a UsageError: not a folder)
    try:
        cases = select(load_corpus(folder), level=args.level, pattern=args.select)
    except CaseFileError as e:
        raise UsageError(f"cannot read the corpus: {e}") from None
    if not cases:
        raise UsageError("no case matches the selection")
    options = _options(args, role)
    print(f"type under test: {args.rust_type} (role {role})")
    test_file, warnings = glue_layout(args.rust, role)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.check:
        written = write_rust_tests(
            args.rust, cases, rust_type=args.rust_type, role=role, options=options
        )
        print(f"wrote {len(written)} files into {args.rust} (test file {written[0].name})")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        # The same layout in a scratch copy: the test file's name depends on where OUT is.
        fresh = write_rust_tests(
            Path(scratch), cases, rust_type=args.rust_type, role=role, options=options
        )
        stale: list[str] = []
        targets = [test_file] + [args.rust / f.relative_to(scratch) for f in fresh[1:]]
        for made, target in zip(fresh, targets, strict=True):
            if not target.is_file() or not filecmp.cmp(made, target, shallow=False):
                stale.append(str(target))
        expected = set(targets[1:])  # and the case files of the glue there now that go
        stale += sorted(str(f) for f in owned_case_files(args.rust, role) - expected)
    if stale:
        print(f"stale: {len(stale)} file(s) differ from what this command writes:")
        for path in stale[:20]:
            print(f"  {path}")
        return 1
    print(f"up to date: {args.rust}")
    return 0
