"""Runner protocol v1 messages: building the kit's requests, reading the adapter's responses.

Every response is checked by hand on the way in (cheap, always on), so a malformed one ends the
run as ``errored`` instead of reaching a verdict. ``--validate-protocol`` adds the published JSON
Schemas (``schemas/protocol/*.json``) on both directions: stricter (no unknown keys, known error
kinds only), slower, and meant for people writing an adapter.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

from conformance.core._text import no_json_constant
from conformance.corpus._case import OPS, Case

__all__ = [
    "PROTOCOL",
    "SCHEMA_NAMES",
    "AdapterError",
    "Answer",
    "Handshake",
    "ProtocolError",
    "Validator",
    "decode_line",
    "encode",
    "parse_handshake",
    "parse_response",
    "parse_roles",
    "protocol_bundle",
    "protocol_schema",
    "run_request",
]

PROTOCOL: Final = 1
SCHEMA_NAMES: Final = ("start-request", "start-response", "run-request", "run-response", "stop")
# The compatible extension: roles an implementation may declare at handshake, and the op with
# which a consumer answers what it kept of an envelope, in canonical field names.
ROLES: Final = ("producer", "consumer")
CONSUME: Final = "consume"
START: Final = {"cmd": "start", "protocol": PROTOCOL}
STOP: Final = {"cmd": "stop"}
_BUNDLE_ID: Final = "urn:noetl-events-conformance:protocol:1"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class AdapterError(Exception):
    """The implementation crashed, hung or broke the protocol: its cases are ``errored``."""


@dataclasses.dataclass(frozen=True, slots=True)
class Handshake:
    """What the implementation said about itself: who it is and which ops it runs."""

    implementation: Mapping[str, Any]
    ops: frozenset[str]
    roles: frozenset[str] = frozenset()  # empty: declared none (an older adapter)
    derives: frozenset[str] = frozenset()  # canonical fields a consumer re-derives or defaults

    def effective_roles(self) -> frozenset[str]:
        """The declared roles, or those the ops imply: ``decode_event`` makes a producer and a
        consumer (its output is what it kept), ``consume`` a consumer."""
        if self.roles:
            return self.roles
        implied = set()
        if "decode_event" in self.ops:
            implied |= {"producer", "consumer"}
        if CONSUME in self.ops:
            implied.add("consumer")
        return frozenset(implied)


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """One answer: an output text, an error (kind and message), or a skip (its reason).
    ``raised`` is for an in-process callable that raised: the formatted traceback."""

    output: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    skipped: str | None = None
    raised: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.skipped is not None:
            return {"skipped": {"reason": self.skipped}}
        if self.output is not None:
            return {"output": self.output}
        return {"error": {"kind": self.error_kind, "message": self.error_message}}


class ProtocolError(AdapterError):
    """A message that breaks protocol v1; the text names the message and what is wrong."""


def encode(message: Mapping[str, Any]) -> bytes:
    """One protocol line: compact JSON, raw UTF-8, ending in ``\\n``."""
    return _dumps(message).encode("utf-8") + b"\n"


def run_request(seq: int, case: Case) -> dict[str, Any]:
    request: dict[str, Any] = {"cmd": "run", "seq": seq, "op": case.op, "input": case.input}
    if case.now is not None:
        request["now"] = case.now
    return request


def _excerpt(line: bytes, limit: int = 300) -> str:
    text = repr(line[:limit])
    return text + ("..." if len(line) > limit else "")


def decode_line(line: bytes, what: str, *, strict: bool = False) -> Any:
    """A response line as JSON: its bytes as UTF-8 (U+2028 and friends inside strings stay
    put).
    ``NaN`` and ``Infinity`` (which Python's json reads) and a byte order mark are not JSON
    text; ``strict`` (``--validate-protocol``) also refuses a line ended by ``\\r\\n``."""
    if line.startswith(b"\xef\xbb\xbf"):
        raise ProtocolError(f"{what} starts with a byte order mark: {_excerpt(line)}")
    if strict and line.endswith(b"\r"):
        raise ProtocolError(
            f"--validate-protocol: {what} ends with \\r\\n, not \\n: {_excerpt(line)}"
        )
    try:  # (as UTF-8: json.loads would take bytes in UTF-16 or UTF-32 too)
        return json.loads(line.decode("utf-8"), parse_constant=no_json_constant)
    except ValueError as e:  # (UnicodeDecodeError included)
        raise ProtocolError(f"{what} is not JSON ({e}): {_excerpt(line)}") from None


def parse_handshake(obj: Any) -> tuple[dict[str, Any], frozenset[str]]:
    """``(implementation, ops)`` from a start response; a refusal or a bad shape raises."""
    if not isinstance(obj, dict) or not isinstance(obj.get("ready"), bool):
        raise ProtocolError(f"start response needs a boolean `ready`, got {_short(obj)}")
    if not obj["ready"]:
        theirs = obj.get("protocol")
        raise ProtocolError(
            f"the implementation declined protocol {PROTOCOL} (it speaks protocol {theirs!r})"
        )
    if obj.get("protocol") != PROTOCOL:
        raise ProtocolError(
            f"the implementation answered ready for protocol {obj.get('protocol')!r}; "
            f"the kit speaks protocol {PROTOCOL}"
        )
    implementation = obj.get("implementation")
    ops = obj.get("ops")
    if not isinstance(implementation, dict):
        raise ProtocolError(f"start response needs an `implementation` object: {_short(obj)}")
    if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
        raise ProtocolError(f"start response needs `ops`, a list of strings: {_short(obj)}")
    unknown = sorted(set(ops) - {*OPS, CONSUME})
    if unknown:  # a misspelt op would otherwise skip all its cases and look like success
        raise ProtocolError(
            f"start response declares unknown ops {', '.join(map(repr, unknown))}; "
            f"the ops of protocol {PROTOCOL} are {', '.join((*OPS, CONSUME))}"
        )
    return implementation, frozenset(ops)


def parse_roles(obj: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """``(roles, derives)`` from a ready start response; both optional (empty when absent)."""
    roles = obj.get("roles", [])
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise ProtocolError(
            f"start response `roles` must be a list of {' and '.join(ROLES)}: {_short(obj)}"
        )
    derives = obj.get("derives", [])
    if not isinstance(derives, list) or not all(isinstance(d, str) for d in derives):
        raise ProtocolError(f"start response `derives` must be a list of strings: {_short(obj)}")
    return frozenset(roles), frozenset(derives)


def parse_response(obj: Any, seq: int, case: str | None = None) -> Answer:
    """The answer in a run response, which must carry ``seq`` and be exactly one of the three
    shapes: keys of another shape mixed in (``error`` beside ``ok:true``, ``ok`` beside
    ``skipped``, ...) break the protocol. Keys the protocol does not name are ignored here,
    and an error kind outside the wire contract's is passed on (``judge`` grades it as a
    failure): ``--validate-protocol`` refuses both (docs/protocol.md, What the kit checks).
    ``case``: the id of the case asked for, which the errors name."""
    asked = f"seq {seq}" + (f" (case {case})" if case is not None else "")
    if not isinstance(obj, dict):
        raise ProtocolError(f"response to {asked} is not a JSON object: {_short(obj)}")
    got = obj.get("seq")
    if got != seq or not isinstance(got, int) or isinstance(got, bool):
        shown = f"seq {_short(got)}" if "seq" in obj else "a response without `seq`"
        raise ProtocolError(f"responses out of order: expected {asked}, got {shown}")
    if "skipped" in obj:
        if (
            obj["skipped"] is True
            and isinstance(obj.get("reason"), str)
            and "ok" not in obj
            and "output" not in obj
            and "error" not in obj
        ):
            return Answer(skipped=obj["reason"])
    elif obj.get("ok") is True:
        if isinstance(obj.get("output"), str) and "error" not in obj and "reason" not in obj:
            return Answer(output=obj["output"])
    elif obj.get("ok") is False:
        error = obj.get("error")
        if (
            isinstance(error, dict)
            and isinstance(error.get("kind"), str)
            and isinstance(error.get("message"), str)
            and "output" not in obj
            and "reason" not in obj
        ):
            return Answer(error_kind=error["kind"], error_message=error["message"])
    raise ProtocolError(
        f"malformed response to {asked}: expected ok:true with a string `output`, ok:false "
        f"with `error` {{kind, message}}, or skipped:true with a string `reason`, and no key "
        f"of another of these shapes; got {_short(obj)}"
    )


def _short(obj: Any, limit: int = 300) -> str:
    text = json.dumps(obj, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


@cache
def protocol_schema(name: str) -> dict[str, Any]:
    """One message's schema (``schemas/protocol/<name>.schema.json``), draft 2020-12."""
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    path = resources.files("conformance") / "schemas" / "protocol" / f"{name}.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def protocol_bundle() -> dict[str, Any]:
    """Every message schema in one compound document (what ``--schema protocol`` prints):
    each is embedded under ``$defs`` with its own ``$id``, and the root accepts any of them."""
    defs = {name: protocol_schema(name) for name in SCHEMA_NAMES}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _BUNDLE_ID,
        "title": "noetl-events conformance runner protocol, version 1",
        "description": "Any one message of the protocol; see $defs for each message.",
        "anyOf": [{"$ref": schema["$id"]} for schema in defs.values()],
        "$defs": defs,
    }


class Validator:
    """Checks whole messages against the protocol schemas (``--validate-protocol``)."""

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator

        self._validators = {
            name: Draft202012Validator(protocol_schema(name)) for name in SCHEMA_NAMES
        }

    def check(self, message: Any, schema: str, what: str) -> None:
        from jsonschema.exceptions import best_match

        error = best_match(self._validators[schema].iter_errors(message))
        if error is None:
            return
        raise ProtocolError(
            f"--validate-protocol: {what} does not match {schema}.schema.json: "
            f"{error.message} at {error.json_path}; message: {_short(message)}"
        )
