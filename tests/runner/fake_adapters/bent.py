"""Answers request N (argv[2], default 1) with a response that is not valid under protocol v1,
bent the way argv[1] names, and the others correctly; ``unknown-kind`` instead answers every
rejection with a kind the wire contract does not have (``Syntax`` for ``syntax``)."""

import sys

from _fake import arg, reference, serve

SHAPE = sys.argv[1]
AT = arg(2, 1)
ERROR = {"kind": "syntax", "message": "m"}
BENT = {
    "no-seq": lambda r: {k: v for k, v in r.items() if k != "seq"},
    "string-seq": lambda r: {**r, "seq": str(r["seq"])},
    "skip-without-reason": lambda r: {"seq": r["seq"], "skipped": True},
    "skip-with-output": lambda r: {"seq": r["seq"], "skipped": True, "reason": "x", "output": ""},
    "skipped-false": lambda r: {"seq": r["seq"], "skipped": False, "ok": True, "output": "1"},
    "output-and-error": lambda r: {"seq": r["seq"], "ok": True, "output": "1", "error": ERROR},
    "error-and-output": lambda r: {"seq": r["seq"], "ok": False, "output": "1", "error": ERROR},
    "error-without-kind": lambda r: {"seq": r["seq"], "ok": False, "error": {"message": "m"}},
}


def answer(n: int, request: dict) -> dict:
    reply = reference(request)
    if SHAPE == "unknown-kind":
        if not reply["ok"]:
            reply["error"]["kind"] = reply["error"]["kind"].title()
        return reply
    return BENT[SHAPE](reply) if n == AT else reply


raise SystemExit(serve(answer))
