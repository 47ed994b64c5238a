"""Declares only `canonical_value`, and dies if the kit sends it anything else."""

from _fake import IMPLEMENTATION, crash, reference, serve


def answer(n: int, request: dict) -> dict:
    if request["op"] != "canonical_value":
        crash(2, f"was sent undeclared op {request['op']}")
    return reference(request)


handshake = {
    "ready": True,
    "protocol": 1,
    "implementation": IMPLEMENTATION,
    "ops": ["canonical_value"],
}
raise SystemExit(serve(answer, handshake=handshake))
