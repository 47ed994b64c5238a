"""The ways in: ``--version``, ``python -m conformance``, and ``python -m noetl_events_ref
--help`` answering at once instead of waiting on its input."""

from __future__ import annotations

import subprocess
import sys

from noetl_events_ref._adapter import distribution_version


def test_version_from_the_command_and_python_m_conformance() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"noetl-events-conformance {distribution_version()}"
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "verify", "--format", "badge"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and '"color": "brightgreen"' in done.stdout


def test_the_reference_adapter_answers_help_without_reading_its_input() -> None:
    for flag, expect in (("--help", "runner protocol v1 adapter"), ("--version", "")):
        with subprocess.Popen(
            [sys.executable, "-m", "noetl_events_ref", flag],
            stdin=subprocess.PIPE,  # left open: a program reading it would wait forever
            stdout=subprocess.PIPE,
            text=True,
        ) as proc:
            assert proc.wait(timeout=60) == 0
            assert proc.stdout is not None
            out = proc.stdout.read()
            assert expect in out.replace("\n", " ") and out.strip()
            assert proc.stdin is not None
            proc.stdin.close()


def test_an_unknown_option_is_told_with_the_commands_own_usage() -> None:
    for command, *words in (("verify",), ("check", "stream.jsonl")):
        done = subprocess.run(
            [sys.executable, "-m", "conformance", command, *words, "--bogus"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        assert done.stderr.startswith(f"usage: noetl-events-conformance {command} ")
        assert f"{command}: error: unrecognized arguments: --bogus" in done.stderr
