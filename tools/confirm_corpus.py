#!/usr/bin/env python3
"""Run the whole corpus through a runner-protocol v1 adapter and report how far it agrees.

Usage::

    PYTHONPATH=. python tools/confirm_corpus.py [--corpus DIR] [--show N] [--json] -- CMD [ARG...]
    PYTHONPATH=. python tools/confirm_corpus.py -- "$(python -m tests._rust_adapter)"

Unlike the kit's verifier (which compares messages only at the strictest level), this is the
corpus author's check: a case agrees when the adapter gives the same output text, or the same
error kind **and** message. Exit status 0 when every case agrees, 1 otherwise, 2 when the
adapter cannot be run, hangs (the kit's default timeouts: 10 s per answer, 600 s in all) or
breaks the protocol.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from conformance.corpus._case import Case, load_corpus
from conformance.runner._protocol import AdapterError, Answer, Handshake
from conformance.runner._subprocess_driver import SubprocessDriver

ROOT: Final = Path(__file__).resolve().parent.parent


def run_adapter(driver: SubprocessDriver, cases: Sequence[Case]) -> tuple[Handshake, list[Answer]]:
    """The handshake and one answer per case (in case order); the adapter is always ended.
    Raises :class:`AdapterError` when it cannot be run, hangs or breaks the protocol."""
    try:
        handshake = driver.start()
        return handshake, list(driver.answers(cases))
    finally:
        driver.close()


def verdict(case: Case, answer: Answer) -> str:
    """``agree``, ``skipped``, or what differs."""
    if answer.skipped is not None:
        return "skipped"
    if answer.output is not None:
        if case.output is None:
            return "accepted-should-reject"
        return "agree" if answer.output == case.output else "output-differs"
    if case.output is not None:
        return "rejected-should-accept"
    if answer.error_kind != case.error_kind:
        return "kind-differs"
    return "agree" if answer.error_message == case.error_message else "message-differs"


def _got(answer: Answer) -> dict[str, Any]:
    """The answer as the adapter's response put it (output, error, or a skip's reason)."""
    if answer.skipped is not None:
        return {"reason": answer.skipped}
    if answer.output is not None:
        return {"output": answer.output}
    return {"error": {"kind": answer.error_kind, "message": answer.error_message}}


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
    driver = SubprocessDriver(args.command)
    try:
        handshake, answers = run_adapter(driver, cases)
    except AdapterError as e:
        print(f"confirm_corpus: {e}", file=sys.stderr)
        tail = driver.stderr_tail().rstrip()
        if tail:
            print("stderr (tail):", file=sys.stderr)
            print("\n".join("  " + line for line in tail.splitlines()[-30:]), file=sys.stderr)
        return 2
    verdicts = [verdict(c, a) for c, a in zip(cases, answers, strict=True)]
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
            "got": _got(a),
        }
        for c, a, v in zip(cases, answers, verdicts, strict=True)
        if v != "agree"
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "implementation": dict(handshake.implementation),
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
        impl = handshake.implementation
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
