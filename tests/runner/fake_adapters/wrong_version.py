"""Speaks protocol 2: declines (`ready:false`), or with argv[1] == "ready" claims ready for 2."""

import sys

from _fake import IMPLEMENTATION, send

sys.stdin.buffer.readline()
if sys.argv[1:2] == ["ready"]:
    send({"ready": True, "protocol": 2, "implementation": IMPLEMENTATION, "ops": []})
else:
    send({"ready": False, "protocol": 2})
