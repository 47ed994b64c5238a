"""Right answers, with megabytes of stderr (before the handshake and on every request): the kit
must drain it, or this adapter blocks on a full pipe and the run deadlocks."""

import sys

from _fake import reference, serve

LINE = b"fake adapter: debug: " + b"x" * 1000 + b"\n"
sys.stderr.buffer.write(LINE * 4096)  # 4 MiB before the handshake
sys.stderr.buffer.flush()


def answer(n: int, request: dict) -> dict:
    sys.stderr.buffer.write(LINE * 256)
    sys.stderr.buffer.write(f"fake adapter: done with request {n}\n".encode())
    sys.stderr.buffer.flush()
    return reference(request)


raise SystemExit(serve(answer))
