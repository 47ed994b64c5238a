"""--noetl-events-timeout: a hanging adapter errors its cases quickly."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.corpus._case import Case

HANG = """
import sys, json, time
for line in sys.stdin:
    if json.loads(line)["cmd"] == "start":
        print(json.dumps({"ready": True, "protocol": 1, "implementation": {"name": "hang"},
              "ops": ["decode_event", "decode_request", "canonical_value"]}), flush=True)
    else:
        time.sleep(3600)
"""


def test_a_hanging_adapter_times_out(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    hang = pytester.path / "hang.py"
    hang.write_text(HANG)
    began = time.monotonic()
    result = run(
        "--noetl-events-impl",
        f"{sys.executable} {hang}",
        "--noetl-events-corpus",
        root,
        "--noetl-events-timeout",
        "0.5",
    )
    assert time.monotonic() - began < 60
    assert result.parseoutcomes().get("errors") == len(cases)
    assert "the implementation errored" in result.stdout.str()
