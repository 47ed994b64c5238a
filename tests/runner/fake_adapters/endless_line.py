"""After the handshake, writes bytes with no newline, forever: the kit must give up at its line
length cap instead of buffering until the timeout."""

import sys

from _fake import IMPLEMENTATION, OPS, send

sys.stdin.buffer.readline()
send({"ready": True, "protocol": 1, "implementation": IMPLEMENTATION, "ops": list(OPS)})
chunk = b"x" * (1 << 20)
while True:
    sys.stdout.buffer.write(chunk)
