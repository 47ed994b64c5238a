"""Decode+encode throughput of the reference beside a plain json.loads+json.dumps loop.

    python benchmarks/codec.py [--count 100000] [--repeat 3]

Both loops run over the same realistic envelope lines in the same process; the best of
``--repeat`` runs is reported for each. Target: the reference at no less than 0.5x the
plain loop. The same lines through ``orjson.loads`` + ``orjson.dumps`` are shown too (when
orjson is installed), with the reference's ratio to them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _envelopes import realistic_lines

from noetl_events_ref import decode_event, encode_event


def _best(fn: Callable[[list[str]], None], lines: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(lines)
        best = min(best, time.perf_counter() - start)
    return best


def plain(lines: list[str]) -> None:
    loads, dumps = json.loads, json.dumps
    for line in lines:
        dumps(loads(line), separators=(",", ":"))


def plain_orjson(lines: list[str]) -> None:
    import orjson

    loads, dumps = orjson.loads, orjson.dumps
    for line in lines:
        dumps(loads(line))


def reference(lines: list[str]) -> None:
    for line in lines:
        encode_event(decode_event(line))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines = list(realistic_lines(args.count))
    mean_size = sum(map(len, lines)) / len(lines)
    t_plain = _best(plain, lines, args.repeat)
    t_ref = _best(reference, lines, args.repeat)
    ratio = t_plain / t_ref
    n = len(lines)
    print(f"{n:,} realistic envelopes, {mean_size:.0f} bytes on average, best of {args.repeat}")
    print(f"{'loop':<34}{'events/s':>12}{'µs/event':>10}")
    for name, t in (("json.loads + json.dumps (baseline)", t_plain), ("decode + encode", t_ref)):
        print(f"{name:<34}{n / t:>12,.0f}{t / n * 1e6:>10.2f}")
    verdict = "met" if ratio >= 0.5 else "NOT met"
    print(f"ratio reference/baseline: {ratio:.2f}x (target >= 0.50x): {verdict}")
    try:
        t_orjson = _best(plain_orjson, lines, args.repeat)
    except ImportError:
        print("orjson is not installed (pip install 'noetl-events-conformance[audit]')")
    else:
        print(
            f"{'orjson.loads + orjson.dumps':<34}{n / t_orjson:>12,.0f}{t_orjson / n * 1e6:>10.2f}"
        )
        print(f"ratio reference/orjson: {t_orjson / t_ref:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
