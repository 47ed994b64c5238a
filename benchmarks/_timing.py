"""Timing a command in a process of its own: wall and CPU seconds, peak memory, exit status.

Shared by the benchmarks that run ``check`` beside a bare orjson loop. Peak memory is wait4's
``ru_maxrss``, which Linux carries over from the parent at fork: the benchmark scripts keep
their own memory small, so the figure is the command's.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = [
    "BARE",
    "CHECK",
    "Run",
    "best",
    "compile_checkout",
    "env",
    "interleaved",
    "measured",
    "timed",
]

ROOT = Path(__file__).resolve().parents[1]

BARE = """\
import sys, orjson
loads = orjson.loads
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        loads(line)
        n += 1
print(n)
"""
"""The floor: a bare ``orjson.loads`` loop over the file's lines."""
CHECK = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
"""``noetl-events-conformance`` from this checkout, for ``python -c``."""


@dataclasses.dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float
    status: int


def env() -> dict[str, str]:
    """The environment with this checkout first on ``PYTHONPATH``, bytecode written and read
    as an installed wheel has it (``PYTHONDONTWRITEBYTECODE`` would recompile the kit at every
    start)."""
    out = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def require(*needs: tuple[str, str]) -> None:
    """Stop with one line naming what to install when a module a figure needs is missing
    (``needs``: ``(module, what installs it)``)."""
    import importlib.util

    for module, install in needs:
        if importlib.util.find_spec(module) is None:
            raise SystemExit(f"this benchmark needs {module}: {install}")


def compile_checkout() -> None:
    """Write the bytecode of the kit's packages (what ``pip install`` does for a wheel)."""
    import compileall

    for package in ("conformance", "noetl_events_ref"):
        compileall.compile_dir(str(ROOT / package), quiet=2)


def interleaved(argvs: dict[str, list[str]], repeat: int) -> dict[str, Run]:
    """The fastest of ``repeat`` runs of each command, the commands taking turns (a slow spell
    of a busy machine then falls on all of them, not on one)."""
    runs: dict[str, list[Run]] = {name: [] for name in argvs}
    for _ in range(repeat):
        for name, argv in argvs.items():
            runs[name].append(timed(argv))
    return {name: min(found, key=lambda r: r.wall) for name, found in runs.items()}


def measured(argv: list[str]) -> Run:
    """One run whatever its exit status (2 and 3 included)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1) and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode())
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


def timed(argv: list[str]) -> Run:
    """One run that must end with status 0 or 1 (valid, or some line invalid)."""
    run = measured(argv)
    if run.status not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({run.status})")
    return run


def best(argv: list[str], repeat: int) -> Run:
    """The fastest of ``repeat`` runs."""
    return min((timed(argv) for _ in range(repeat)), key=lambda r: r.wall)
