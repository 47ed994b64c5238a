"""Answers every rejection with an error kind holding a terminal escape and a line break."""

from _fake import reference, serve


def answer(n: int, request: dict) -> dict:
    right = reference(request)
    if not right["ok"]:
        right["error"] = {"kind": "Bad\x1b[2J\n# forged \x9b31m", "message": "x"}
    return right


raise SystemExit(serve(answer))
