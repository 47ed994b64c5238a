"""Throwaway servers and measured runs for the fault-injection tests of ``check``.

Each server here is started by a test fixture on a port and in a folder of its own, so that
stopping, killing or freezing it never touches the services other tests share; every fixture
restores (SIGCONT) and removes what it started."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PEAK_RSS_LIMIT = 150 << 20
"""Peak resident memory a run may reach at the default settings, whatever the input."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_port(port: int, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def missing(program: str) -> None:
    """A server program that is not installed: skip locally, fail in CI."""
    message = f"{program} is not installed (scripts/services.sh start installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


# ---- nats-server -------------------------------------------------------------------------


@dataclasses.dataclass
class NatsServer:
    """A nats-server with JetStream of its own."""

    folder: Path
    port: int
    max_payload: int = 1 << 20
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.folder / "nats.conf"
        config.write_text(
            f"listen: 127.0.0.1:{self.port}\n"
            f"max_payload: {self.max_payload}\n"
            f'jetstream {{ store_dir: "{self.folder / "js"}" }}\n'
        )
        self.process = subprocess.Popen(
            ["nats-server", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_port(self.port)

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextlib.contextmanager
def nats_server(max_payload: int = 1 << 20) -> Iterator[NatsServer]:
    if shutil.which("nats-server") is None:
        missing("nats-server")
    folder = Path(tempfile.mkdtemp(prefix="check-faults-nats-"))
    server = NatsServer(folder, free_port(), max_payload)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


# ---- PostgreSQL --------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if found:
        return found[0].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@dataclasses.dataclass
class PgServer:
    """A PostgreSQL cluster of its own (run as ``postgres`` when the tests run as root)."""

    folder: Path
    port: int
    bindir: Path

    @property
    def url(self) -> str:
        return f"postgresql://noetl@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        data = self.folder / "data"
        if not data.exists():
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "noetl",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.folder} -c fsync=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", mode, "stop"
            )


@contextlib.contextmanager
def pg_server() -> Iterator[PgServer]:
    bindir = _pg_bindir()
    if bindir is None or (shutil.which("runuser") is None and os.geteuid() == 0):
        missing("PostgreSQL (server binaries)")
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="check-faults-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    server = PgServer(folder, free_port(), bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


# ---- measured runs -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Run:
    status: int
    out: str
    err: str
    peak_rss: int  # bytes
    seconds: float

    def json(self) -> object:
        import json

        return json.loads(self.out)


_MEASURED = """\
import os, sys
from conformance.cli._main import main
try:
    status = main(sys.argv[1:])
finally:
    with open("/proc/self/status") as f:
        peak = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["NOETL_EVENTS_TEST_HWM"], "w") as f:
        f.write(peak)
sys.exit(status)
"""
"""The command, telling its own peak memory (``VmHWM``, which starts afresh at ``exec``: the
``ru_maxrss`` of a child also counts what the parent held when it forked)."""


def start_check(
    args: Sequence[str],
    *,
    stdin: int | None = None,
    stdout: int | None = None,
    unprivileged: bool = False,
    memory: int | None = None,
    workdir: Path,
) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """``noetl-events-conformance check ARGS`` as a process of its own; its output goes to
    files in ``workdir`` (unless ``stdout`` is given). ``unprivileged``: without the
    capabilities that let root read any file (so that file permissions apply). ``memory``:
    a limit on its address space, in bytes."""

    def limit() -> None:
        if memory is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    drop = "-dac_override,-dac_read_search"
    prefix = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}"] if unprivileged else []
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOETL_EVENTS_TEST_HWM": str(workdir / "hwm")}
    out_path, err_path = workdir / "out", workdir / "err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-c", _MEASURED, "check", *args],
            start_new_session=True,  # (a process group of its own: Ctrl-C reaches all of it)
            preexec_fn=limit if memory is not None else None,
            stdin=subprocess.DEVNULL if stdin is None else stdin,
            stdout=out if stdout is None else stdout,
            stderr=err,
            env=env,
        )
    return proc, out_path, err_path


def finish(
    proc: subprocess.Popen[bytes], out: Path, err: Path, began: float, timeout: float = 300
) -> Run:
    """Wait for the process (killing it past ``timeout``) and measure its peak memory."""
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - began
    hwm = out.parent / "hwm"
    try:
        peak = int(hwm.read_text()) * 1024
        hwm.unlink()
    except (OSError, ValueError):  # (killed before it could tell)
        peak = usage.ru_maxrss * 1024
    return Run(
        proc.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        peak,
        seconds,
    )


def run_check(
    args: Sequence[str],
    workdir: Path,
    *,
    during: Callable[[subprocess.Popen[bytes]], None] | None = None,
    stdin: int | None = None,
    stdout: int | None = None,
    unprivileged: bool = False,
    memory: int | None = None,
    timeout: float = 300,
) -> Run:
    began = time.monotonic()
    proc, out, err = start_check(
        args,
        stdin=stdin,
        stdout=stdout,
        unprivileged=unprivileged,
        memory=memory,
        workdir=workdir,
    )
    try:
        if during is not None:
            during(proc)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return finish(proc, out, err, began, timeout)


def wait_until(condition: Callable[[], bool], seconds: float = 30.0, step: float = 0.01) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(step)
    raise AssertionError("the condition was not met in time")


def has_open(pid: int, path: Path, times: int = 1) -> bool:
    """Whether process ``pid`` has ``path`` open (at least ``times`` times)."""
    target = str(path.resolve())
    found = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    found += 1
    return found >= times
