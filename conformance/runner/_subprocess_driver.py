"""The subprocess driver: any command that speaks runner protocol v1 on stdin/stdout.

Three threads share the work so that no pipe can fill up and stall either side: a writer feeds
requests to stdin (a bounded window ahead of the answers), the caller's thread reads stdout with
a deadline, and a drain keeps the tail of stderr. Whatever the adapter does (crash, hang, write
garbage, close stdout, spam stderr) the kit finishes within its timeouts: the adapter runs in
its own process group, which is killed on the way out, and the child is always reaped.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import selectors
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, Final

from conformance.corpus._case import Case

from ._protocol import (
    START,
    STOP,
    AdapterError,
    Answer,
    Handshake,
    ProtocolError,
    Validator,
    decode_line,
    encode,
    parse_handshake,
    parse_response,
    parse_roles,
    run_request,
)

__all__ = ["SubprocessDriver", "finite_seconds"]

MAX_LINE: Final = 64 << 20  # an adapter streaming bytes with no newline must not eat the memory


class _Writer(threading.Thread):
    """Feeds request lines to the adapter's stdin, at most ``window`` of them unanswered.

    A thread of its own, so that a large input never deadlocks against an adapter that is
    blocked writing responses: the main thread keeps reading stdout while this one writes stdin.
    ``sent_at[i]`` is when request ``i`` went into the pipe (taken before the write, so a write
    stuck on a full pipe still starts that request's clock).
    """

    def __init__(self, fd: int, lines: Sequence[bytes], window: int) -> None:
        super().__init__(name="conformance-writer", daemon=True)
        self._fd = fd
        self._lines = lines
        self._slots = threading.Semaphore(window)
        self._halt = threading.Event()
        self.sent_at: list[float] = []

    def run(self) -> None:
        try:
            for line in self._lines:
                while not self._slots.acquire(timeout=0.05):
                    if self._halt.is_set():
                        return
                if self._halt.is_set():
                    return
                self.sent_at.append(time.monotonic())
                _write_all(self._fd, line)
        except OSError:  # the adapter is gone; the reader reports how it went
            return

    def answered(self) -> None:
        self._slots.release()

    def halt(self) -> None:
        self._halt.set()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_within(fd: int, data: bytes, seconds: float) -> bool:
    """Write ``data`` unless the reader leaves the pipe full for ``seconds``: whether it was
    written. (A reader that is gone counts as written: its exit status tells the rest.)"""
    deadline = time.monotonic() + seconds
    view = memoryview(data)
    try:
        os.set_blocking(fd, False)
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_WRITE)
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                if selector.select(remaining):
                    with contextlib.suppress(BlockingIOError):
                        view = view[os.write(fd, view) :]
    except OSError:  # gone (a broken pipe)
        return True
    return True


class _StderrTail(threading.Thread):
    """Drains the adapter's stderr, so it never blocks on a full pipe, keeping only the tail."""

    def __init__(self, fd: int, limit: int = 4096) -> None:
        super().__init__(name="conformance-stderr", daemon=True)
        self._fd = fd
        self._limit = limit
        self._buf = bytearray()

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            self._buf += chunk
            if len(self._buf) > 4 * self._limit:
                del self._buf[: -self._limit]

    def text(self) -> str:
        return bytes(self._buf[-self._limit :]).decode("utf-8", "replace")


class _Lines:
    """Lines from the adapter's stdout, read as bytes and split on ``b"\\n"`` only: outputs may
    hold U+2028, U+2029 or U+0085 raw, which ``str.splitlines`` would wrongly split on.

    ``_scan`` marks how far the pending bytes have been searched for a newline, so a long line
    arriving in many reads is searched once, not once per read.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = bytearray()
        self._pos = 0
        self._scan = 0
        self._selector = selectors.DefaultSelector()
        self._selector.register(fd, selectors.EVENT_READ)
        self.eof = False

    def next(self, deadline: Callable[[], float]) -> bytes | None:
        """The next line (without ``\\n``), ``None`` at end of file; ``TimeoutError`` once
        ``deadline()`` (re-read on every wake-up: it can move) has passed."""
        while True:
            end = self._buf.find(b"\n", self._scan)
            if end >= 0:
                line = bytes(self._buf[self._pos : end])
                self._pos = self._scan = end + 1
                return line
            self._scan = len(self._buf)
            if self.eof:
                return None
            remaining = deadline() - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if self._selector.select(min(remaining, 0.25)):
                self._fill()

    def _fill(self) -> None:
        chunk = os.read(self._fd, 1 << 18)
        if not chunk:
            self.eof = True
        del self._buf[: self._pos]
        self._scan -= self._pos
        self._pos = 0
        self._buf += chunk
        if len(self._buf) > MAX_LINE:
            raise ProtocolError(f"a response line longer than {MAX_LINE >> 20} MiB")

    def pending(self) -> bytes:
        return bytes(self._buf[self._pos :])

    def close(self) -> None:
        self._selector.close()


def finite_seconds(*seconds: float) -> bool:
    """Whether each is a positive, finite number of seconds (``nan`` would reach ``select``
    and fail there, or silently mean no limit; ``inf`` is no limit, and no JSON number)."""
    return all(
        isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf
        for value in seconds
    )


class SubprocessDriver:
    """Any command that speaks protocol v1, run as a child process in its own process group.

    Requests are pipelined by a writer thread while this thread reads the responses, matched
    by ``seq`` and order. ``timeout`` bounds each response, counted from when its request was
    sent or the previous response arrived, whichever is later; ``run_timeout`` bounds the
    whole run. On the way out the process group is killed and the child always reaped.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        timeout: float = 10.0,
        run_timeout: float = 600.0,
        validate: bool = False,
        window: int = 256,
        options: tuple[str, str | None] = ("--timeout", "--run-timeout"),
    ) -> None:
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.argv:
            raise ValueError("empty implementation command")
        if not finite_seconds(timeout, run_timeout):
            # (nan would reach select() and fail there, or silently mean no run timeout)
            raise ValueError("timeout and run_timeout must be positive, finite numbers of seconds")
        self._timeout = timeout
        self._run_timeout = run_timeout
        self._validator = Validator() if validate else None
        self._window = window
        self._options = options  # how the caller's user sets the two timeouts (None: cannot)
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: _Lines | None = None
        self._tail: _StderrTail | None = None
        self._writer: _Writer | None = None
        self._notes: list[str] = []
        self._last = 0.0
        self._run_deadline = 0.0
        # True while the adapter has answered everything asked and broken nothing: then, and
        # only then, close() ends it with the protocol's stop instead of killing it.
        self._settled = False
        self._closing = threading.Lock()

    def launch(self) -> None:
        """Start the child and send the start request, without waiting for its answer: a
        caller with other work to do (pytest collecting) lets the adapter start meanwhile.
        :meth:`start` launches it if this was not called."""
        if self._proc is not None:
            return
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                start_new_session=True,
            )
        except OSError as e:
            raise AdapterError(f"cannot start `{shlex.join(self.argv)}`: {e}") from None
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        self._proc = proc
        self._tail = _StderrTail(proc.stderr.fileno())
        self._tail.start()
        self._lines = _Lines(proc.stdout.fileno())
        self._send(START, "start-request", "the start request")

    def start(self) -> Handshake:
        self.launch()
        # The clocks start now, not at launch: time spent elsewhere since is not the adapter's.
        self._last = time.monotonic()
        self._run_deadline = self._last + self._run_timeout
        line = self._read("the start response", None, 0)
        obj = self._decode(line, "the start response", "start-response")
        implementation, ops = parse_handshake(obj)
        roles, derives = parse_roles(obj)
        self._settled = True
        return Handshake(implementation, ops, roles, derives)

    def answers(self, cases: Sequence[Case]) -> Generator[Answer, None, None]:
        assert self._proc is not None
        assert self._proc.stdin is not None
        lines = []
        for seq, case in enumerate(cases, start=1):
            request = run_request(seq, case)
            self._check(request, "run-request", f"the run request seq {seq}")
            lines.append(encode(request))
        writer = self._writer = _Writer(self._proc.stdin.fileno(), lines, self._window)
        self._settled = not cases
        writer.start()
        try:
            for index, case in enumerate(cases):
                what = f"the response to seq {index + 1} (case {case.id})"
                try:
                    obj = self._decode(self._read(what, writer, index), what, "run-response")
                    answer = parse_response(obj, index + 1, case.id)
                except Exception:
                    self._settled = False
                    raise
                writer.answered()
                # Settled before the last answer is handed over: a caller that takes exactly
                # one answer per case never resumes this generator after it.
                self._settled = index == len(cases) - 1
                yield answer
        finally:
            writer.halt()

    def close(self) -> None:
        """Stop the adapter politely after a complete run, else kill it; always reap it.
        Safe to call again, and from another thread than the one reading answers."""
        with self._closing:
            self._close()

    def _close(self) -> None:
        proc = self._proc
        if proc is None:
            return
        try:
            if self._settled and proc.poll() is None:
                self._stop(proc)
        finally:
            self._proc = None
            _kill_group(proc)
            proc.wait()
            if self._lines is not None:
                self._lines.close()
            for thread, pipe in (
                (self._writer, proc.stdin),
                (None, proc.stdout),
                (self._tail, proc.stderr),
            ):
                if thread is not None:
                    thread.join(timeout=1.0)
                # A thread still blocked on its pipe (held open by a process that left the
                # group) would later use a closed, maybe reused, fd number: leak it instead.
                if pipe is not None and (thread is None or not thread.is_alive()):
                    pipe.close()

    def stderr_tail(self) -> str:
        return self._tail.text() if self._tail is not None else ""

    def notes(self) -> list[str]:
        return list(self._notes)

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        grace = min(self._timeout, 5.0)
        if self._writer is not None:
            self._writer.join(timeout=1.0)
            if self._writer.is_alive():  # still writing requests the adapter does not read
                self._notes.append(
                    "the implementation answered without reading all its requests (its "
                    "standard input stayed full), so it was not sent stop: it was killed"
                )
                return
        assert proc.stdin is not None
        self._check(STOP, "stop", "the stop request")
        if not _write_within(proc.stdin.fileno(), encode(STOP), grace):
            self._notes.append(
                f"the implementation did not read the stop request within {grace:g} s "
                "(its standard input stayed full): it was killed"
            )
            return
        try:
            status = proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._notes.append(f"the implementation did not exit within {grace:g} s of stop")
            return
        if status != 0:
            self._notes.append(f"after stop, the implementation {_describe(status)} (expected 0)")

    def _send(self, message: Mapping[str, Any], schema: str, what: str) -> None:
        assert self._proc is not None
        assert self._proc.stdin is not None
        self._check(message, schema, what)
        with contextlib.suppress(OSError):  # it has exited: reading its stdout tells how
            _write_all(self._proc.stdin.fileno(), encode(message))

    def _check(self, message: Any, schema: str, what: str) -> None:
        if self._validator is not None:
            self._validator.check(message, schema, what)

    def _decode(self, line: bytes, what: str, schema: str) -> Any:
        obj = decode_line(line, what, strict=self._validator is not None)
        self._check(obj, schema, what)
        return obj

    def _deadline(self, writer: _Writer | None, index: int) -> float:
        sent = writer.sent_at[index] if writer and index < len(writer.sent_at) else 0.0
        return min(max(self._last, sent) + self._timeout, self._run_deadline)

    def _read(self, what: str, writer: _Writer | None, index: int) -> bytes:
        assert self._lines is not None
        try:
            line = self._lines.next(functools.partial(self._deadline, writer, index))
        except TimeoutError:
            if time.monotonic() >= self._run_deadline:
                named = f" ({self._options[1]})" if self._options[1] else ""
                raise AdapterError(
                    f"the whole run took longer than {self._run_timeout:g} s{named} "
                    f"while waiting for {what}; the implementation was killed"
                ) from None
            raise AdapterError(
                f"timed out after {self._timeout:g} s ({self._options[0]}) waiting for {what}: "
                "the implementation hung and was killed"
            ) from None
        if line is None:
            partial = self._lines.pending()
            cut = f" in the middle of a line {partial[:200]!r}" if partial else ""
            raise AdapterError(f"stdout closed{cut} before {what}: {self._exit_state()}")
        self._last = time.monotonic()
        return line

    def _exit_state(self) -> str:
        assert self._proc is not None
        try:
            status = self._proc.wait(timeout=min(self._timeout, 1.0))
        except subprocess.TimeoutExpired:
            return "the implementation is still running (it closed stdout early)"
        return f"the implementation {_describe(status)}"


def _describe(status: int) -> str:
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}"
    return f"exited with status {status}"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the adapter and anything it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups of this kind
            proc.kill()
