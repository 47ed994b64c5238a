"""Declares `decode_events` (sic) beside `canonical_value`."""

from _fake import IMPLEMENTATION, serve

handshake = {
    "ready": True,
    "protocol": 1,
    "implementation": IMPLEMENTATION,
    "ops": ["canonical_value", "decode_events"],
}
raise SystemExit(serve(handshake=handshake))
