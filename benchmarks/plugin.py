"""The whole corpus in a downstream pytest run, beside the same cases through ``verify``.

    python benchmarks/plugin.py [--impl COMMAND] [--repeat 5]

Both are timed as whole processes (start-up included) in an empty folder, against the same
adapter (default: ``python -m noetl_events_ref``); best of ``--repeat``.
Target: the pytest run takes no more than twice as long as ``verify``.

pytest's start-up in an environment with hypothesis installed carries a fixed cost that has
nothing to do with this plugin: hypothesis' own pytest plugin imports all of hypothesis in its
terminal-summary hook at the end of every session, tests or none. The target is judged on the
plugin run without hypothesis' plugin (``-p no:hypothesispytest``); the run as installed is shown
beside it. For scale, the table also shows pytest with no test at all, pytest running as many
empty test functions as there are cases, and the plugin with every case item given a marker,
which sends the items through pytest's full run-test protocol instead of the plugin's short one
(see ``conformance.plugin._items.run_case_protocol``).

Last, a baseline: an adapter that answers ``null`` to everything fails almost every case; a
baseline file lists those failures (written by ``verify --update-baseline``), and both runs are
timed again with it, every failure now a known one (an xfail in pytest).
"""

from __future__ import annotations

import argparse
import shlex
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
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    # Runs happen in an empty folder: a command given by a relative path is made absolute.
    argv = shlex.split(args.impl)
    if argv and Path(argv[0]).exists():
        argv[0] = str(Path(argv[0]).absolute())  # not resolve(): a venv python is a symlink
    args.impl = shlex.join(argv)
    cli = shutil.which("noetl-events-conformance")
    if cli is None:
        raise SystemExit(
            "install the kit first (pip install -e .): noetl-events-conformance not found"
        )
    from conformance.corpus._case import load_corpus

    cases = len(load_corpus())
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        t_verify = _time([cli, "verify", "--impl", args.impl, "--format", "json"], cwd, args.repeat)
        pytest_argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        plugin = ["--noetl-events-impl", args.impl]
        no_hyp = ["-p", "no:hypothesispytest"]
        t_empty = _time([*pytest_argv, *no_hyp, "--co"], cwd, args.repeat, ok=(0, 5))
        functions = cwd / "test_functions.py"
        functions.write_text(
            f"import pytest\n\n@pytest.mark.parametrize('i', range({cases}))\n"
            "def test_nothing(i):\n    pass\n"
        )
        t_functions = _time([*pytest_argv, *no_hyp, str(functions)], cwd, args.repeat)
        functions.unlink()
        t_installed = _time([*pytest_argv, *plugin], cwd, args.repeat)
        t_pytest = _time([*pytest_argv, *no_hyp, *plugin], cwd, args.repeat)
        (cwd / "conftest.py").write_text(
            "import pytest\n\n"
            "def pytest_collection_modifyitems(items):\n"
            "    for item in items:\n"
            "        item.add_marker(pytest.mark.usefixtures())\n"
        )
        t_full = _time([*pytest_argv, *no_hyp, *plugin], cwd, args.repeat)
        (cwd / "conftest.py").unlink()
        wrong = cwd / "wrong.py"
        wrong.write_text(_NULL_ADAPTER)
        null_impl = shlex.join([sys.executable, str(wrong)])
        baseline = cwd / "known.txt"
        subprocess.run(
            [cli, "verify", "--impl", null_impl, "--baseline", baseline, "--update-baseline"],
            cwd=cwd,
            capture_output=True,
            check=True,
        )
        known = sum(1 for line in baseline.read_text().splitlines() if not line.startswith("#"))
        with_baseline = ["--noetl-events-baseline", str(baseline)]
        t_verify_known = _time(
            [cli, "verify", "--impl", null_impl, "--baseline", str(baseline), "--format", "json"],
            cwd,
            args.repeat,
        )
        t_known = _time(
            [*pytest_argv, *no_hyp, "--noetl-events-impl", null_impl, *with_baseline],
            cwd,
            args.repeat,
        )
    print(f"{cases} corpus cases against {args.impl!r}, best of {args.repeat}, whole processes")
    print(f"{'run':<58}{'seconds':>9}{'x verify':>10}")
    rows = (
        ("verify (baseline)", t_verify),
        ("pytest alone, no tests (its fixed start-up)", t_empty),
        (f"pytest, {cases} empty test functions", t_functions),
        ("pytest plugin, as installed", t_installed),
        ("pytest plugin, without hypothesis' plugin (judged)", t_pytest),
        ("pytest plugin, items through pytest's full protocol", t_full),
        (f"verify, {known} known failures (baseline)", t_verify_known),
        (f"pytest plugin, {known} known failures (baseline)", t_known),
    )
    for name, t in rows:
        print(f"{name:<58}{t:>9.2f}{t / t_verify:>10.2f}")
    ratio = t_pytest / t_verify
    verdict = "met" if ratio <= 2 else "NOT met"
    print(f"plugin run / verify: {ratio:.2f}x (target <= 2x): {verdict}")
    per_case = (t_pytest - t_empty) / cases * 1e3
    print(f"the plugin's cost over pytest alone: {per_case:.2f} ms per case")
    saved = (t_full - t_pytest) / cases * 1e3
    print(f"the short protocol saves {saved:.2f} ms per case over pytest's full one")
    print(
        f"with a baseline of {known} known failures: plugin / verify "
        f"{t_known / t_verify_known:.2f}x; plugin with them / plugin all passing "
        f"{t_known / t_pytest:.2f}x"
    )
    return 0


_NULL_ADAPTER = """\
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    if request["cmd"] == "start":
        reply = {"ready": True, "protocol": 1, "implementation": {"name": "null"},
                 "ops": ["decode_event", "decode_request", "event_to_request",
                         "request_to_event", "canonical_value"]}
    elif request["cmd"] == "stop":
        break
    else:
        reply = {"seq": request["seq"], "ok": True, "output": "null"}
    print(json.dumps(reply), flush=True)
"""


if __name__ == "__main__":
    raise SystemExit(main())
