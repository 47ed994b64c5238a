"""The whole corpus in a downstream pytest run, beside the same cases through ``verify``.

    python benchmarks/plugin.py [--impl COMMAND] [--repeat 3]

Both are timed as whole processes (start-up included) in an empty folder, against the same
adapter (default: ``python -m noetl_events_ref``); best of ``--repeat``.
Target: the pytest run takes no more than twice as long as ``verify``.

pytest's start-up in an environment with hypothesis installed carries a fixed cost that has
nothing to do with this plugin: hypothesis' own pytest plugin imports all of hypothesis in its
terminal-summary hook at the end of every session (about 0.8 s with hypothesis 6.170). The
table shows an empty pytest run, and the plugin run with and without hypothesis' plugin, so
the plugin's own cost can be read against ``verify``; the target is judged on the run without
that fixed cost, and the run as installed is shown beside it. pytest's own start-up and its
per-test protocol (setup, call, teardown and a report for each item) bound what the plugin can
reach on a corpus that ``verify`` runs in a fraction of a second: the table includes a run of as
many empty parametrized tests as there are cases, the floor for one item per case.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(argv: list[str], cwd: Path, repeat: int, ok: tuple[int, ...] = (0,)) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode not in ok:
            raise SystemExit(
                f"{argv[:3]} exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        best = min(best, elapsed)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--impl", default=f"{sys.executable} -m noetl_events_ref")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cli = shutil.which("noetl-events-conformance")
    if cli is None:
        raise SystemExit(
            "install the kit first (pip install -e .): noetl-events-conformance not found"
        )
    from conformance._case import load_corpus

    cases = len(load_corpus())
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        t_verify = _time([cli, "verify", "--impl", args.impl, "--format", "json"], cwd, args.repeat)
        pytest_argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        plugin = ["--noetl-events-impl", args.impl]
        no_hyp = ["-p", "no:hypothesispytest"]
        t_empty = _time([*pytest_argv, *no_hyp, "--co"], cwd, args.repeat, ok=(0, 5))
        trivial = cwd / "test_floor.py"
        trivial.write_text(
            f"import pytest\n\n@pytest.mark.parametrize('i', range({cases}))\n"
            "def test_nothing(i):\n    pass\n"
        )
        t_floor = _time([*pytest_argv, *no_hyp, str(trivial)], cwd, args.repeat)
        trivial.unlink()
        t_installed = _time([*pytest_argv, *plugin], cwd, args.repeat)
        t_pytest = _time([*pytest_argv, *no_hyp, *plugin], cwd, args.repeat)
    print(f"{cases} corpus cases against {args.impl!r}, best of {args.repeat}, whole processes")
    print(f"{'run':<46}{'seconds':>9}{'x verify':>10}")
    rows = (
        ("verify (baseline)", t_verify),
        ("pytest alone, no tests (its fixed start-up)", t_empty),
        (f"pytest, {cases} empty tests (its per-test floor)", t_floor),
        ("pytest plugin, as installed", t_installed),
        ("pytest plugin, without hypothesis' plugin", t_pytest),
    )
    for name, t in rows:
        print(f"{name:<46}{t:>9.2f}{t / t_verify:>10.2f}")
    ratio = t_pytest / t_verify
    verdict = "met" if ratio <= 2 else "NOT met"
    print(f"plugin run / verify: {ratio:.2f}x (target <= 2x): {verdict}")
    per_case = (t_pytest - t_empty) / cases * 1e3
    print(f"the plugin's cost over pytest alone: {per_case:.2f} ms per case")
    over_floor = (t_pytest - t_floor) / cases * 1e3
    print(f"over {cases} empty pytest tests: {over_floor:.2f} ms per case")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
