"""``python -m noetl_events_ref``: the reference as a runner-protocol v1 adapter."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from ._ops import OPS, run_op

__all__ = ["distribution_version", "main", "serve"]

PROTOCOL = 1


def distribution_version() -> str:
    """The installed version of the distribution that ships the reference and the kit."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("noetl-events-conformance")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _implementation() -> dict[str, str]:
    return {"name": "noetl-events-ref", "language": "python", "version": distribution_version()}


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    seq = request.get("seq")
    op = request.get("op")
    if op not in OPS:
        return {"seq": seq, "skipped": True, "reason": f"unknown op {op!r}"}
    outcome = run_op(op, request["input"], request.get("now"))
    if outcome.ok:
        return {"seq": seq, "ok": True, "output": outcome.output}
    return {"seq": seq, "ok": False, "error": {"kind": outcome.kind, "message": outcome.message}}


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """Answer protocol lines from ``stdin`` until ``stop`` or EOF; returns the exit status."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for raw in stdin:
        if not raw.strip():
            continue
        try:
            request = json.loads(raw)
            cmd = request["cmd"]
        except (ValueError, KeyError, TypeError) as e:
            print(f"noetl-events-ref: not a protocol request ({e}): {raw[:200]!r}", file=sys.stderr)
            return 2
        if cmd == "start":
            if request.get("protocol") != PROTOCOL:
                reply: dict[str, Any] = {"ready": False, "protocol": PROTOCOL}
                stdout.write(dumps(reply).encode() + b"\n")
                stdout.flush()
                return 0
            reply = {
                "ready": True,
                "protocol": PROTOCOL,
                "implementation": _implementation(),
                "ops": list(OPS),
            }
        elif cmd == "run":
            try:
                reply = _answer(request)
            except KeyError as e:
                print(f"noetl-events-ref: run request without {e}", file=sys.stderr)
                return 2
        elif cmd == "stop":
            return 0
        else:
            print(f"noetl-events-ref: unknown cmd {cmd!r}", file=sys.stderr)
            return 2
        stdout.write(dumps(reply).encode("utf-8", "surrogatepass") + b"\n")
        stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Serve protocol v1 on stdin/stdout; ``--help`` and ``--version`` answer and exit."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m noetl_events_ref",
        description=(
            "The reference implementation as a runner protocol v1 adapter: it reads one JSON "
            "request per line on stdin and answers one JSON line each on stdout, until `stop` "
            "or the end of its input. The kit starts it for you: "
            "noetl-events-conformance verify --impl 'python -m noetl_events_ref'."
        ),
    )
    parser.add_argument("--version", action="version", version=distribution_version())
    parser.parse_args(argv)
    if sys.stdin.isatty():
        print(
            "noetl-events-ref: reading runner protocol requests from stdin (end with Ctrl-D); "
            "see --help",
            file=sys.stderr,
        )
    return serve(sys.stdin.buffer, sys.stdout.buffer)
