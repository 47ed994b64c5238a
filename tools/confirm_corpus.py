#!/usr/bin/env python3
"""Run the whole corpus through a runner-protocol v1 adapter and report how far it agrees.

Usage::

    PYTHONPATH=. python tools/confirm_corpus.py [--corpus DIR] [--show N] [--json] -- CMD [ARG...]
    PYTHONPATH=. python tools/confirm_corpus.py -- adapters/rust/target/release/noetl-events-adapter

Unlike the kit's verifier (which compares messages only at the strictest level), this is the
corpus author's check: a case agrees when the adapter gives the same output text, or the same
error kind **and** message. Exit status 0 when every case agrees, 1 otherwise, 2 when the
adapter cannot be run or breaks the protocol.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Final

from conformance._case import Case, load_corpus

ROOT: Final = Path(__file__).resolve().parent.parent


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _feed(stdin: IO[bytes], cases: Sequence[Case]) -> None:
    try:
        for seq, case in enumerate(cases):
            request: dict[str, Any] = {"cmd": "run", "seq": seq, "op": case.op, "input": case.input}
            if case.now is not None:
                request["now"] = case.now
            stdin.write(_dumps(request))
        stdin.write(_dumps({"cmd": "stop"}))
        stdin.flush()
    except BrokenPipeError:
        pass  # the adapter died: the reader reports it
    finally:
        with contextlib.suppress(BrokenPipeError):
            stdin.close()


def run_adapter(
    command: Sequence[str], cases: Sequence[Case]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The handshake reply and one response per case (in case order)."""
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(_dumps({"cmd": "start", "protocol": 1}))
    proc.stdin.flush()
    ready = json.loads(proc.stdout.readline())
    if not ready.get("ready"):
        proc.kill()
        raise RuntimeError(f"the adapter declined the handshake: {ready}")
    feeder = threading.Thread(target=_feed, args=(proc.stdin, cases), daemon=True)
    feeder.start()
    responses = []
    for seq in range(len(cases)):
        # Split on b"\n" only: outputs may hold U+2028 and friends raw.
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the adapter closed stdout after {seq} of {len(cases)} responses")
        response = json.loads(line)
        if response.get("seq") != seq:
            raise RuntimeError(f"response out of order: expected seq {seq}, got {response}")
        responses.append(response)
    feeder.join()
    proc.wait(timeout=30)
    return ready, responses


def verdict(case: Case, response: dict[str, Any]) -> str:
    """``agree``, ``skipped``, or what differs."""
    if response.get("skipped"):
        return "skipped"
    if response.get("ok"):
        if case.output is None:
            return "accepted-should-reject"
        return "agree" if response.get("output") == case.output else "output-differs"
    error = response.get("error") or {}
    if case.output is not None:
        return "rejected-should-accept"
    if error.get("kind") != case.error_kind:
        return "kind-differs"
    return "agree" if error.get("message") == case.error_message else "message-differs"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="confirm_corpus.py",
        description="Run the corpus through an adapter command; report agreement "
        "(output bytes, or error kind and message).",
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "fixtures", help="corpus folder")
    parser.add_argument("--show", type=int, default=20, help="disagreements to print (default 20)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("command", nargs="+", help="the adapter command (after --)")
    args = parser.parse_args(argv)

    cases = load_corpus(args.corpus)
    try:
        ready, responses = run_adapter(args.command, cases)
    except (OSError, RuntimeError, ValueError) as e:
        print(f"confirm_corpus: {e}", file=sys.stderr)
        return 2
    verdicts = [verdict(c, r) for c, r in zip(cases, responses, strict=True)]
    counts = Counter(verdicts)
    by_op: dict[str, Counter[str]] = {}
    for case, v in zip(cases, verdicts, strict=True):
        by_op.setdefault(case.op, Counter())[v] += 1
    total = len(cases)
    agree = counts["agree"]
    disagreements: list[dict[str, Any]] = [
        {
            "id": c.id,
            "op": c.op,
            "verdict": v,
            "input": c.input,
            "expected": c.expect_json(),
            "got": {k: r[k] for k in ("output", "error", "reason") if k in r},
        }
        for c, r, v in zip(cases, responses, verdicts, strict=True)
        if v != "agree"
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "implementation": ready.get("implementation"),
                    "total": total,
                    "agree": agree,
                    "verdicts": dict(counts),
                    "by_op": {op: dict(c) for op, c in by_op.items()},
                    "disagreements": disagreements,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        impl = ready.get("implementation", {})
        print(f"adapter: {impl.get('name')} {impl.get('version')} ({impl.get('language')})")
        for op, c in by_op.items():
            print(f"  {op:18} {c['agree']:4}/{sum(c.values()):4} agree")
        print(f"agreement: {agree}/{total} ({100.0 * agree / total:.2f}%)")
        for verdict_name, n in sorted(counts.items()):
            if verdict_name != "agree":
                print(f"  {verdict_name}: {n}")
        for d in disagreements[: args.show]:
            print(
                f"- {d['op']} {d['id']}: {d['verdict']}\n    input: {d['input'][:300]!r}\n"
                f"    expected: {d['expected']}\n    got: {d['got']}"
            )
    return 0 if agree == total else 1


if __name__ == "__main__":
    sys.exit(main())
