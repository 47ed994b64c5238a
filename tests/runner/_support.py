"""Helpers for the runner tests: a small corpus whose expectations the reference computes,
and the ``--impl`` command of each fake adapter."""

from __future__ import annotations

import dataclasses
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from conformance.corpus._case import Case, case_id
from noetl_events_ref._ops import run_op

FAKES = Path(__file__).parent / "fake_adapters"
REFERENCE = shlex.join([sys.executable, "-m", "noetl_events_ref"])

# (slug, op, input, now, level, tags): expectations are computed by the reference.
SPECS: Sequence[tuple[str, str, str, str | None, str, tuple[str, ...]]] = (
    ("small float", "canonical_value", '{"b":1e-5,"a":[1,2,3]}', None, "required", ("numbers",)),
    (
        "line separators raw",
        "canonical_value",
        '["\u2028", "\\u2029", "\u0085"]',
        None,
        "required",
        ("unicode",),
    ),
    (
        "duplicate keys last wins",
        "canonical_value",
        '{"a":1,"a":2}',
        None,
        "recommended",
        ("duplicates",),
    ),
    ("truncated array", "canonical_value", "[1,", None, "required", ("syntax",)),
    (
        "event float in context",
        "decode_event",
        '{"execution_id":1,"event_type":"t","step":"s","status":"ok",'
        '"created_at":"2024-01-01T00:00:00Z","context":{"x":0.00001}}',
        None,
        "required",
        ("numbers",),
    ),
    (
        "execution id as string",
        "decode_event",
        '{"execution_id":"1"}',
        None,
        "required",
        ("types",),
    ),
    (
        "request without created_at",
        "request_to_event",
        '{"execution_id":"1","event_type":"t","step":"s","status":"ok","context":{}}',
        "2024-01-01T00:00:00Z",
        "required",
        ("conversion",),
    ),
    (
        "positional event",
        "decode_event",
        '[1,"t","s","ok","2024-01-01T00:00:00Z",null]',
        None,
        "acceptable",
        ("positional",),
    ),
)


def reference_case(
    slug: str, op: str, text: str, now: str | None, level: str, tags: tuple[str, ...]
) -> Case:
    """A case whose expectation is what the reference does."""
    got = run_op(op, text, now)
    case = Case(
        id="",
        op=op,
        input=text,
        level=level,
        description=slug,
        tags=tags,
        now=now,
        output=got.output if got.ok else None,
        error_kind=got.kind,
        error_message=got.message,
    )
    return dataclasses.replace(case, id=case_id(slug, case))


def write_corpus(root: Path, cases: Sequence[Case]) -> Path:
    for case in cases:
        path = root / "cases" / case.op / f"{case.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(case.to_text(), encoding="utf-8")
    return root


def fake(name: str, *args: object) -> str:
    """The --impl command of a fake adapter."""
    return shlex.join([sys.executable, str(FAKES / f"{name}.py"), *map(str, args)])


Verify = Callable[..., tuple[int, str, str]]
