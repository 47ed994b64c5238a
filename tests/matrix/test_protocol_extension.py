"""The roles extension of runner protocol v1: published in the schemas, optional, checked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.runner._protocol import Handshake, ProtocolError, Validator, parse_roles

NODE = Path(__file__).resolve().parents[2] / "adapters" / "node" / "consumer.js"


def test_a_handshake_without_roles_still_validates_and_implies_them() -> None:
    ready = {
        "ready": True,
        "protocol": 1,
        "implementation": {"name": "old", "language": "c", "version": "1"},
        "ops": ["decode_event"],
    }
    Validator().check(ready, "start-response", "an old adapter's start response")
    assert parse_roles(ready) == (frozenset(), frozenset())
    assert Handshake({}, frozenset({"decode_event"})).effective_roles() == {
        "producer",
        "consumer",
    }
    assert Handshake({}, frozenset({"consume"})).effective_roles() == {"consumer"}
    assert Handshake({}, frozenset({"canonical_value"})).effective_roles() == frozenset()


def test_roles_and_derives_are_checked() -> None:
    validator = Validator()
    base = {
        "ready": True,
        "protocol": 1,
        "implementation": {"name": "x", "language": "py", "version": "1"},
        "ops": ["consume"],
    }
    good = {**base, "roles": ["consumer"], "derives": ["status"]}
    validator.check(good, "start-response", "a consumer's start response")
    assert parse_roles(good) == (frozenset({"consumer"}), frozenset({"status"}))
    bad = {**base, "roles": ["listener"]}
    with pytest.raises(ProtocolError):
        validator.check(bad, "start-response", "a bad start response")
    with pytest.raises(ProtocolError, match="roles"):
        parse_roles(bad)
    request = {"cmd": "run", "seq": 1, "op": "consume", "input": "{}"}
    validator.check(request, "run-request", "a consume request")


def test_the_node_consumer_speaks_the_extension() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("CI: Node.js is not installed (scripts/peers.sh installs it)")
        pytest.skip("Node.js is not installed")
    requests = [
        {"cmd": "start", "protocol": 1},
        {"cmd": "run", "seq": 1, "op": "consume", "input": '{"execution_id":9007199254740993}'},
        {"cmd": "run", "seq": 2, "op": "consume", "input": "[1]"},
        {"cmd": "run", "seq": 3, "op": "consume", "input": "{"},
        {"cmd": "stop"},
    ]
    done = subprocess.run(
        [node, str(NODE)],
        input="".join(json.dumps(r) + "\n" for r in requests),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    ready, first, second, third = (json.loads(line) for line in done.stdout.splitlines())
    validator = Validator()
    validator.check(ready, "start-response", "the node consumer's start response")
    assert ready["roles"] == ["consumer"] and ready["ops"] == ["consume"]
    for answer in (first, second, third):
        validator.check(answer, "run-response", "an answer")
    assert first["output"] == '{"execution_id":9007199254740992}'  # a double, as a browser has it
    assert second["error"]["kind"] == "invalid_type"
    assert third["error"]["kind"] == "syntax"
