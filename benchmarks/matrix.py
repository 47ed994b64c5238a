"""How long the compatibility matrix takes, against the slowest single ``verify``.

    python benchmarks/matrix.py [--count 2000] [--seed 1]

Four implementations (the reference in process, the Rust adapter on the real crates, the
Node.js consumer, a Python server's pydantic request model) on the corpus plus ``--count``
generated decode_event cases. Baseline: each implementation verified alone on the same cases
(a fresh driver, every case sent), in this process, one after the other; the slowest of them
is the named baseline. The target: the whole matrix (every producer's emissions handed to every
consumer, every cell judged, the differential) in under 3 times that slowest verify.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.corpus._case import Case, load_corpus
from conformance.generation._generation import generate_cases
from conformance.matrix._run import Peer, run_matrix
from conformance.runner._runner import execute
from conformance.runner._spec import parse_spec

TARGET = 3.0
RUST = ROOT / "adapters" / "rust" / "target" / "release" / "noetl-events-adapter"
NODE = ROOT / "adapters" / "node" / "consumer.js"


def _peers() -> list[Peer]:
    if not RUST.is_file():
        raise SystemExit(f"build the Rust adapter first: {RUST}")
    node = shutil.which("node")
    if node is None:
        raise SystemExit("Node.js is not installed")
    specs = {
        "reference": "reference",
        "rust": str(RUST),
        "js": f"{node} {NODE}",
        "server": "python-model:tests.matrix.models:ServerRequest",
    }
    return [Peer(name, parse_spec(spec)) for name, spec in specs.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    peers = _peers()
    cases: list[Case] = [
        *load_corpus(),
        *generate_cases(seed=args.seed, count=args.count, ops=["decode_event"]),
    ]
    print(f"{len(peers)} implementations, {len(cases)} cases ({args.count} generated)")
    print(f"{'run':<22}  {'seconds':>8}")
    slowest = ("", 0.0)
    for peer in peers:
        began = time.perf_counter()
        outcome = execute(peer.spec.driver(), cases)
        seconds = time.perf_counter() - began
        if outcome.error is not None:
            raise SystemExit(f"{peer.name}: errored: {outcome.error}")
        print(f"{'verify ' + peer.name:<22}  {seconds:>8.3f}")
        if seconds > slowest[1]:
            slowest = (peer.name, seconds)
    began = time.perf_counter()
    matrix = run_matrix(peers, cases)
    seconds = time.perf_counter() - began
    hops = sum(c.hops for c in matrix.cells)
    print(f"{'matrix':<22}  {seconds:>8.3f}")
    print(
        f"matrix: {len(matrix.cells)} cells, {hops} hops "
        f"({hops // max(1, len(matrix.cells))} per cell), {matrix.counts['emissions']} "
        "distinct emissions"
    )
    ratio = seconds / slowest[1]
    print(f"matrix / slowest verify ({slowest[0]}): {ratio:.2f} (target: under {TARGET:.0f})")
    if ratio >= TARGET:
        print(f"above the target of {TARGET:.0f}x", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
