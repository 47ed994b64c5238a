"""Shared plumbing for the fake adapters: a protocol v1 loop that each fake bends one way.

A fake is a script run with ``sys.executable``; its script folder is on ``sys.path``, so it
imports this module, and this module puts the repository root on ``sys.path`` so the reference
can answer correctly wherever the fake is meant to.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from noetl_events_ref._ops import OPS, run_op

Reply = dict[str, Any]
IMPLEMENTATION = {"name": "fake", "language": "python", "version": "0.0.0"}


def reference(request: Reply) -> Reply:
    """What a correct adapter answers."""
    seq = request["seq"]
    outcome = run_op(request["op"], request["input"], request.get("now"))
    if outcome.ok:
        return {"seq": seq, "ok": True, "output": outcome.output}
    return {"seq": seq, "ok": False, "error": {"kind": outcome.kind, "message": outcome.message}}


def send(obj: Reply | bytes) -> None:
    data = obj if isinstance(obj, bytes) else json.dumps(obj, ensure_ascii=False).encode() + b"\n"
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def hang() -> None:
    """Stop answering but stay alive (the kit must time out and kill us)."""
    while True:
        time.sleep(3600)


def crash(status: int, why: str) -> None:
    print(f"fake adapter: {why}", file=sys.stderr, flush=True)
    os._exit(status)


def serve(
    answer: Callable[[int, Reply], Reply | bytes] = lambda n, request: reference(request),
    *,
    handshake: Reply | None = None,
) -> int:
    """Answer requests from stdin; ``answer(n, request)`` is called for the n-th run (from 1)."""
    runs = 0
    for raw in sys.stdin.buffer:
        request = json.loads(raw)
        if request["cmd"] == "start":
            send(
                handshake
                or {
                    "ready": True,
                    "protocol": 1,
                    "implementation": IMPLEMENTATION,
                    "ops": list(OPS),
                }
            )
        elif request["cmd"] == "run":
            runs += 1
            send(answer(runs, request))
        elif request["cmd"] == "stop":
            return 0
    return 0


def arg(index: int, default: int) -> int:
    return int(sys.argv[index]) if len(sys.argv) > index else default
