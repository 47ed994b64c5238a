#!/usr/bin/env python3
"""Differential of the reference against the real server code: generated and mutated request
texts through both, for every request op, compared on output, error kind and error message.

Usage (from the repository root, the adapter built)::

    python tools/differential_server.py [--texts 200000] [--seed 1] [--show 5] [--impl PATH]

Each text goes through every request op (``decode_request``, ``request_to_event``,
``event_to_request``, ``decode_batch``, ``post_events``, ``post_batch``, ``sanitize_value``).
Texts are drawn from the corpus's inputs, from generated requests, batches, events and JSON
values (secrets, deep nesting, Unicode keys), and from byte-level and structural mutations of
all of those. Exit status 0 at zero disagreements, 1 otherwise, 2 when the adapter cannot run.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.corpus._case import default_corpus_dir, load_corpus  # noqa: E402
from noetl_events_ref._ops import run_op  # noqa: E402
from tests._rust_adapter import rust_adapter_path  # noqa: E402

OPS: Final = (
    "decode_request",
    "request_to_event",
    "event_to_request",
    "decode_batch",
    "post_events",
    "post_batch",
    "sanitize_value",
)
NOW: Final = "2026-05-31T00:00:00.25+02:00"

_KEYS: Final = (
    "password",
    "Pass-Word",
    "api-key",
    "APIKEY",
    "x",
    "name",
    "token_count",
    "aUtH",
    "pem",
    "certain",
    "\u212apikey",
    "\u0130d_token",
    "note",
    "data",
    "ключ",
    "secretary",
    "pwd",
    "monkey",
    "step",
    "items",
    "result",
    "émoji",
    "BEARER",
    "client-Secret",
    "",
)
_STRINGS: Final = (
    "Bearer abc",
    "bearer ",
    "BASIC x",
    "basic",
    "eyJa.b.c",
    "eyJ" + "a" * 40 + ".b.c",
    "eyJ" + "a" * 60 + ".b",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "A" * 39,
    "A" * 40,
    "a1+/=" * 8,
    "é" * 20,
    "é" * 19 + "a",
    "ǅ" * 20,
    "٣" * 20,
    "Ⅻ" * 20,
    "a" * 39 + "-",
    "x",
    "",
    "step.enter",
    "call.done",
    "2026-05-31T03:14:15Z",
    "\u212aelvin" * 8,
    "ⓐ" * 14,
    "\u0345" * 20,
    "ab\ncd",
    "\u2028",
    'a"b\\c',
    "\u00ad" * 40,
)
_STAMPS: Final = (
    "2026-05-31T03:14:15Z",
    "2026-05-31T03:14:15.123456789+05:30",
    "2026-02-30T00:00:00Z",
    "2026-05-31 03:14:15Z",
    "2026-05-31T03:14:15",
    "1970-01-01T00:00:00-00:00",
    "+002026-05-31T00:00:00Z",
)
_EVENT_TYPES: Final = ("step.enter", "call.done", "call.error", "step.exit", "x.failed", "Done", "")
_IDS: Final = (
    0,
    1,
    -1,
    9223372036854775807,
    -9223372036854775808,
    18446744073709551615,
    1.5,
    -0,
    "1",
    "+5",
    " 1",
    "x",
    "",
    "9223372036854775808",
    "00",
    1e3,
    True,
    None,
    [],
    {},
)


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        return rng.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                1.5,
                1e16,
                -0.0,
                2**63,
                rng.choice(_STRINGS),
                rng.choice(_KEYS),
                rng.randint(-(10**6), 10**6),
            ]
        )
    if roll < 0.7:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(_KEYS): _value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _deep(rng: random.Random) -> Any:
    """A value nested about as deep as the redaction's limit, a secret at the bottom."""
    depth = rng.randint(17, 23)
    value: Any = rng.choice([{"password": "p"}, "Bearer x", {"a": "A" * 40}, ["x"]])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {rng.choice(_KEYS[4:]): value}
    return value


def _request(rng: random.Random) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    fields: list[tuple[str, Any]] = [
        ("execution_id", rng.choice(_IDS)),
        ("step", rng.choice(["s", "fetch", "", 1])),
        (rng.choice(["event_type", "name"]), rng.choice(_EVENT_TYPES)),
        (rng.choice(["payload", "context"]), _value(rng) if rng.random() < 0.8 else _deep(rng)),
        ("meta", _value(rng)),
        ("worker_id", rng.choice(["w", None, 1])),
        ("result_kind", rng.choice(["data", "ref", None])),
        ("result_uri", rng.choice(["s3://x", None])),
        ("event_ids", rng.choice([[1, 2], [], None, ["1"], [2**63]])),
        ("actionable", rng.choice([True, False, None, 0])),
        ("informative", rng.choice([True, False])),
        ("event_id", rng.choice(_IDS)),
        ("status", rng.choice(["OK", None, 3])),
        ("created_at", rng.choice(_STAMPS)),
        ("extra", _value(rng)),
    ]
    for key, value in fields:
        if rng.random() < (0.9 if key in ("execution_id", "step", "event_type", "name") else 0.35):
            obj[key] = value
    return obj


def _batch(rng: random.Random) -> dict[str, Any]:
    obj: dict[str, Any] = {"execution_id": rng.choice(_IDS)}
    if rng.random() < 0.4:
        obj["worker_id"] = rng.choice(["w", None, 7])
    if rng.random() < 0.9:
        items = []
        for _ in range(rng.randint(0, 3)):
            item = {
                k: v
                for k, v in _request(rng).items()
                if k
                in (
                    "step",
                    "event_type",
                    "name",
                    "payload",
                    "context",
                    "actionable",
                    "informative",
                    "extra",
                )
            }
            items.append(item)
        obj["events"] = items
    return obj


def _event(rng: random.Random) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "execution_id": rng.choice((*_IDS[:6], "1")),
        "event_type": rng.choice(_EVENT_TYPES),
        "step": "s",
        "status": "RUNNING",
        "created_at": rng.choice(_STAMPS),
        rng.choice(["context", "payload"]): _value(rng),
    }
    for key, value in (
        ("event_id", rng.choice(_IDS[:6])),
        ("worker_id", "w"),
        ("meta", _value(rng)),
    ):
        if rng.random() < 0.4:
            obj[key] = value
    return obj


def _encode(rng: random.Random, obj: Any) -> str:
    if isinstance(obj, dict) and rng.random() < 0.15:
        obj = list(obj.values())  # the positional array form
    return json.dumps(
        obj, ensure_ascii=rng.random() < 0.3, separators=None if rng.random() < 0.2 else (",", ":")
    )


_TOKENS: Final = (
    ",",
    "}",
    "]",
    "{",
    "[",
    '"',
    ":",
    "null",
    "1e400",
    "-",
    "\\u",
    "\\ud800",
    "tru",
    " ",
    "\n",
    "0",
    "1.",
    '"name":"x"',
    '"step":"s",',
    '"execution_id":1,',
    "\x01",
    "[" * 130,
    "\\",
    "é",
    "1e-7",
    "18446744073709551616",
)


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 3)):
        n = len(text)
        at = rng.randint(0, n)
        roll = rng.random()
        if roll < 0.3 and n:
            end = min(n, at + rng.randint(1, 4))
            text = text[:at] + text[end:]
        elif roll < 0.65:
            text = text[:at] + rng.choice(_TOKENS) + text[at:]
        elif roll < 0.8 and n:
            text = text[: rng.randint(0, n)]
        elif roll < 0.9:
            text = (
                text.replace('"step"', '"step":"a","step"', 1)
                if rng.random() < 0.5
                else text.replace(
                    '"events":[',
                    '"events":[' + rng.choice(['{"step":"s","name":"e"},', "1,", "[],"]),
                    1,
                )
            )
        elif n:
            i, j = sorted(rng.sample(range(n), 2)) if n > 1 else (0, 0)
            text = text[:i] + text[j : j + 1] + text[i + 1 : j] + text[i : i + 1] + text[j + 1 :]
    return text


def texts(rng: random.Random, count: int, seeds: Sequence[str]) -> Iterator[str]:
    makers = (_request, _request, _batch, _event, _value, _deep)
    for _ in range(count):
        roll = rng.random()
        if roll < 0.15:
            text = rng.choice(seeds)
        else:
            text = _encode(rng, rng.choice(makers)(rng))
        if rng.random() < 0.5:
            text = _mutate(rng, text)
        yield text


class Adapter:
    """A pipelined session with a runner-protocol v1 adapter."""

    def __init__(self, path: str) -> None:
        # Binary pipes: outputs may hold U+2028, so lines are split on b"\n" only.
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdin
        assert self.proc.stdout
        self.proc.stdin.write(b'{"cmd":"start","protocol":1}\n')
        self.proc.stdin.flush()
        hello = json.loads(self.proc.stdout.readline())
        missing = set(OPS) - set(hello.get("ops") or ())
        if missing:
            raise SystemExit(
                f"the adapter does not run {sorted(missing)}: build it with the server"
            )
        self.seq = 0

    def run(self, jobs: Sequence[tuple[str, str]]) -> list[tuple[Any, ...]]:
        assert self.proc.stdin
        assert self.proc.stdout
        lines = []
        for op, text in jobs:
            self.seq += 1
            lines.append(
                json.dumps({"cmd": "run", "seq": self.seq, "op": op, "input": text, "now": NOW})
            )
        stdin = self.proc.stdin

        def feed() -> None:
            stdin.write(("\n".join(lines) + "\n").encode("utf-8"))
            stdin.flush()

        writer = threading.Thread(target=feed)
        writer.start()
        out = []
        for _ in jobs:
            answer = json.loads(self.proc.stdout.readline())
            if answer.get("ok"):
                out.append((True, answer["output"]))
            elif "error" in answer:
                out.append((False, answer["error"]["kind"], answer["error"]["message"]))
            else:
                out.append(("skipped", answer.get("reason")))
        writer.join()
        return out

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(b'{"cmd":"stop"}\n')
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def reference(op: str, text: str) -> tuple[Any, ...]:
    got = run_op(op, text, NOW)
    return (True, got.output) if got.ok else (False, got.kind, got.message)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--texts", type=int, default=200_000, help="how many texts (default 200000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=5, help="disagreements to print")
    parser.add_argument("--impl", default=str(rust_adapter_path()), help="the adapter binary")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    seeds = [c.input for c in load_corpus(default_corpus_dir())]
    try:
        adapter = Adapter(args.impl)
    except OSError as e:
        print(f"cannot run the adapter {args.impl}: {e}", file=sys.stderr)
        return 2
    began = time.monotonic()
    runs = 0
    disagree: Counter[str] = Counter()
    shown = 0
    pool = list(texts(rng, args.texts, seeds))
    chunk = 5000
    for start in range(0, len(pool), chunk):
        jobs = [(op, text) for text in pool[start : start + chunk] for op in OPS]
        for (op, text), got in zip(jobs, adapter.run(jobs), strict=True):
            runs += 1
            want = reference(op, text)
            if want != got:
                disagree[op] += 1
                if shown < args.show:
                    shown += 1
                    print(
                        f"DISAGREE {op} {json.dumps(text, ensure_ascii=False)}\n  reference: {want}\n  server:    {got}"
                    )
        done = min(start + chunk, len(pool))
        print(
            f"  {done}/{len(pool)} texts, {runs} runs, {sum(disagree.values())} disagreements",
            file=sys.stderr,
            flush=True,
        )
    adapter.close()
    elapsed = time.monotonic() - began
    print(
        f"{len(pool)} texts x {len(OPS)} ops = {runs} runs in {elapsed:.0f} s: "
        f"{sum(disagree.values())} disagreements {dict(disagree)}"
    )
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
