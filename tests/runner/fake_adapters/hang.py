"""Stops answering, alive: before the handshake (argv[1] == "start") or after N answers.

It first starts a grandchild that sleeps too, and prints both pids to stderr, so a test can
check the kit killed the whole process group and left nothing behind.
"""

import os
import subprocess
import sys

from _fake import arg, hang, reference, serve

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
print(f"fake adapter: pids {os.getpid()} {child.pid}", file=sys.stderr, flush=True)
if sys.argv[1:2] == ["start"]:
    sys.stdin.buffer.readline()
    hang()
LIMIT = arg(1, 0)


def answer(n: int, request: dict) -> dict:
    if n > LIMIT:
        hang()
    return reference(request)


raise SystemExit(serve(answer))
