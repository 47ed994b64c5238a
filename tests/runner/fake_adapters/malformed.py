"""Answers request N (argv[1], default 1) with `ok:true` but no `output`."""

from _fake import arg, reference, serve

AT = arg(1, 1)


def answer(n: int, request: dict) -> dict:
    return {"seq": request["seq"], "ok": True} if n == AT else reference(request)


raise SystemExit(serve(answer))
