"""Answers request N (argv[1], default 2) with the wrong seq."""

from _fake import arg, reference, serve

AT = arg(1, 2)


def answer(n: int, request: dict) -> dict:
    reply = reference(request)
    if n == AT:
        reply["seq"] += 7
    return reply


raise SystemExit(serve(answer))
