"""Realistic NoETL envelopes, generated with a fixed seed (shared by the benchmarks)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

__all__ = ["heavy_lines", "realistic_lines"]

_EVENT_TYPES = (
    "step.enter",
    "step.exit",
    "call.done",
    "command.completed",
    "command.failed",
    "command.started",
    "batch.completed",
)
_STEPS = ("start", "fetch_calendar", "load_rows", "transform", "notify", "end")


def _context(rng: random.Random) -> dict[str, object]:
    kind = rng.random()
    if kind < 0.4:
        return {
            "result": {
                "items": rng.randint(0, 5000),
                "status": "ok",
                "rows": [{"id": rng.randint(1, 10**6), "name": f"row-{i}"} for i in range(3)],
            },
            "processing_ms": round(rng.uniform(0.1, 900.0), 3),
        }
    if kind < 0.7:
        return {
            "input": {"city": "Paris", "days": rng.randint(1, 14)},
            "step_index": rng.randint(0, 40),
        }
    if kind < 0.9:
        return {
            "error": {"message": "upstream returned 503", "retryable": True},
            "attempt": rng.randint(1, 5),
        }
    return {}


def realistic_lines(count: int, seed: int = 20261128) -> Iterator[str]:
    """``count`` envelope lines as NoETL's worker and CLI emit them (snowflake ids, meta,
    legacy ``payload`` producers, second to nanosecond timestamps)."""
    rng = random.Random(seed)
    for _ in range(count):
        execution_id = 478775660589088776 + rng.randint(0, 10**9)
        day, hour = rng.randint(1, 31), rng.randint(0, 23)
        minute, second = rng.randint(0, 59), rng.randint(0, 59)
        ts = f"2026-05-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
        frac = rng.choice(
            [
                "",
                f".{rng.randint(0, 999):03d}",
                f".{rng.randint(0, 999999):06d}",
                f".{rng.randint(0, 10**9 - 1):09d}",
            ]
        )
        event: dict[str, object] = {
            "execution_id": execution_id,
            "event_type": rng.choice(_EVENT_TYPES),
            "step": rng.choice(_STEPS),
            "status": rng.choice(("RUNNING", "COMPLETED", "FAILED")),
            "created_at": ts + frac + "Z",
        }
        event["payload" if rng.random() < 0.15 else "context"] = _context(rng)
        if rng.random() < 0.8:
            event["event_id"] = execution_id + rng.randint(1, 10**6)
            event["worker_id"] = f"worker-prod-{rng.randint(1, 12)}"
            event["meta"] = {
                "attempts": rng.randint(1, 3),
                "parent_event_id": str(execution_id + 1),
            }
        yield json.dumps(event, separators=(",", ":"))


def heavy_lines(count: int, seed: int) -> Iterator[str]:
    """Hazard-heavy envelopes from the kit's generators; 5% break one rule."""
    from conformance.generation._choices import RandomSource, boolean
    from conformance.generation._domain import draw_event
    from conformance.generation._near_misses import render_invalid_event
    from conformance.generation._wire import render_event

    for i in range(count):
        src = RandomSource(f"native-bench:{seed}:{i}")
        event = draw_event(src, max_depth=8, max_leaves=12)
        if boolean(src, 0.05):
            text = render_invalid_event(src, event)[0]
        else:
            text = render_event(src, event)[0]
        yield text.replace("\n", " ")  # one envelope per line
