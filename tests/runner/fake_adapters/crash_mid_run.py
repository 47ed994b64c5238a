"""Answers N requests correctly (argv[1], default 2), then dies with status 3."""

from _fake import arg, crash, reference, serve

LIMIT = arg(1, 2)


def answer(n: int, request: dict) -> dict:
    if n > LIMIT:
        crash(3, f"panicked at request {n}: index out of bounds")
    return reference(request)


raise SystemExit(serve(answer))
