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

For each stream, each command in a fresh process, best of ``--repeat``:

- ``read``: reading alone, through ``check``'s own source (lines/s), the floor of any engine;
- ``orjson``: ``for line in file: orjson.loads(line)`` (the yardstick; ratios are against it);
- ``check`` and ``check --hazards`` on ``--engine python`` and ``--engine native``;
- ``check --jobs 2`` (native): its speed-up over one process, and that the report is the same.

(``--hazards`` is not run on the large stream: the Python engine alone would take minutes.)
CPU seconds are printed beside wall seconds: on a busy machine they are the steadier figure.

The JSON reports of both engines are compared byte for byte (exit status 1 if they differ).
Targets (the native engine): realistic >= 1.5x, with --hazards >= 1.0x; hazard-heavy >= 0.8x;
--jobs 2 >= 1.8x; peak memory < 150 MB.

    python benchmarks/native.py [--lines 300000] [--large-lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _envelopes import heavy_lines, realistic_lines
from _timing import CHECK, Run, best

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
for block in source.blocks():
    n += len(block.lines)
close_sources([source])
print(n)
"""


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
    read = best([py, "-c", READ, str(data)], repeat)
    bare = best([py, "-c", BARE, str(data)], repeat)
    rows: list[tuple[str, Run, str]] = [
        ("read (check's source)", read, ""),
        ("orjson loop", bare, "1.00x"),
    ]
    reports: dict[str, str] = {}
    one_native = None
    for with_hazards in (False, True) if hazards else (False,):
        for engine in ("python", "native"):
            out = tmp / f"{name}-{engine}-{with_hazards}.json"
            argv = [py, "-c", CHECK, "check", str(data), "--format", "json", "--engine", engine]
            argv += ["--hazards"] if with_hazards else []
            run = best([*argv, "--output", str(out)], repeat)
            reports[f"{engine}-{with_hazards}"] = out.read_text()
            label = f"check{' --hazards' if with_hazards else ''} [{engine}]"
            rows.append((label, run, f"{bare.wall / run.wall:.2f}x"))
            if engine == "native" and not with_hazards:
                one_native = run
                out2 = tmp / f"{name}-jobs2.json"
                two = best([*argv, "--jobs", "2", "--output", str(out2)], repeat)
                same2 = out2.read_text() == out.read_text()
                note = f"{bare.wall / two.wall:.2f}x; speed-up {one_native.wall / two.wall:.2f}x"
                rows.append(("check --jobs 2 [native]", two, f"{note}; same report: {same2}"))
                if not same2:
                    reports["jobs2"] = "differs"
    empty = tmp / "empty.jsonl"
    empty.write_bytes(b"")
    check_start = best([py, "-c", CHECK, "check", str(empty), "--engine", "native"], repeat)
    bare_start = best([py, "-c", BARE, str(empty)], repeat)
    start_check, start_bare = check_start.wall, bare_start.wall
    print(
        "| run | wall s | cpu s | lines/s | peak MB | vs orjson loop (wall) "
        "| without start-up (wall) | cpu vs orjson loop | cpu, without start-up |"
    )
    print("|---|---:|---:|---:|---:|---|---|---|---|")
    for label, run, note in rows:
        rate = lines / run.wall
        skip = label.startswith(("read", "orjson"))
        bare_net = "" if skip else _net(bare.wall - start_bare, run.wall - start_check)
        cpu = "" if skip else f"{bare.cpu / run.cpu:.2f}x"
        cpu_net = "" if skip else _net(bare.cpu - bare_start.cpu, run.cpu - check_start.cpu)
        print(
            f"| {label} | {run.wall:.2f} | {run.cpu:.2f} | {rate:,.0f} | {run.peak_mb:.0f} "
            f"| {note} | {bare_net} | {cpu} | {cpu_net} |"
        )
    print(
        f"\nstart-up (empty input): check {start_check:.2f}s (cpu {check_start.cpu:.2f}s), "
        f"orjson loop {start_bare:.2f}s (cpu {bare_start.cpu:.2f}s)"
    )
    same = (
        all(
            reports[f"native-{h}"] == reports[f"python-{h}"]
            for h in (False, True)
            if hazards or not h
        )
        and "jobs2" not in reports
    )
    print(f"\nreports identical across engines (check, check --hazards, --jobs 2): {same}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--large-lines", type=int, default=1_000_000)
    parser.add_argument("--heavy-lines", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    from conformance.audit import _native

    if not _native.available():
        raise SystemExit("the native engine is not built: pip install ./native")
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
    # every stream (on the large one, --hazards is left out: the Python engine takes minutes)
    results = [
        bench(name, p, n, args.repeat, tmp, hazards=name != "large") for name, p, n in streams
    ]
    same = all(results)
    if not args.keep:
        shutil.rmtree(tmp)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
