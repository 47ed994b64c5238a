"""Small implementations for the matrix tests: in-process callables (one that drifts, some that
raise or break the callable contract), and a protocol v1 consumer (run as a script) that
declares roles, or, with ``--old``, nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from noetl_events_ref._ops import Outcome, run_op


def lower_status(op: str, text: str, now: str | None = None) -> Outcome:
    """The reference, except that this producer lower-cases every `status` it writes."""
    outcome = run_op(op, text, now)
    if op != "decode_event" or not outcome.ok or outcome.output is None:
        return outcome
    value = json.loads(outcome.output)
    status = value["status"]
    if status == status.lower():
        return outcome
    return Outcome(True, output=outcome.output.replace(f'"{status}"', f'"{status.lower()}"', 1))


def raises(op: str, text: str, now: str | None = None) -> Outcome:
    """A callable with a bug on every input."""
    raise RuntimeError("kaboom")


def raises_on_boom(op: str, text: str, now: str | None = None) -> Outcome:
    """The reference, except that it raises on an envelope whose step is `boom`."""
    if '"step":"boom"' in text:
        raise RuntimeError("kaboom on boom")
    return run_op(op, text, now)


def returns_none(op: str, text: str, now: str | None = None) -> None:
    """Breaks the callable contract on its first answer."""


def none_on_boom(op: str, text: str, now: str | None = None) -> Outcome | None:
    """The reference, except that it breaks the contract on an envelope whose step is `boom`."""
    return None if '"step":"boom"' in text else run_op(op, text, now)


def _consume(text: str) -> dict[str, Any]:
    """Keeps ids as strings, re-derives status from the event type, drops created_at."""
    value = json.loads(text)
    if not isinstance(value, dict) or "event_type" not in value:
        raise ValueError("not an envelope")
    kept = {k: v for k, v in value.items() if k not in ("created_at", "status")}
    kept["execution_id"] = str(value.get("execution_id"))
    kept["status"] = str(value["event_type"]).rsplit(".", 1)[-1].upper()
    return kept


def main(old: bool) -> None:
    for line in sys.stdin:
        request = json.loads(line)
        if request["cmd"] == "start":
            ready: dict[str, Any] = {
                "ready": True,
                "protocol": 1,
                "implementation": {"name": "fake-consumer", "language": "python", "version": "0"},
                "ops": ["decode_event"] if old else ["consume"],
            }
            if not old:
                ready |= {"roles": ["consumer"], "derives": ["status"]}
            answer: dict[str, Any] = ready
        elif request["cmd"] == "stop":
            return
        else:
            try:
                kept = _consume(request["input"])
                answer = {"seq": request["seq"], "ok": True, "output": json.dumps(kept)}
            except ValueError as e:
                error = {"kind": "invalid_value", "message": str(e)}
                answer = {"seq": request["seq"], "ok": False, "error": error}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(old="--old" in sys.argv)
