"""Right answers, but the second written as Python's json would let pass (argv[1]): `nan` (a
NaN token inside it), `bom` (a byte order mark first), `utf16` (in UTF-16, with its byte
order mark) or `crlf` (ended by \\r\\n)."""

import json
import sys

from _fake import reference, serve

HOW = sys.argv[1]


def answer(n: int, request: dict) -> dict | bytes:
    right = reference(request)
    if n != 2:
        return right
    text = json.dumps(right, ensure_ascii=False).encode()
    if HOW == "nan":
        return text[:-1] + b', "extra": NaN}\n'
    if HOW == "bom":
        return b"\xef\xbb\xbf" + text + b"\n"
    if HOW == "utf16":  # (no byte of it is a newline: the whole answer is one line)
        return ("\ufeff" + text.decode()).encode("utf-16-le").replace(b"\n", b"") + b"\n"
    return text + b"\r\n"


raise SystemExit(serve(answer))
