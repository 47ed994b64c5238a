"""``verify``: run the golden corpus against an implementation and report the verdicts.

Without ``--impl`` the kit checks its own reference, in process: the kit's main job, and the
quickest way to see the corpus and the reference agree. With ``--impl`` any command speaking
runner protocol v1 is started and driven over a pipe. The exit status is part of the interface
(CI scripts branch on it), so it is documented in ``--help`` and decided in one place.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from conformance.core._atomic import write_atomic
from conformance.core._diff import escape_surrogates
from conformance.corpus._case import (
    LEVEL_CHOICES,
    OPS,
    Case,
    CaseFileError,
    default_corpus_dir,
    load_corpora,
    select,
)
from conformance.report._report import (
    FORMATS,
    badge,
    build,
    corpus_info,
    report_schema,
    to_json,
    to_junit,
)
from conformance.report._views import to_markdown, to_text
from conformance.runner import _baseline
from conformance.runner._baseline import Baseline, BaselineError
from conformance.runner._protocol import PROTOCOL, protocol_bundle
from conformance.runner._runner import (
    CallableContractError,
    CaseResult,
    Driver,
    InProcessDriver,
    RunOutcome,
    execute,
)
from conformance.runner._spec import ImplSpec, SpecError, parse_spec
from conformance.runner._subprocess_driver import finite_seconds

from ._main import UsageError
from ._output import check_output, command_files, folder_path, write_stdout

__all__ = ["register"]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_ERRORED: Final = 3
DEFAULT_LEVEL: Final = "all"

_EPILOG: Final = """\
exit status:
  0  no unexpected failure: every case passed, or failed as its baseline entry says
  1  an unexpected failure, a baseline problem (a stale entry for a case that now
     passes, an id the corpus does not have), or a run that tested nothing (every case
     selected skipped, or no case of an op asked for with --op ran)
  2  usage error (bad option, unreadable corpus or baseline, no case matching the
     selection, a python: callable whose first answer to an op is not an Outcome)
  3  the implementation errored: it crashed, hung, or broke the protocol, or a python:
     callable raised on a case or answered with something other than an Outcome later in
     the run (the report carries the reason and the tail of its stderr)

examples:
  noetl-events-conformance verify
  noetl-events-conformance verify --impl 'target/release/noetl-events-adapter'
  noetl-events-conformance verify --impl 'python -m my_adapter' --baseline known.txt \\
      --format junit --output conformance.xml
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="run the corpus against an implementation (default: the reference, in process)",
        description=(
            "Run the golden corpus against an implementation and report each case as passed,\n"
            "failed, skipped or errored. Without --impl the kit checks its own reference, in\n"
            "process; with --impl, any command speaking runner protocol v1 (one JSON object\n"
            "per line on stdin/stdout) is started and driven over a pipe."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--impl",
        metavar="SPEC",
        action="append",
        help="the implementation: a command speaking runner protocol v1 (split like a shell "
        "would), python:module:callable, python-model:module:Class or reference; default: the "
        "reference, in process. Once only: `matrix` compares several",
    )
    add(
        "--corpus", metavar="DIR", type=folder_path, help="corpus folder (default: the bundled one)"
    )
    add(
        "--extra-corpus",
        metavar="DIR",
        type=folder_path,
        action="append",
        help="your own cases too (a corpus folder, e.g. one `promote` writes): repeatable",
    )
    add(
        "--level",
        choices=LEVEL_CHOICES,
        default=DEFAULT_LEVEL,
        help=f"run cases at this level or stricter (default: {DEFAULT_LEVEL})",
    )
    add("--select", metavar="PATTERN", help="only case ids matching this glob (or substring)")
    add(
        "--op",
        action="append",
        choices=OPS,
        metavar="OP",
        help="only cases of this op (repeatable); the run fails when no case of it runs "
        f"(one of: {', '.join(OPS)})",
    )
    add(
        "--tag",
        action="append",
        metavar="TAG",
        help="only cases carrying this tag (repeatable: any of them)",
    )
    add(
        "--baseline",
        metavar="FILE",
        type=Path,
        help="known failures: one case id per line, then `# reason`",
    )
    add(
        "--update-baseline",
        action="store_true",
        help="rewrite --baseline from this run's failures (full corpus only: not with --select "
        "or --level)",
    )
    add("--strict-messages", action="store_true", help="also compare error message text")
    add(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=10.0,
        help="per-request timeout for --impl, in seconds: positive and finite, not nan or "
        "inf (default: 10)",
    )
    add(
        "--run-timeout",
        metavar="SECONDS",
        type=float,
        default=600.0,
        help="whole-run timeout for --impl, in seconds: positive and finite, not nan or inf "
        "(default: 600)",
    )
    add(
        "--validate-protocol",
        action="store_true",
        help="check every protocol message, both ways, against the JSON Schemas; stop at the "
        "first bad one (for adapter authors)",
    )
    add("--format", choices=FORMATS, default="text", help="report format (default: text)")
    add(
        "--output",
        metavar="FILE",
        help="write the report here (atomically) instead of stdout",
    )
    add(
        "--schema",
        choices=("report", "protocol"),
        help="print a JSON Schema (or write it to --output) and exit",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.schema:
        schema = report_schema() if args.schema == "report" else protocol_bundle()
        text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        if args.output is None:
            write_stdout(text)
        else:
            check_output(args.output)
            write_atomic(args.output, text)
        return EXIT_OK
    _check_options(args)
    spec = _spec(args)
    corpus_dir = args.corpus if args.corpus is not None else default_corpus_dir()
    corpus = _load_corpus(corpus_dir, args.extra_corpus or ())
    cases = select(corpus, level=args.level, pattern=args.select)
    if args.op:
        cases = [c for c in cases if c.op in args.op]
    if args.tag:
        cases = [c for c in cases if set(args.tag) & set(c.tags)]
    if not cases:
        raise UsageError(
            f"no case of {corpus_dir} matches --level {args.level}"
            + (f" --select {args.select}" if args.select else "")
            + "".join(f" --op {op}" for op in args.op or ())
            + "".join(f" --tag {tag}" for tag in args.tag or ())
        )
    baseline = _load_baseline(args, corpus)
    driver = _driver(args, spec)
    if isinstance(driver, InProcessDriver) and spec is not None and spec.kind == "python":
        try:  # a callable that breaks its contract at once: one usage error, before the run
            driver.probe(cases)
        except CallableContractError as e:
            raise UsageError(str(e)) from None
    with _progress(len(cases)) as on_result:
        outcome = execute(
            driver,
            cases,
            strict_messages=args.strict_messages,
            on_result=on_result,
            contract_errors=True,  # met later: the cases left are errored, with its one line
        )
    if args.update_baseline:
        baseline = _update_baseline(args.baseline, baseline, outcome)
    checked = None
    if baseline is not None:
        checked = _baseline.check(baseline, outcome.results, (c.id for c in corpus)).to_json()
    report = build(
        outcome,
        corpus=corpus_info(corpus_dir),
        run=_run_options(args, spec),
        baseline=checked,
        listed=baseline.entries if baseline is not None else {},
    )
    _emit(report, args)
    return {"passed": EXIT_OK, "failed": EXIT_FAILED}.get(report["status"], EXIT_ERRORED)


def _check_options(args: argparse.Namespace) -> None:
    """Refuse combinations that would silently do the wrong thing."""
    if args.update_baseline:
        if args.baseline is None:
            raise UsageError("--update-baseline needs --baseline FILE")
        folder = args.baseline.parent
        if not folder.is_dir():  # (as --output: a mistyped folder is not made)
            raise UsageError(f"--baseline {args.baseline}: no such folder {folder}")
        if args.select is not None or args.level != DEFAULT_LEVEL or args.op or args.tag:
            raise UsageError(
                "--update-baseline needs the whole corpus: drop --select, --level, --op "
                "and --tag "
                "(a partial run would drop every entry it did not run)"
            )
    for flag, seconds in (("--timeout", args.timeout), ("--run-timeout", args.run_timeout)):
        if not finite_seconds(seconds):
            raise UsageError(
                f"{flag} must be a positive, finite number of seconds, not {seconds:g}"
            )
    if args.impl is not None and len(args.impl) > 1:
        raise UsageError(
            "--impl given more than once: verify checks one implementation; "
            "compare several with `noetl-events-conformance matrix --impl NAME=SPEC ...`"
        )
    if args.validate_protocol and args.impl is None:
        raise UsageError(
            "--validate-protocol checks the messages of --impl COMMAND; "
            "the in-process reference exchanges none"
        )
    if args.output is not None:
        inputs: dict[str, str | Path | None] = {
            f"the --baseline {args.baseline}": args.baseline,
            f"in the corpus {args.corpus or default_corpus_dir()}": args.corpus
            or default_corpus_dir(),
        }
        for extra in args.extra_corpus or ():
            inputs[f"in the corpus {extra}"] = extra
        for spec in args.impl or ():
            inputs.update(command_files(spec))
        check_output(args.output, inputs)


def _load_corpus(corpus_dir: Path, extra: Sequence[Path]) -> list[Case]:
    try:
        return load_corpora(corpus_dir, extra)
    except CaseFileError as e:
        raise UsageError(f"cannot read the corpus: {e}") from None


def _load_baseline(args: argparse.Namespace, corpus: list[Case]) -> Baseline | None:
    if args.baseline is None:
        return None
    if not args.update_baseline:
        try:
            return _baseline.load(args.baseline)
        except BaselineError as e:
            raise UsageError(str(e)) from None
    # --update-baseline repairs a damaged file: lines that name no case are dropped, and said so
    dropped: list[str] = []
    try:
        loaded = _baseline.load(
            args.baseline, missing_ok=True, known_ids=(c.id for c in corpus), dropped=dropped
        )
    except BaselineError as e:
        raise UsageError(str(e)) from None
    for line in dropped:
        print(f"noetl-events-conformance: dropping {line}", file=sys.stderr)
    return loaded


def _spec(args: argparse.Namespace) -> ImplSpec | None:
    if args.impl is None:
        return None
    try:
        spec = parse_spec(args.impl[0])
    except SpecError as e:
        raise UsageError(f"--impl {e}") from None
    if args.validate_protocol and spec.in_process:
        raise UsageError(f"--validate-protocol: --impl {spec.text} runs in process, no messages")
    return spec


def _driver(args: argparse.Namespace, spec: ImplSpec | None) -> Driver:
    if spec is None:
        return InProcessDriver()
    return spec.driver(
        timeout=args.timeout, run_timeout=args.run_timeout, validate=args.validate_protocol
    )


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[CaseResult], None] | None]:
    """A transient progress bar on stderr, only when stderr is a terminal."""
    try:
        if not sys.stderr.isatty():
            raise ModuleNotFoundError
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    except ModuleNotFoundError:  # not a terminal, or no rich (the `rich` extra): no bar
        yield None
        return

    columns = ("verifying", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("verify", total=total)
        yield lambda _result: progress.advance(task)


def _update_baseline(path: Path, old: Baseline | None, outcome: RunOutcome) -> Baseline:
    if outcome.error is not None:
        print(
            f"noetl-events-conformance: baseline {path} not updated: the implementation errored",
            file=sys.stderr,
        )
        return old or Baseline({}, str(path))
    new = _baseline.updated(old or Baseline({}, str(path)), outcome.results)
    _baseline.save(new, path)
    before = set(old.entries if old else ())
    added, removed = len(set(new.entries) - before), len(before - set(new.entries))
    # Cases a python: callable raised on are errored: not graded, so neither added nor
    # removed (a listed one stays listed), and the run still exits 3 until they answer.
    errored = sum(r.verdict == "errored" for r in outcome.results)
    print(
        f"noetl-events-conformance: wrote {path}: {len(new.entries)} "
        f"entr{'y' if len(new.entries) == 1 else 'ies'} (+{added}, -{removed})"
        + (
            f"; {errored} errored case{'s' * (errored != 1)} not graded (the callable raised)"
            if errored
            else ""
        ),
        file=sys.stderr,
    )
    return new


def _run_options(args: argparse.Namespace, spec: ImplSpec | None) -> dict[str, Any]:
    command = list(spec.argv) if spec is not None and not spec.in_process else None
    return {
        "driver": "subprocess" if command else "in-process",
        "command": command,
        "protocol": PROTOCOL,
        "level": args.level,
        "select": args.select,
        "strict_messages": args.strict_messages,
        "timeout": args.timeout if command else None,
        "validate_protocol": args.validate_protocol,
        "ops": args.op,
        "tags": args.tag,
        "extra_corpora": [str(p) for p in args.extra_corpus] if args.extra_corpus else None,
    }


def _render(report: dict[str, Any], fmt: str, *, color: bool, width: int) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "junit":
        return to_junit(report)
    if fmt == "badge":
        return badge(report)
    if fmt == "markdown":
        return to_markdown(report)
    return to_text(report, color=color, width=width)


def _emit(report: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the report, or write it atomically to ``--output``. Colour only on a terminal."""
    to_terminal = args.output is None and sys.stdout.isatty()
    color = to_terminal and "NO_COLOR" not in os.environ
    width = shutil.get_terminal_size().columns if to_terminal else 100
    text = escape_surrogates(_render(report, args.format, color=color, width=width))
    if args.output is not None:
        write_atomic(args.output, text)
    else:
        write_stdout(text)
