"""``generate``: generated corpus cases (``--seed/--count``), or Rust test glue (``--rust``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.corpus._case import LEVELS, OPS, load_corpus, select

__all__ = ["register"]

_EPILOG = """\
modes:
  generated cases   noetl-events-conformance generate --seed 7 --count 200 --out DIR [--op OP ...]
                    N cases drawn from the kit's Hypothesis strategies, expectations from the
                    reference, in the corpus's case format; the same seed and count give
                    byte-identical files on every machine.
  Rust test glue    noetl-events-conformance generate --rust OUT [--rust-type PATH]
                    A test file plus the case files it embeds, ready to copy into a crate's
                    tests/ folder; needs only serde_json as an extra dev-dependency.

exit status: 0 written, 2 usage error
"""


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
    rust.add_argument("--rust", metavar="OUT", type=Path, help="write Rust test glue into OUT/")
    rust.add_argument(
        "--rust-type",
        default="noetl_events::ExecutorEvent",
        metavar="PATH",
        help="the Rust type under test (default: noetl_events::ExecutorEvent); a server repo "
        "passes its request type to run the request ops",
    )
    rust.add_argument("--corpus", type=Path, help="corpus folder (default: the bundled one)")
    rust.add_argument("--level", choices=(*LEVELS[:2], "all"), default="all")
    rust.add_argument("--select", metavar="PATTERN", help="only case ids matching PATTERN")
    gen = p.add_argument_group("generated cases")
    gen.add_argument("--seed", type=int, help="random seed (required with --count)")
    gen.add_argument("--count", type=int, help="number of cases to generate")
    gen.add_argument("--out", type=Path, help="folder to write the cases into")
    gen.add_argument("--op", action="append", choices=OPS, help="limit to these ops (repeatable)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ._main import UsageError

    if args.rust is not None:
        if args.seed is not None or args.count is not None or args.out is not None:
            raise UsageError("--rust cannot be combined with --seed/--count/--out")
        from conformance.rust._glue import write_rust_tests

        cases = select(load_corpus(args.corpus), level=args.level, pattern=args.select)
        if not cases:
            raise UsageError("no case matches the selection")
        written = write_rust_tests(args.rust, cases, rust_type=args.rust_type)
        print(f"wrote {len(written)} files into {args.rust}")
        return 0
    if args.seed is None or args.count is None or args.out is None:
        raise UsageError("give either --rust OUT, or all of --seed, --count and --out")
    if args.count < 1:
        raise UsageError("--count must be at least 1")
    from conformance.generation._generation import generate_cases, write_cases

    cases = generate_cases(seed=args.seed, count=args.count, ops=args.op)
    written = write_cases(args.out, cases)
    print(f"wrote {len(written)} cases into {args.out}")
    return 0
