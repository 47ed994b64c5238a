"""Subtly wrong: the reference's answers, re-serialized with Python's json module, so a float
is written with Python's repr (``1e-05`` where serde_json writes ``0.00001``)."""

import json

from _fake import reference, serve


def answer(n: int, request: dict) -> dict:
    reply = reference(request)
    if reply.get("ok"):
        value = json.loads(reply["output"])
        reply["output"] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return reply


raise SystemExit(serve(answer))
