"""Rejects every event the reference accepts, with a pydantic-style message over many lines
that changes from run to run (it carries the process id)."""

import os

from _fake import reference, serve


def answer(n: int, request: dict) -> dict:
    reply = reference(request)
    if reply.get("ok") and request["op"] == "decode_event":
        message = f"2 validation errors for Event (pid {os.getpid()})\ncontext\n  Field required"
        return {"seq": request["seq"], "ok": False, "error": {"kind": "other", "message": message}}
    return reply


raise SystemExit(serve(answer))
