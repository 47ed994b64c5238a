"""An implementation behind a command that speaks runner protocol v1, as an op function.

A small client (one request at a time) on the runner's own protocol code (the messages of
:mod:`conformance.runner._protocol`, the line reader of
:mod:`conformance.runner._subprocess_driver`), so that the property checks of
:mod:`conformance.generation._properties` run against any implementation without the runner.
"""

from __future__ import annotations

import functools
import shlex
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from noetl_events_ref._ops import Outcome

from ._protocol import (
    START,
    STOP,
    ProtocolError,
    decode_line,
    encode,
    parse_handshake,
    parse_response,
)
from ._subprocess_driver import _Lines

__all__ = ["AdapterOp"]

T = TypeVar("T")


class AdapterOp:
    """An implementation behind a command that speaks runner protocol v1, as an op function.

    ``AdapterOp(["path/to/adapter"])`` (or a command line as one string, split as a shell
    would) starts the command and shakes hands; each call sends one ``run`` request and waits
    for its answer (``timeout`` seconds). ``implementation`` names it (for ``--caught-by``);
    ``ops`` are the operations it declared. An op it does not run raises
    ``NotImplementedError``; a command that cannot start, a crash, a hang or a broken answer
    raises ``RuntimeError``.
    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, command: str | Sequence[str], *, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._seq = 0
        if isinstance(command, str):  # (a string is a sequence too: of one-letter commands)
            command = shlex.split(command)
        if not command:
            raise ValueError("AdapterOp: the command is empty")
        try:
            self._proc = subprocess.Popen(
                list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None
            )
        except OSError as e:
            raise RuntimeError(f"{command[0]}: cannot start: {e.strerror or e}") from None
        assert self._proc.stdout is not None
        self._lines = _Lines(self._proc.stdout.fileno())
        try:
            info, ops = self._exchange(START, "the start response", parse_handshake)
        except RuntimeError as e:
            self.close()
            raise RuntimeError(f"{command[0]}: {e}") from None
        except BaseException:
            self.close()
            raise
        name = "-".join(str(info[k]) for k in ("language", "name", "version") if k in info)
        self.implementation: str = name or str(command[0])
        self.ops: frozenset[str] = ops

    def _exchange(self, message: Mapping[str, Any], what: str, parse: Callable[[Any], T]) -> T:
        """Send ``message`` and ``parse`` the answer line; any failure is a ``RuntimeError``."""
        proc = self._proc
        assert proc.stdin is not None
        try:
            proc.stdin.write(encode(message))
            proc.stdin.flush()
        except OSError as e:
            raise RuntimeError(f"the adapter stopped reading its input: {e}") from None
        deadline = time.monotonic() + self._timeout
        try:
            line = self._lines.next(lambda: deadline)
            if line is None:
                raise RuntimeError(f"the adapter closed its output (status {proc.poll()})")
            return parse(decode_line(line, what))
        except TimeoutError:
            raise RuntimeError(f"the adapter did not answer within {self._timeout} s") from None
        except ProtocolError as e:
            raise RuntimeError(str(e)) from None

    def __call__(self, op: str, text: str, now: str | None = None) -> Outcome:
        if op not in self.ops:
            raise NotImplementedError(f"{self.implementation} does not run {op}")
        self._seq += 1
        seq = self._seq
        request: dict[str, object] = {"cmd": "run", "seq": seq, "op": op, "input": text}
        if now is not None:
            request["now"] = now
        what = f"the answer to seq {seq}"
        answer = self._exchange(request, what, functools.partial(parse_response, seq=seq))
        if answer.skipped is not None:
            raise NotImplementedError(f"{self.implementation} skipped {op}: {answer.skipped}")
        if answer.output is not None:
            return Outcome(True, output=answer.output)
        return Outcome(False, kind=answer.error_kind, message=answer.error_message)

    def close(self) -> None:
        """Send ``stop`` and wait for the adapter to exit (killing it after ``timeout``)."""
        proc = self._proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.write(encode(STOP))
                proc.stdin.close()
                proc.wait(self._timeout)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        self._lines.close()

    def __enter__(self) -> AdapterOp:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
