"""How fast the strategies draw, and the 10,000-envelope target run.

    python benchmarks/strategies.py                 # both
    python benchmarks/strategies.py --count 10000 --examples 1000

1. Examples per second of ``executor_events()`` and ``wire_envelopes()`` under Hypothesis
   (generation only: no shrinking, no database), the way a property test draws them.
2. The target run: generate ``--count`` wire envelopes and check each one (decode it with the
   reference, compare the output with the expected event's canonical text). The envelopes come
   from the strategies' own builders driven by a seeded ``random.Random``, as ``generate`` does
   it; ``--through-hypothesis`` draws them with ``wire_envelopes()`` instead (Hypothesis's
   engine adds a few milliseconds per example). Target: within 30 s for 10,000.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.generation._choices import RandomSource
from conformance.generation._domain import draw_event
from conformance.generation._wire import render_event
from conformance.strategies import WireEnvelope, executor_events, wire_envelopes
from noetl_events_ref import encode_event
from noetl_events_ref._ops import run_op

TARGET_SECONDS = 30.0


def examples_per_second(strategy: st.SearchStrategy[Any], examples: int) -> float:
    """Examples Hypothesis draws per second from ``strategy`` (generation phase only)."""
    drawn = 0

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(value: Any) -> None:
        nonlocal drawn
        drawn += 1

    start = time.perf_counter()
    draw()
    return drawn / (time.perf_counter() - start)


def target_run(count: int, seed: int = 20261128) -> tuple[float, int]:
    """Generate and check ``count`` envelopes; (seconds, failures)."""
    failures = 0
    start = time.perf_counter()
    for i in range(count):
        src = RandomSource(f"bench:{seed}:{i}")
        text, event = render_event(src, draw_event(src))
        got = run_op("decode_event", text)
        if got.output != encode_event(event):
            failures += 1
    return time.perf_counter() - start, failures


def target_run_through_hypothesis(count: int) -> tuple[float, int]:
    """The target run with ``wire_envelopes()`` drawn by Hypothesis; (seconds, failures)."""
    failures = 0

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(wire_envelopes())
    def check(envelope: WireEnvelope) -> None:
        nonlocal failures
        if run_op("decode_event", envelope.text).output != encode_event(envelope.event):
            failures += 1

    start = time.perf_counter()
    check()
    return time.perf_counter() - start, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=1000, help="per strategy (default 1000)")
    parser.add_argument("--count", type=int, default=10_000, help="target run size (10000)")
    parser.add_argument(
        "--through-hypothesis",
        action="store_true",
        help="draw the target run's envelopes with Hypothesis instead of the seeded driver",
    )
    args = parser.parse_args(argv)
    for name, strategy in (
        ("executor_events()", executor_events()),
        ("wire_envelopes()", wire_envelopes()),
    ):
        rate = examples_per_second(strategy, args.examples)
        print(f"{name:<20} {rate:8.0f} examples/s  (Hypothesis, {args.examples} examples)")
    run = target_run_through_hypothesis if args.through_hypothesis else target_run
    seconds, failures = run(args.count)
    verdict = "within" if seconds <= TARGET_SECONDS else "OVER"
    print(
        f"target run: {args.count} envelopes generated and checked in {seconds:.1f} s "
        f"({args.count / seconds:.0f}/s), {verdict} the {TARGET_SECONDS:.0f} s target; "
        f"{failures} failures"
    )
    return 1 if failures or seconds > TARGET_SECONDS else 0


if __name__ == "__main__":
    raise SystemExit(main())
