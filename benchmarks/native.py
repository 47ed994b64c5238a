#!/usr/bin/env python3
"""Figures for ``check``'s two engines, each beside a bare orjson loop over the same file.

Three streams, written to a temporary folder:

- ``realistic``: ``--lines`` (300,000) envelopes as NoETL's worker and CLI emit them
  (``_envelopes.realistic_lines``, fixed seed: snowflake ids, meta, nanosecond timestamps);
- ``large``: ``--large-lines`` (1,000,000) lines of the same kind, as ``benchmarks/check.py``
  writes them (``--large-lines 0`` leaves it out);
- ``hazard-heavy``: ``--heavy-lines`` (50,000) envelopes from the kit's generators (unicode,
  escapes, floats, odd timestamps, aliases, unknown keys, deep values), 5% of them breaking one
  rule each (``--heavy-lines 0`` leaves it out).

For each stream, each command in a fresh process, the commands taking turns, best of
``--repeat``, the kit's bytecode compiled as a wheel install has it:

- ``read``: reading alone (lines/s): as the native engine reads a file (its module's own
  reads of whole blocks, split into lines, not checked; one thread) and through the source the
  Python engine reads (a list of lines);
- ``orjson loop``: ``for line in file: orjson.loads(line)`` (the yardstick: ratios are its wall
  time over the command's);
- ``check`` and ``check --hazards`` on ``--engine python`` and ``--engine native``;
- ``check --jobs 2`` and ``check --hazards --jobs 2`` on the native engine (two threads of one
  process), with their speed-up over one job and whether the report is the same;
- in process: runs on one thread and on two in one process, after its start-up (the engine's
  own scaling), beside a control whose threads share nothing (each reads and hashes its own
  blocks with sha256: what this machine gives two threads).

(The Python engine's ``--hazards`` is left out on the large stream: it would take minutes.)
CPU seconds are printed beside wall seconds: on a busy machine they are the steadier figure.

The JSON reports of both engines are compared byte for byte (exit status 1 if they differ).
Targets (the native engine): realistic >= 1.5x, with --hazards >= 1.0x; hazard-heavy >= 0.8x;
--jobs 2 >= 1.8x of one job; peak memory < 150 MB.

    python benchmarks/native.py [--lines 300000] [--large-lines 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _envelopes import heavy_lines, realistic_lines
from _timing import CHECK, compile_checkout, env, interleaved, require

BARE = """\
import sys, orjson
loads = orjson.loads
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        try:
            loads(line)
        except orjson.JSONDecodeError:
            pass
        n += 1
print(n)
"""
READ = """\
import sys
from conformance.audit._sources import SourceOptions, close_sources, open_source
source = open_source(sys.argv[1], SourceOptions())
n = 0
if sys.argv[2] == "module":  # as the native engine reads a file: its module's own reads
    from noetl_events_native import Engine
    run = Engine("event", False, None, [], 1).check_file(source.fd, source.size, read_only=True)
    while (block := run.next()) is not None:
        n += block[2]
    run.close()
else:
    for block in source.blocks():
        n += len(block.lines)
close_sources([source])
print(n)
"""
IN_PROCESS = """\
import hashlib, json, os, sys, threading, time
from conformance.audit._run import AuditOptions, run
from conformance.audit._sources import SourceOptions, close_sources, open_source
path, hazards, repeat = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
BLOCK = 1 << 20

def check(threads):  # a run as check makes it, after start-up
    source = open_source(path, SourceOptions())
    start = time.perf_counter()
    run(AuditOptions(engine="native", hazards=hazards), [source], jobs=threads)
    took = time.perf_counter() - start
    close_sources([source])
    return took

def digest(threads):  # the control: each thread reads and hashes its blocks, sharing nothing
    fd = os.open(path, os.O_RDONLY)
    blocks = range(0, os.fstat(fd).st_size, BLOCK)
    def work(mine):
        for offset in mine:
            hashlib.sha256(os.pread(fd, BLOCK, offset))
    workers = [threading.Thread(target=work, args=(blocks[i::threads],)) for i in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    took = time.perf_counter() - start
    os.close(fd)
    return took

best = {}
for _ in range(repeat):
    for name, measure in (("check", check), ("sha256", digest)):
        for threads in (1, 2):
            took = measure(threads)
            best[f"{name} {threads}"] = min(best.get(f"{name} {threads}", took), took)
print(json.dumps(best))
"""


def in_process(data: Path, repeat: int) -> None:
    """The engine's own scaling: runs on one and on two threads in one process, after its
    start-up (the file in the page cache), beside a control whose threads share nothing (each
    reads and hashes its own blocks with sha256: what this machine gives two threads)."""
    py = sys.executable
    figures: dict[str, dict[str, float]] = {}
    for hazards in ("0", "1"):
        argv = [py, "-c", IN_PROCESS, str(data), hazards, str(repeat)]
        done = subprocess.run(argv, env=env(), capture_output=True, text=True, check=True)
        figures[hazards] = json.loads(done.stdout)
    print("\nIn process (runs after start-up, the file in the page cache; best of each):\n")
    print("| run | 1 thread s | 2 threads s | speed-up |")
    print("|---|---:|---:|---:|")
    rows = [
        ("check [native]", figures["0"]["check 1"], figures["0"]["check 2"]),
        ("check --hazards [native]", figures["1"]["check 1"], figures["1"]["check 2"]),
        (
            "control: read and sha256 the same blocks",
            min(f["sha256 1"] for f in figures.values()),
            min(f["sha256 2"] for f in figures.values()),
        ),
    ]
    for label, one, two in rows:
        print(f"| {label} | {one:.3f} | {two:.3f} | {one / two:.2f}x |")


def _net(bare: float, run: float) -> str:
    """A ratio without start-up, when both sides are long enough to mean something."""
    return f"{bare / run:.2f}x" if bare > 0.1 and run > 0.1 else "n/a"


def write(path: Path, lines: Iterator[str]) -> int:
    n = 0
    with path.open("w", encoding="utf-8", errors="surrogatepass") as f:
        for line in lines:
            f.write(line)
            f.write("\n")
            n += 1
    return n


def bench(name: str, data: Path, lines: int, repeat: int, tmp: Path, *, hazards: bool) -> bool:
    py = sys.executable
    size_mb = data.stat().st_size / 1e6
    print(f"\n## {name}: {lines:,} lines, {size_mb:,.0f} MB\n")
    empty = tmp / "empty.jsonl"
    empty.write_bytes(b"")
    argvs: dict[str, list[str]] = {
        "read (native engine: the module's reads, 1 thread)": [py, "-c", READ, str(data), "module"],
        "read (Python engine's source)": [py, "-c", READ, str(data), "lines"],
        "orjson loop": [py, "-c", BARE, str(data)],
        "start-up: check (empty input)": [py, "-c", CHECK, "check", str(empty)],
        "start-up: orjson loop (empty input)": [py, "-c", BARE, str(empty)],
    }
    outputs: dict[str, Path] = {}
    for with_hazards in (False, True):
        for engine, jobs in (("python", 1), ("native", 1), ("native", 2)):
            if with_hazards and engine == "python" and not hazards:
                continue
            label = f"check{' --hazards' if with_hazards else ''}"
            label += f"{' --jobs 2' if jobs == 2 else ''} [{engine}]"
            out = tmp / f"{name}-{engine}-{with_hazards}-{jobs}.json"
            argv = [py, "-c", CHECK, "check", str(data), "--format", "json", "--engine", engine]
            argv += ["--hazards"] if with_hazards else []
            argv += ["--jobs", "2"] if jobs == 2 else []
            argvs[label] = [*argv, "--output", str(out)]
            outputs[label] = out
    best = interleaved(argvs, repeat)
    bare, start_check, start_bare = (
        best["orjson loop"],
        best["start-up: check (empty input)"],
        best["start-up: orjson loop (empty input)"],
    )
    print(
        "| run | wall s | cpu s | lines/s | peak MB | vs orjson loop (wall) "
        "| without start-up (wall) | cpu vs orjson loop | note |"
    )
    print("|---|---:|---:|---:|---:|---|---|---|---|")
    for label, run in best.items():
        if label.startswith("start-up"):
            continue
        rate = lines / run.wall
        plain = label.startswith(("read", "orjson"))
        ratio = "" if plain else f"{bare.wall / run.wall:.2f}x"
        net = "" if plain else _net(bare.wall - start_bare.wall, run.wall - start_check.wall)
        cpu = "" if plain else f"{bare.cpu / run.cpu:.2f}x"
        note = ""
        if "--jobs 2" in label:
            one = best[label.replace(" --jobs 2", "")]
            same = outputs[label].read_text() == outputs[label.replace(" --jobs 2", "")].read_text()
            # Without start-up: the engine's own scaling. The bound: this run's CPU time after
            # start-up, spread over two cores.
            net_up = (one.wall - start_check.wall) / (run.wall - start_check.wall)
            cores = min(2, os.cpu_count() or 1)
            bound = start_check.wall + (run.cpu - start_check.cpu) / cores
            note = (
                f"speed-up over one job {one.wall / run.wall:.2f}x "
                f"({net_up:.2f}x without start-up; at most {one.wall / bound:.2f}x if all "
                f"its CPU time were spread over {cores} cores); same report: {same}"
            )
        print(
            f"| {label} | {run.wall:.2f} | {run.cpu:.2f} | {rate:,.0f} | {run.peak_mb:.0f} "
            f"| {ratio} | {net} | {cpu} | {note} |"
        )
    print(
        f"\nstart-up (empty input): check {start_check.wall:.2f}s "
        f"(cpu {start_check.cpu:.2f}s), orjson loop {start_bare.wall:.2f}s "
        f"(cpu {start_bare.cpu:.2f}s)"
    )
    texts = {label: path.read_text() for label, path in outputs.items()}
    groups: dict[bool, set[str]] = {False: set(), True: set()}
    for label, text in texts.items():
        groups["--hazards" in label].add(text)
    same = all(len(reports) <= 1 for reports in groups.values())
    print(f"\nreports identical across engines and jobs (check, check --hazards): {same}")
    in_process(data, repeat)
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--large-lines", type=int, default=1_000_000)
    parser.add_argument("--heavy-lines", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    from conformance.audit import _native

    if not _native.available():
        raise SystemExit("the native engine is not built: pip install ./native")
    require(("orjson", "pip install 'noetl-events-conformance[check]' (the bare loop's parser)"))
    if args.heavy_lines:
        require(
            (
                "hypothesis",
                "pip install 'noetl-events-conformance[strategies]' (the hazard-heavy stream "
                "is drawn with the kit's generators), or pass --heavy-lines 0",
            )
        )
    compile_checkout()
    tmp = Path(tempfile.mkdtemp(prefix="noetl-native-bench-"))
    print(f"{os.cpu_count()} CPUs; files in {tmp}", file=sys.stderr)
    streams: list[tuple[str, Path, int]] = []
    t0 = time.perf_counter()
    path = tmp / "realistic.jsonl"
    streams.append(("realistic", path, write(path, realistic_lines(args.lines, args.seed))))
    if args.large_lines:
        path = tmp / "large.jsonl"
        n = write(path, realistic_lines(args.large_lines, args.seed + 1))
        streams.append(("large", path, n))
    if args.heavy_lines:
        path = tmp / "hazard-heavy.jsonl"
        n = write(path, heavy_lines(args.heavy_lines, args.seed))
        streams.append(("hazard-heavy", path, n))
    print(f"streams written in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    # every stream (on the large one, the Python engine's --hazards is left out: it takes
    # minutes)
    results = [
        bench(name, p, n, args.repeat, tmp, hazards=name != "large") for name, p, n in streams
    ]
    same = all(results)
    if not args.keep:
        shutil.rmtree(tmp)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
