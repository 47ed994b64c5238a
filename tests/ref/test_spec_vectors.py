"""Every vector of tests/ref/data/spec_vectors.json: the spec's rules and examples, with the
answers the real Rust crate gave (output bytes, or error kind and exact message)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from noetl_events_ref._ops import run_op

_DATA = json.loads((Path(__file__).parent / "data" / "spec_vectors.json").read_text("utf-8"))
VECTORS: list[dict[str, Any]] = _DATA["vectors"]


def _vid(v: dict[str, Any]) -> str:
    return f"{v['op']}:{v['input'][:40]!r}"


@pytest.mark.parametrize("vector", VECTORS, ids=_vid)
def test_reference_gives_the_crates_answer(vector: dict[str, Any]) -> None:
    outcome = run_op(vector["op"], vector["input"], vector.get("now"))
    if "output" in vector:
        assert outcome.ok, outcome
        assert outcome.output == vector["output"]
    else:
        assert not outcome.ok, outcome
        assert (outcome.kind, outcome.message) == (
            vector["error"]["kind"],
            vector["error"]["message"],
        )


def test_vectors_cover_every_op_and_both_outcomes() -> None:
    seen = {(v["op"], "output" in v) for v in VECTORS}
    for op in (
        "decode_event",
        "decode_request",
        "event_to_request",
        "request_to_event",
        "canonical_value",
    ):
        assert (op, True) in seen
    for op in ("decode_event", "decode_request", "request_to_event", "canonical_value"):
        assert (op, False) in seen
