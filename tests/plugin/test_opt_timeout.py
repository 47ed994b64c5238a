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
    out = result.stdout.str()
    assert "the implementation errored" in out
    # the option named is the one that sets it here (it said `--timeout`, verify's)
    assert "timed out after 0.5 s (--noetl-events-timeout) waiting for" in out
    assert "(--timeout)" not in out
    pytester.makeini("[pytest]\nnoetl_events_timeout = 0.5\n")
    result = run("--noetl-events-impl", f"{sys.executable} {hang}", "--noetl-events-corpus", root)
    assert "timed out after 0.5 s (noetl_events_timeout in tox.ini) waiting for" in (
        result.stdout.str()
    )


@pytest.mark.parametrize("seconds", ["nan", "inf", "0", "-1", "soon"])
def test_a_timeout_that_is_not_a_positive_finite_number_is_a_usage_error(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], seconds: str
) -> None:
    root, _ = corpus
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--noetl-events-impl",
        f"{sys.executable} -m noetl_events_ref",
        "--noetl-events-corpus",
        root,
        "--noetl-events-timeout",
        seconds,
        timeout=120,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "--noetl-events-timeout must be a positive, finite number of seconds" in err
    assert "Traceback" not in err + result.stdout.str()


def test_a_bad_ini_timeout_names_the_ini_key(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]]
) -> None:
    root, _ = corpus
    pytester.makeini("[pytest]\nnoetl_events_timeout = soon\n")
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--noetl-events-impl",
        f"{sys.executable} -m noetl_events_ref",
        "--noetl-events-corpus",
        root,
        timeout=120,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: noetl_events_timeout in tox.ini must be a positive, finite number of "
            'seconds, not "soon"'
        ]
    )
