"""How fast ``verify`` runs the corpus: in process, and over the protocol pipe.

    python benchmarks/verify.py                      # the reference, both ways
    python benchmarks/verify.py --impl "$(python -m tests._rust_adapter)"

The bundled corpus is repeated until a run holds at least ``--min-requests`` cases (default
20,000), so the figure is stable even while the corpus is small. Both runs happen in this
process, one after the other, and the table shows cases per second and the pipe / in-process
ratio. The target for the reference over the pipe is 5,000 cases/s: that keeps a CI run of the
whole corpus against an adapter well under a second per thousand cases.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.corpus._case import Case, default_corpus_dir, load_corpus
from conformance.runner._runner import (
    Driver,
    InProcessDriver,
    RunOutcome,
    SubprocessDriver,
    execute,
)

REFERENCE = shlex.join([sys.executable, "-m", "noetl_events_ref"])
TARGET = 5_000


def _workload(corpus: Path, min_requests: int) -> list[Case]:
    cases = load_corpus(corpus)
    if not cases:
        raise SystemExit(f"{corpus}: no cases to run")
    return cases * max(1, math.ceil(min_requests / len(cases)))


def _measure(label: str, driver: Driver, cases: list[Case]) -> tuple[str, RunOutcome]:
    outcome = execute(driver, cases)
    verdicts = {r.verdict for r in outcome.results}
    if outcome.error is not None:
        raise SystemExit(f"{label}: the implementation errored: {outcome.error}")
    if verdicts - {"pass", "skipped"}:
        print(f"warning: {label}: not every case passed ({sorted(verdicts)})", file=sys.stderr)
    return label, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--impl",
        metavar="COMMAND",
        default=REFERENCE,
        help="adapter to measure over the pipe (default: the reference)",
    )
    parser.add_argument("--corpus", metavar="DIR", type=Path, default=default_corpus_dir())
    parser.add_argument("--min-requests", type=int, default=20_000)
    args = parser.parse_args(argv)
    cases = _workload(args.corpus, args.min_requests)
    rows = [
        _measure("in-process (reference)", InProcessDriver(), cases),
        _measure(f"pipe: {args.impl}", SubprocessDriver(args.impl), cases),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"{'driver':<{width}}  {'cases':>7}  {'seconds':>8}  {'cases/s':>9}")
    rates = []
    for label, outcome in rows:
        rate = len(outcome.results) / outcome.seconds
        rates.append(rate)
        count = len(outcome.results)
        print(f"{label:<{width}}  {count:>7}  {outcome.seconds:>8.3f}  {rate:>9,.0f}")
    print(f"pipe / in-process: {rates[1] / rates[0]:.2f}")
    if args.impl == REFERENCE and rates[1] < TARGET:
        print(f"below the target of {TARGET:,} cases/s over the pipe", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
