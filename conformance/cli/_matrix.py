"""``matrix``: real producers and consumers side by side, with what each hop loses."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from conformance.core._atomic import write_atomic
from conformance.core._usage import UsageError
from conformance.corpus._case import (
    LEVEL_CHOICES,
    Case,
    CaseFileError,
    default_corpus_dir,
    load_corpus,
    select,
)
from conformance.matrix._policy import DEFAULT_POLICY, Policy, PolicyError, load_policy
from conformance.matrix._report import FORMATS, matrix_schema, render
from conformance.matrix._run import (
    VIA_OPS,
    Matrix,
    Peer,
    Trail,
    TrailError,
    probe_callables,
    run_matrix,
)
from conformance.runner._models import MODEL_OPS
from conformance.runner._runner import CallableContractError
from conformance.runner._spec import SpecError, parse_spec
from conformance.runner._subprocess_driver import finite_seconds

from ._output import check_output, command_files, folder_path, write_stdout

__all__ = ["register"]

EXIT_OK: Final = 0
EXIT_LOSS: Final = 1
EXIT_ERRORED: Final = 3
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

_EPILOG: Final = """\
roles:
  An implementation declares its roles at handshake (protocol v1 `roles`); one that declares
  none is a producer and a consumer when it runs decode_event, a consumer when it runs
  `consume`. A python-model SPEC is a consumer. A --trail is a producer named after its file.

exit status:
  0  no hop the policy marks required lost data
  1  a required hop lost data (or was rejected, unless the policy allows rejections), or
     a required pair had no hop at all (its consumer skipped every emission)
  2  usage error (bad option, unknown command or module, unreadable trail or policy, a
     policy pattern that matches no hop, a python: callable whose first answer to an op
     breaks its contract, no hop at all: a matrix that tests nothing does not pass, an
     implementation that is neither producer nor consumer)
  3  an implementation errored: crashed, hung or broke the protocol, or a python: callable
     raised (on any input) or broke its contract later in the run

examples:
  noetl-events-conformance matrix --impl ref=reference \\
      --impl rust=adapters/rust/target/release/noetl-events-adapter \\
      --impl server=python-model:myserver.models:EventRequest --count 200 --seed 1
  noetl-events-conformance matrix --impl old=./adapter-1.0 --impl new=./adapter-1.1
  noetl-events-conformance matrix --impl rust=... --trail noetl-cli.jsonl \\
      --policy matrix-policy.yaml --format html --output matrix.html
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "matrix",
        help="hand every producer's emissions to every consumer; report what each hop loses",
        description=(
            "Run every implementation on the corpus (and --count generated cases), hand every\n"
            "envelope each producer emits (and every line of each --trail) to every consumer,\n"
            "and judge each hop accepted or rejected, lossless or losing fields (dropped,\n"
            "re-derived or defaulted, changed, renamed). Implementations of one role are\n"
            "also compared with each other, case by case (the differential)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--impl",
        metavar="NAME=SPEC",
        action="append",
        default=[],
        help="an implementation (repeatable): SPEC is anything verify --impl takes",
    )
    add(
        "--trail",
        metavar="[NAME=]FILE",
        action="append",
        default=[],
        type=str,
        help="a producer's captured envelopes, one per line, gzip or not (repeatable); named "
        "after the file",
    )
    add(
        "--via",
        metavar="NAME=OP",
        action="append",
        default=[],
        help="read consumer NAME through OP (decode_request: the server's request type; "
        "post_events: its JSON extractor, a non-200 answer a rejection; consume; "
        "decode_event); NAME is then a consumer only (repeatable)",
    )
    add("--count", type=int, default=0, help="also N generated decode_event cases")
    add("--seed", type=int, help="seed of the generated cases (required with --count)")
    add(
        "--corpus", metavar="DIR", type=folder_path, help="corpus folder (default: the bundled one)"
    )
    add(
        "--level",
        choices=LEVEL_CHOICES,
        default="all",
        help="corpus cases at this level or stricter (default: all)",
    )
    add("--policy", metavar="FILE", type=Path, help="which hops must not lose data (YAML)")
    add("--format", choices=FORMATS, default="text", help="report format (default: text)")
    add("--output", metavar="FILE", help="write the report here (atomically)")
    add("--timeout", type=float, default=10.0, metavar="SECONDS", help="per request, finite (10)")
    add("--run-timeout", type=float, default=600.0, metavar="SECONDS", help="per run, finite (600)")
    add(
        "--schema",
        action="store_true",
        help="print the JSON Schema of the json report (or write it to --output) and exit",
    )
    parser.set_defaults(func=run)


def _peers(values: list[str]) -> list[Peer]:
    peers: list[Peer] = []
    seen: set[str] = set()
    for value in values:
        name, eq, text = value.partition("=")
        if not eq or not _NAME.match(name) or not text:
            raise UsageError(
                f"--impl {value!r}: expected NAME=SPEC, NAME of letters, digits, `.`, `_`, `-`"
            )
        if name in seen:
            raise UsageError(f"--impl {value!r}: the name {name!r} is given twice")
        if name == "input":  # (a differential example holds the input beside each answer)
            raise UsageError(f"--impl {value!r}: the name 'input' is the report's own")
        seen.add(name)
        try:
            peers.append(Peer(name, parse_spec(text)))
        except SpecError as e:
            raise UsageError(f"--impl {name}={e}") from None
    return peers


def _via(peers: list[Peer], values: list[str]) -> list[Peer]:
    ops: dict[str, str] = {}
    kinds = {p.name: p.spec.kind for p in peers}
    for value in values:
        name, eq, op = value.partition("=")
        if not eq or name not in kinds:
            raise UsageError(f"--via {value!r}: expected NAME=OP with NAME given to --impl")
        if op not in VIA_OPS:
            raise UsageError(f"--via {value!r}: OP is one of {', '.join(VIA_OPS)}")
        if kinds[name] == "python-model" and op not in MODEL_OPS:  # (known before any run)
            raise UsageError(
                f"--via {value!r}: a python-model: implementation runs only "
                f"{' and '.join(sorted(MODEL_OPS))}"
            )
        ops[name] = op
    return [dataclasses.replace(p, via=ops.get(p.name)) for p in peers]


def _trail_name_and_file(value: str) -> tuple[str, str]:
    """``--trail [NAME=]FILE`` as its name ("": from the file) and file."""
    name, eq, file = value.partition("=")
    if not eq or not _NAME.match(name):
        return "", value
    return name, file


def _trails(values: list[str], taken: set[str]) -> list[Trail]:
    trails = []
    for value in values:
        name, file = _trail_name_and_file(value)
        path = Path(file)
        try:
            trail = Trail.read(path, name or None)
        except OSError as e:
            raise UsageError(f"--trail {path}: cannot read: {e.strerror or e}") from None
        except TrailError as e:
            raise UsageError(f"--trail {e}") from None
        if trail.name in taken:
            raise UsageError(f"--trail {path}: the name {trail.name!r} is already taken")
        taken.add(trail.name)
        trails.append(trail)
    return trails


def _check_policy(policy: Policy, pairs: list[tuple[str, str]]) -> None:
    unmatched = policy.unmatched(pairs)
    if unmatched:
        more = f" (and {len(unmatched) - 1} more)" if len(unmatched) > 1 else ""
        raise UsageError(f"--policy {unmatched[0]}{more}")


def _cases(args: argparse.Namespace) -> list[Case]:
    corpus_dir = args.corpus if args.corpus is not None else default_corpus_dir()
    try:
        cases = select(load_corpus(corpus_dir), level=args.level, pattern=None)
    except CaseFileError as e:
        raise UsageError(f"cannot read the corpus: {e}") from None
    if args.count:
        from conformance.generation._generation import generate_cases

        cases = [*cases, *generate_cases(seed=args.seed, count=args.count, ops=["decode_event"])]
    return cases


def run(args: argparse.Namespace) -> int:
    if args.schema:
        schema = json.dumps(matrix_schema(), indent=2, ensure_ascii=False) + "\n"
        if args.output is None:
            write_stdout(schema)
        else:
            check_output(args.output)
            write_atomic(args.output, schema)
        return EXIT_OK
    if args.count < 0 or (args.count and args.seed is None):
        raise UsageError("--count N needs N >= 0 and a --seed")
    for flag, seconds in (("--timeout", args.timeout), ("--run-timeout", args.run_timeout)):
        if not finite_seconds(seconds):
            raise UsageError(
                f"{flag} must be a positive, finite number of seconds, not {seconds:g}"
            )
    if args.output is not None:
        inputs: dict[str, str | Path | None] = {f"the --policy {args.policy}": args.policy}
        corpus = args.corpus or default_corpus_dir()
        inputs[f"in the corpus {corpus}"] = corpus
        for value in args.trail:
            file = _trail_name_and_file(value)[1]
            inputs[f"the --trail {file}"] = file
        for value in args.impl:
            inputs.update(command_files(value.partition("=")[2]))
        check_output(args.output, inputs)
    peers = _via(_peers(args.impl), args.via)
    if not peers:
        raise UsageError("give at least one --impl NAME=SPEC")
    trails = _trails(args.trail, {p.name for p in peers})
    try:
        policy = load_policy(args.policy) if args.policy is not None else DEFAULT_POLICY
    except PolicyError as e:
        raise UsageError(f"--policy {e}") from None
    # by the names before the run (a model or a --via peer is a consumer only), by the cells after
    producing = [p.name for p in peers if p.via is None and p.spec.kind != "python-model"]
    producing += [t.name for t in trails]
    if not producing:  # no hop at all: a matrix of nothing must not pass
        raise UsageError(
            "nothing produces: every --impl given is a consumer only (python-model: or --via); "
            "give a producer with --impl NAME=SPEC or a --trail"
        )
    _check_policy(policy, [(p, c.name) for p in producing for c in peers])
    cases = _cases(args)
    try:  # a callable that breaks its contract at once: one usage error, before the run
        probe_callables(peers, cases)
    except CallableContractError as e:
        raise UsageError(f"--impl {e}") from None
    with _progress() as tick:
        matrix = run_matrix(
            peers,
            cases,
            trails,
            policy=policy,
            timeout=args.timeout,
            run_timeout=args.run_timeout,
            on_answer=tick,
        )
    try:
        _check_after_run(matrix, policy)
    except UsageError:
        if args.output is not None:  # an earlier report there must not look like this run's
            with contextlib.suppress(OSError):
                write_atomic(args.output, render(matrix, args.format, status="failed"))
        raise
    text = render(matrix, args.format)
    if args.output is not None:
        write_atomic(args.output, text)
    else:
        write_stdout(text)
    if matrix.errored:
        return EXIT_ERRORED
    return EXIT_LOSS if matrix.failed else EXIT_OK


def _check_after_run(matrix: Matrix, policy: Policy) -> None:
    """What only the run can tell: a matrix that tested nothing, an implementation it could
    not test, a policy pattern no pair matched (each a :class:`UsageError`). An errored
    matrix is reported as it is."""
    if matrix.errored:
        return
    if not matrix.cells:  # (an adapter may declare itself a consumer only)
        raise UsageError(
            "no hop: no implementation produced and consumed (an adapter that declares "
            "the consumer role only, or the consume op only, is a consumer); give a "
            "producer with --impl NAME=SPEC or a --trail"
        )
    idle = [p["name"] for p in matrix.peers if not p["roles"]]
    if idle:  # it took no part: the matrix says nothing of it
        raise UsageError(
            f"--impl {idle[0]}: neither producer nor consumer: it declares neither "
            "decode_event (to produce, and consume) nor consume (to consume), so the "
            "matrix cannot test it"
        )
    if not any(c.hops for c in matrix.cells):  # a matrix that tested nothing must not pass
        raise UsageError(
            "no hop: no consumer read anything a producer emitted (no accepted "
            "decode_event case in the corpus at this --level, empty trails, or consumers "
            "that skip every emission)"
        )
    _check_policy(policy, [(c.producer, c.consumer) for c in matrix.cells])


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[], None] | None]:
    """A transient count of answers on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("matrix: {task.completed} answers"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("matrix", total=None)
        yield lambda: progress.advance(task)
