"""Answers N requests (argv[1], default 1), then closes stdout and stays alive."""

import os

from _fake import arg, hang, reference, serve

LIMIT = arg(1, 1)


def answer(n: int, request: dict) -> dict:
    if n > LIMIT:
        os.close(1)
        hang()
    return reference(request)


raise SystemExit(serve(answer))
