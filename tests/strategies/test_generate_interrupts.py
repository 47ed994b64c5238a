"""``generate --seed``: stopped by a signal at any point, a run leaves the folder as it was.

The signal is sent (``signal.raise_signal``, which runs Python's handler at once) right after
each step that makes something: a temporary file, a replaced file, a folder. That is where a
real Ctrl-C landed and left a temporary file or an unrecorded case file behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.core import _atomic
from conformance.corpus._corpus import lint
from conformance.generation._generation import generate_cases, write_cases

ROOT = Path(__file__).resolve().parents[2]
OPS = ["decode_event", "canonical_value", "decode_request"]


def _listing(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``, hidden ones too."""
    out: dict[str, bytes | None] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            out[os.path.relpath(os.path.join(root, name), folder)] = None
        for name in files:
            out[os.path.relpath(os.path.join(root, name), folder)] = Path(root, name).read_bytes()
    return out


@pytest.fixture(autouse=True)
def _default_handlers() -> Iterator[None]:
    """Python's own SIGINT handler, as a command-line run has it; and it is put back."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored by the run
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    signal.signal(signal.SIGINT, old)


def _hook(
    monkeypatch: pytest.MonkeyPatch, point: str, under: Path, after: int | None
) -> Callable[[], int]:
    """Count the calls of ``point`` on paths under ``under``; after call number ``after``
    (None: never), send SIGINT to this process. Returns the call counter."""
    calls = 0

    def tick(path: Any) -> None:
        nonlocal calls
        if not str(path).startswith(str(under)):
            return
        calls += 1
        if calls == after:
            signal.raise_signal(signal.SIGINT)

    if point == "temp file made":
        real_temp = _atomic._new_temp

        def new_temp(folder: str, name: str) -> tuple[int, str]:
            made = real_temp(folder, name)
            tick(made[1])
            return made

        monkeypatch.setattr(_atomic, "_new_temp", new_temp)
    elif point == "file replaced":
        real_replace = os.replace

        def replace(src: Any, dst: Any, **kw: Any) -> None:
            real_replace(src, dst, **kw)
            tick(dst)

        monkeypatch.setattr(os, "replace", replace)
    else:
        real_mkdir = Path.mkdir

        def mkdir(self: Path, *args: Any, **kw: Any) -> None:
            real_mkdir(self, *args, **kw)
            tick(self)

        monkeypatch.setattr(Path, "mkdir", mkdir)
    return lambda: calls


@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "existing corpus"])
@pytest.mark.parametrize("point", ["temp file made", "file replaced", "folder made"])
def test_a_signal_after_any_step_leaves_the_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, existing: bool
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    out, probe = work / "g", tmp_path / "probe"
    if existing:
        for folder in (out, probe):
            write_cases(folder, generate_cases(seed=1, count=2, ops=["decode_event"]))
    before = _listing(work)
    cases = generate_cases(seed=2, count=6, ops=OPS)  # new cases, in folders yet to be made
    with monkeypatch.context() as m:  # a clean run from the same start, to count the steps
        counter = _hook(m, point, probe, None)
        write_cases(probe, cases)
    steps = counter()
    assert steps >= 2
    for after in range(1, steps + 1):
        with monkeypatch.context() as m:
            _hook(m, point, out, after)
            try:
                write_cases(out, cases)
            except KeyboardInterrupt:
                stopped = True
            else:  # pragma: no cover - the signal is always delivered
                stopped = False
        assert stopped, after
        if point != "folder made" and after == steps:  # the manifest's: the run was complete
            assert lint(out) == []
            assert len(list((out / "cases").rglob("*.json"))) == len(cases) + 2 * existing
            assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
            return
        assert _listing(work) == before, (point, after)


def test_a_second_ctrl_c_does_not_cut_the_clean_up_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.generation import _generation

    real_remove = _generation._remove

    def remove(created: list[Path]) -> None:
        signal.raise_signal(signal.SIGINT)  # held until the clean-up is done
        real_remove(created)

    monkeypatch.setattr(_generation, "_remove", remove)
    _hook(monkeypatch, "file replaced", tmp_path, 3)
    with pytest.raises(KeyboardInterrupt):
        write_cases(tmp_path / "g", generate_cases(seed=2, count=6, ops=OPS))
    assert _listing(tmp_path) == {}


_CHILD = """
import os, signal, sys
from conformance.cli._main import main
after, calls = int(sys.argv[1]), 0
real = os.replace
def replace(src, dst, **kw):
    global calls
    real(src, dst, **kw)
    calls += 1
    if calls == after:
        os.kill(os.getpid(), signal.SIGTERM)
os.replace = replace
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("after", [1, 4])
def test_a_sigterm_ends_the_run_once_the_folder_is_as_it_was(tmp_path: Path, after: int) -> None:
    """A SIGTERM (what `timeout` sends) that lands while a case file is written: the run
    removes what it made, then ends as SIGTERM asks."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "g"
    argv = ["generate", "--seed", "1", "--count", "6", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(after), *argv],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGTERM, proc.stderr
    assert not out.exists()
