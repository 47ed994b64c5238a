"""What noetl-server answers to a request body: its handlers take the body through axum's
``Json`` extractor, which reads it with serde_path_to_error around serde_json.

An accepted body answers 200, here with the request as the server re-encodes it. A rejected one
answers 400 (``Failed to parse the request body as JSON``: a syntax error, an early end, a
nesting too deep, a bad string or number) or 422 (``Failed to deserialize the JSON body into the
target type``: a missing, repeated or mistyped field, a bad timestamp, a short array), then
``: ``, then the path of the value where serde_json failed (``events[0].step``; the key the
input used, aliases included; ``?`` for an object entry whose key could not be read; no path at
all for an error of the whole body), then ``: `` and serde_json's own message.
"""

from __future__ import annotations

from typing import Any, Final

from ._codec import decode_struct_raw
from ._json import SerdeError, StructSpec, encode_str

__all__ = ["post_answer"]

_DATA_KINDS: Final = frozenset(
    {
        "missing_field",
        "duplicate_field",
        "invalid_type",
        "invalid_value",
        "invalid_length",
        "invalid_timestamp",
    }
)
_DATA_HEAD: Final = "Failed to deserialize the JSON body into the target type"
_SYNTAX_HEAD: Final = "Failed to parse the request body as JSON"


def post_answer(spec: StructSpec, cls: Any, text: str | bytes) -> str:
    """The compact JSON object ``{"status":N,"body":TEXT}`` the server's extractor answers."""
    try:
        record = decode_struct_raw(spec, cls, text)
    except SerdeError as e:
        status, head = (422, _DATA_HEAD) if e.kind in _DATA_KINDS else (400, _SYNTAX_HEAD)
        where = "" if e.trace is None else f"{e.trace}: "
        body = f"{head}: {where}{e.message}"
    else:
        status, body = 200, record._encode()
    return f'{{"status":{status},"body":{encode_str(body)}}}'
