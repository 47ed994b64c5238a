"""Shared helpers for the plugin's integration tests: small corpora and a runner that repeats
each pytester run plainly and under pytest-xdist."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.corpus._case import Case, case_id
from noetl_events_ref._ops import run_op

EVENT = (
    '{"execution_id":1,"event_type":"step.enter","step":"s","status":"RUNNING",'
    '"created_at":"2026-05-31T00:00:00Z",%s}'
)

# (slug, op, input, level): expectations come from the reference
SMALL: list[tuple[str, str, str, str]] = [
    ("context", "decode_event", EVENT % '"context":{"b":1,"a":2}', "required"),
    ("payload-alias", "decode_event", EVENT % '"payload":{"x":1}', "required"),
    ("missing-context", "decode_event", EVENT % '"contexts":1', "required"),
    ("float-small", "canonical_value", "[1e-5]", "recommended"),
    ("array-form", "decode_event", '[1,"e","s","x","2026-05-31T00:00:00Z",{}]', "acceptable"),
    (
        "request-defaults",
        "decode_request",
        '{"execution_id":1,"step":"s","event_type":"e"}',
        "required",
    ),
]


def make_case(
    slug: str, op: str, text: str, level: str, tags: tuple[str, ...] = ("plugin",)
) -> Case:
    out = run_op(op, text, "2026-01-01T00:00:00Z" if op == "request_to_event" else None)
    case = Case(
        id=slug,
        op=op,
        input=text,
        level=level,
        description=f"plugin test case {slug}",
        tags=tags,
        output=out.output if out.ok else None,
        error_kind=None if out.ok else out.kind,
        error_message=None if out.ok else out.message,
    )
    return Case(
        **{**{f: getattr(case, f) for f in case.__dataclass_fields__}, "id": case_id(slug, case)}
    )


def write_corpus(root: Path, cases: list[tuple[str, str, str, str]] = SMALL) -> list[Case]:
    made = [make_case(*c) for c in cases]
    for c in made:
        path = root / "cases" / c.op / f"{c.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(c.to_text(), encoding="utf-8")
    return made


@pytest.fixture
def corpus(pytester: pytest.Pytester) -> tuple[Path, list[Case]]:
    root = pytester.path / "corpus"
    return root, write_corpus(root)


REFERENCE = f"{sys.executable} -m noetl_events_ref"

WRONG_ADAPTER = """
import sys, json
from noetl_events_ref._ops import run_op
for line in sys.stdin:
    req = json.loads(line)
    if req["cmd"] == "start":
        print(json.dumps({"ready": True, "protocol": 1, "implementation": {"name": "wrong"},
              "ops": ["decode_event", "decode_request", "canonical_value"]}), flush=True)
    elif req["cmd"] == "stop":
        break
    else:
        out = run_op(req["op"], req["input"], req.get("now"))
        if out.ok and "payload" in req["input"]:
            reply = {"seq": req["seq"], "ok": False, "error": {"kind": "missing_field", "message": "no alias"}}
        elif out.ok:
            reply = {"seq": req["seq"], "ok": True, "output": out.output.replace("0.00001", "1e-05")}
        else:
            reply = {"seq": req["seq"], "ok": False, "error": {"kind": out.kind, "message": out.message}}
        print(json.dumps(reply), flush=True)
"""


def wrong_adapter_fails(cases: list[Case]) -> set[str]:
    """The cases WRONG_ADAPTER fails: it drops the payload alias and misspells 1e-5."""
    return {c.id for c in cases if "payload" in c.input or c.input == "[1e-5]"}


@pytest.fixture
def wrong_adapter(pytester: pytest.Pytester) -> str:
    path = pytester.path / "wrong_adapter.py"
    path.write_text(WRONG_ADAPTER, encoding="utf-8")
    return f"{sys.executable} {path}"


@pytest.fixture(params=["plain", "xdist"])
def run(
    request: pytest.FixtureRequest, pytester: pytest.Pytester
) -> Callable[..., pytest.RunResult]:
    """Run pytest in a subprocess, plainly or under ``-n 2``."""
    extra = ["-n", "2"] if request.param == "xdist" else []

    def go(*args: Any) -> pytest.RunResult:
        return pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", *extra, *map(str, args), timeout=120
        )

    return go
