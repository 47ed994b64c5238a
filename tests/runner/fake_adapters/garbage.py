"""Writes a line that is not JSON: instead of the handshake (argv[1] == "start"), or after N
answers (argv[1], default 1)."""

import sys

from _fake import arg, reference, send, serve

NOT_JSON = b"thread 'main' panicked: this is not JSON\n"
if sys.argv[1:2] == ["start"]:
    sys.stdin.buffer.readline()
    send(NOT_JSON)
    raise SystemExit(0)
LIMIT = arg(1, 1)


def answer(n: int, request: dict) -> dict | bytes:
    if n > LIMIT:
        return NOT_JSON
    return reference(request)


raise SystemExit(serve(answer))
