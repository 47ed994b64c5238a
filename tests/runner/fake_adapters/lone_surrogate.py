"""Answers every accepted case with a lone surrogate and a line break in the output, and
every rejected one with them in the error kind and message."""

import json

from _fake import reference, serve


def answer(n: int, request: dict) -> bytes:
    reply = reference(request)
    if reply.get("ok"):
        reply["output"] = "\udc80\nline two \ud800"
    else:
        reply["error"] = {"kind": "bad\udc80", "message": "m\ud800\n"}
    return json.dumps(reply).encode() + b"\n"  # ensure_ascii: the surrogates as \u escapes


raise SystemExit(serve(answer))
