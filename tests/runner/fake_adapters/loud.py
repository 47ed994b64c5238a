"""Right answers from an adapter whose name and stderr hold line breaks and terminal escapes:
a report shows them, and obeys none."""

import sys

from _fake import IMPLEMENTATION, OPS, serve

sys.stderr.buffer.write(b"warming up \x1b[31mRED\x1b[0m\x00\n# not a heading\rCR\n")
sys.stderr.buffer.flush()
name = {**IMPLEMENTATION, "name": "fake\n# heading \x1b[2J"}
raise SystemExit(
    serve(handshake={"ready": True, "protocol": 1, "implementation": name, "ops": list(OPS)})
)
