#!/usr/bin/env python3
"""Figures for ``noetl-events-conformance check``.

Writes a JSONL file of realistic envelopes (``_envelopes.realistic_lines``, fixed seed) in a
temporary folder, then times, each in a fresh process, best of ``--repeat`` runs:

- a bare loop ``for line in file: orjson.loads(line)`` over that file (the yardstick);
- ``check FILE --format json`` (one process): events/s, its ratio to the bare loop, and its
  peak memory (RSS high-water mark, from ``wait4``);
- ``check FILE --jobs 2``: the speed-up over ``--jobs 1`` (and that both reports are equal);
- the start-up of both commands (an empty input), to show the figures without it as well.

Targets: ratio >= 0.5, peak memory < 150 MB, speed-up >= 1.7 (on two idle cores).

    PYTHONPATH=. python benchmarks/check.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _envelopes import realistic_lines

ROOT = Path(__file__).resolve().parent.parent

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
CHECK = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"


@dataclasses.dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float
    status: int


def timed(argv: list[str]) -> Run:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


def best(argv: list[str], repeat: int) -> Run:
    runs = [timed(argv) for _ in range(repeat)]
    return min(runs, key=lambda r: r.wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="noetl-check-bench-"))
    data = tmp / "events.jsonl"
    t0 = time.perf_counter()
    with data.open("w", encoding="utf-8") as f:
        for line in realistic_lines(args.lines, args.seed):
            f.write(line)
            f.write("\n")
    size_mb = data.stat().st_size / 1e6
    print(
        f"{args.lines:,} lines, {size_mb:,.0f} MB, written in {time.perf_counter() - t0:.1f}s"
        f" ({data})",
        file=sys.stderr,
    )

    py = sys.executable
    out1, out2 = tmp / "jobs1.json", tmp / "jobs2.json"
    check = [py, "-c", CHECK, "check", str(data), "--format", "json"]
    bare = best([py, "-c", BARE, str(data)], args.repeat)
    one = best([*check, "--output", str(out1)], args.repeat)  # also the --jobs 1 run
    two = best([*check, "--jobs", "2", "--output", str(out2)], args.repeat)
    same = out1.read_text() == out2.read_text()
    empty = tmp / "empty.jsonl"
    empty.write_bytes(b"")
    startup_check = best([*check[:4], str(empty)], args.repeat).wall
    startup_bare = best([py, "-c", "import orjson"], args.repeat).wall

    ratio = bare.wall / one.wall
    ratio_cpu = bare.cpu / one.cpu
    speedup = one.wall / two.wall
    rows = [
        ("bare orjson.loads loop", bare, ""),
        ("check (1 process)", one, f"ratio {ratio:.2f}x (cpu {ratio_cpu:.2f}x)"),
        ("check --jobs 2", two, f"speed-up {speedup:.2f}x"),
    ]
    print(f"\n{'run':<24} {'wall s':>8} {'cpu s':>8} {'events/s':>12} {'peak MB':>8}  note")
    for name, run, note in rows:
        rate = args.lines / run.wall
        print(f"{name:<24} {run.wall:8.2f} {run.cpu:8.2f} {rate:12,.0f} {run.peak_mb:8.1f}  {note}")
    print()
    print(f"check vs bare loop:  {ratio:.2f}x   (target >= 0.5)")
    print(f"peak memory:         {one.peak_mb:.1f} MB (target < 150)")
    print(f"--jobs 2 speed-up:   {speedup:.2f}x   (target >= 1.7; {os.cpu_count()} CPUs)")
    print(f"--jobs 2 report == --jobs 1 report: {same}")
    work = (bare.wall - startup_bare) / (one.wall - startup_check)
    work_speedup = (one.wall - startup_check) / (two.wall - startup_check)
    print(
        f"start-up (empty input): check {startup_check:.2f}s, bare loop {startup_bare:.2f}s; "
        f"without it: ratio {work:.2f}x, --jobs 2 speed-up {work_speedup:.2f}x"
    )
    if not args.keep:
        shutil.rmtree(tmp)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
