"""An implementation behind a command that speaks runner protocol v1, as an op function.

A minimal, self-contained client (one request at a time), so that the property checks of
:mod:`conformance._properties` run against any implementation without the runner.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from noetl_events_ref._ops import Outcome

__all__ = ["AdapterOp"]


class AdapterOp:
    """An implementation behind a command that speaks runner protocol v1, as an op function.

    ``AdapterOp(["path/to/adapter"])`` starts the command and shakes hands; each call sends one
    ``run`` request and waits for its answer (``timeout`` seconds). ``implementation`` names it
    (for ``--caught-by``); ``ops`` are the operations it declared. An op it does not run raises
    ``NotImplementedError``; a crash, a hang or a broken answer raises ``RuntimeError``.
    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, command: Sequence[str], *, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._seq = 0
        self._buffer = b""
        self._proc = subprocess.Popen(
            list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None
        )
        self._selector = selectors.DefaultSelector()
        assert self._proc.stdout is not None
        self._selector.register(self._proc.stdout, selectors.EVENT_READ)
        try:
            hello = self._exchange({"cmd": "start", "protocol": 1})
            if hello.get("ready") is not True:
                raise RuntimeError(f"{command[0]} declined protocol 1: {hello}")
        except BaseException:
            self.close()
            raise
        info = hello.get("implementation")
        info = info if isinstance(info, dict) else {}
        name = "-".join(str(info[k]) for k in ("language", "name", "version") if k in info)
        self.implementation: str = name or str(command[0])
        self.ops: frozenset[str] = frozenset(str(op) for op in hello.get("ops") or ())

    def _exchange(self, message: dict[str, object]) -> dict[str, Any]:
        proc = self._proc
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise RuntimeError(f"the adapter stopped reading its input: {e}") from None
        deadline = time.monotonic() + self._timeout
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise RuntimeError(f"the adapter did not answer within {self._timeout} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise RuntimeError(f"the adapter closed its output (status {proc.poll()})")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            answer = json.loads(line)
        except ValueError:
            raise RuntimeError(
                f"the adapter wrote a line that is not JSON: {line[:200]!r}"
            ) from None
        if not isinstance(answer, dict):
            raise RuntimeError(f"the adapter wrote {answer!r}, not an object")
        return answer

    def __call__(self, op: str, text: str, now: str | None = None) -> Outcome:
        if op not in self.ops:
            raise NotImplementedError(f"{self.implementation} does not run {op}")
        self._seq += 1
        request: dict[str, object] = {"cmd": "run", "seq": self._seq, "op": op, "input": text}
        if now is not None:
            request["now"] = now
        answer = self._exchange(request)
        if answer.get("seq") != self._seq:
            raise RuntimeError(f"answer out of order: expected seq {self._seq}, got {answer}")
        if answer.get("skipped"):
            raise NotImplementedError(f"{self.implementation} skipped {op}: {answer.get('reason')}")
        if answer.get("ok") is True and isinstance(answer.get("output"), str):
            return Outcome(True, output=str(answer["output"]))
        error = answer.get("error")
        if answer.get("ok") is False and isinstance(error, dict):
            return Outcome(False, kind=str(error.get("kind")), message=str(error.get("message")))
        raise RuntimeError(f"not a protocol v1 answer: {answer}")

    def close(self) -> None:
        """Send ``stop`` and wait for the adapter to exit (killing it after ``timeout``)."""
        proc = self._proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.write(b'{"cmd":"stop"}\n')
                proc.stdin.close()
                proc.wait(self._timeout)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        self._selector.close()

    def __enter__(self) -> AdapterOp:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
