"""Declares no op at all."""

from _fake import IMPLEMENTATION, serve

handshake = {"ready": True, "protocol": 1, "implementation": IMPLEMENTATION, "ops": []}
raise SystemExit(serve(handshake=handshake))
