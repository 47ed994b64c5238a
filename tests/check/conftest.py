"""Helpers for the ``check`` tests: run the command in-process or as a real process, and reach
the services (PostgreSQL, NATS) the integration tests need."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.cli._main import main

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """``check(*args, stdin=b"...")``: ``noetl-events-conformance check ARGS`` in this process."""

    def run(*args: str, stdin: bytes | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        status = main(["check", *args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


def run_process(args: Sequence[str], stdin: bytes | None = None, timeout: float = 120) -> Result:
    """The command as users run it: a real process (stdin a pipe, stderr not a terminal)."""
    code = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def write_lines(path: Path, lines: Sequence[bytes], *, end: bytes = b"\n") -> Path:
    path.write_bytes(b"".join(line + end for line in lines))
    return path


def need_module(name: str, extra: str) -> Any:
    """An optional dependency of a source; missing: skip locally, fail in CI."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"{name} is not installed: pip install 'noetl-events-conformance[{extra}]'"
        if os.environ.get("CI"):
            pytest.fail(f"CI: {message}", pytrace=False)
        pytest.skip(message, allow_module_level=True)


def service_url(variable: str, what: str) -> str:
    """The URL of a service from the environment; missing: skip locally, fail in CI."""
    url = os.environ.get(variable)
    if url:
        return url
    message = (
        f"{what} is not configured: set {variable} (scripts/services.sh start; "
        f'eval "$(scripts/services.sh env)")'
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


def service_down(url: str, what: str, error: BaseException) -> None:
    """A configured service that does not answer: skip locally, fail in CI."""
    why = str(error) or type(error).__name__
    message = f"{what} at {url} is not reachable ({why}); start it: scripts/services.sh start"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)
