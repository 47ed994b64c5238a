"""Every example in docs/operations.md is what the reference and the real crates answer."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from noetl_events_ref._ops import OPS, run_op
from tests._rust_adapter import rust_adapter_path

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"

Example = tuple[str, str, str | None, str]


def examples() -> list[Example]:
    """(op, input, now, expected line) for each input/answer pair of the page's text blocks."""
    found: list[Example] = []
    for section in re.split(r"^## ", DOC.read_text("utf-8"), flags=re.M)[1:]:
        ops = re.findall(r"`(\w+)`", section.split("\n", 1)[0])
        for block in re.findall(r"```text\n(.*?)```", section, re.S):
            lines = block.strip("\n").split("\n")
            for line, answer in itertools.pairwise(lines):
                if not line.startswith("input   "):
                    continue
                text, now, op = line[8:], None, ops[0]
                if m := re.search(r"\s{3,}now (\S+)$", text):
                    text, now = text[: m.start()].rstrip(), m.group(1)
                if m := re.search(r"\s{3,}\((\w+)\)$", text):
                    text, op = text[: m.start()].rstrip(), m.group(1)
                found.append((op, text, now, answer))
    return found


def _line(ok: bool, output: str | None, kind: str | None, message: str | None) -> str:
    return f"output  {output}" if ok else f"error   {kind}: {message}"


def test_every_op_has_examples() -> None:
    assert {op for op, *_ in examples()} == set(OPS)


@pytest.mark.parametrize(("op", "text", "now", "answer"), examples())
def test_the_reference_gives_each_example(op: str, text: str, now: str | None, answer: str) -> None:
    got = run_op(op, text, now)
    assert _line(got.ok, got.output, got.kind, got.message) == answer


@pytest.mark.rust
def test_the_real_crates_give_each_example() -> None:
    adapter = rust_adapter_path()
    if not adapter.is_file():
        message = f"the Rust adapter is not built ({adapter})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cases = examples()
    requests = [json.dumps({"cmd": "start", "protocol": 1})]
    requests += [
        json.dumps({"cmd": "run", "seq": i, "op": op, "input": text, "now": now})
        for i, (op, text, now, _) in enumerate(cases)
    ]
    requests.append(json.dumps({"cmd": "stop"}))
    run = subprocess.run(
        [str(adapter)],
        input=("\n".join(requests) + "\n").encode(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    answers = [json.loads(line) for line in run.stdout.decode().split("\n")[1:] if line]
    got = [
        _line(
            a.get("ok", False),
            a.get("output"),
            (a.get("error") or {}).get("kind"),
            (a.get("error") or {}).get("message"),
        )
        for a in answers
    ]
    assert got == [answer for *_, answer in cases]
