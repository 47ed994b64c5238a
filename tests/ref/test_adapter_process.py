"""``python -m noetl_events_ref`` speaks runner protocol v1."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(lines: list[dict[str, object]]) -> tuple[list[dict[str, object]], int]:
    proc = subprocess.run(
        [sys.executable, "-m", "noetl_events_ref"],
        input="".join(json.dumps(x) + "\n" for x in lines).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    out = [json.loads(line) for line in proc.stdout.split(b"\n") if line.strip()]
    return out, proc.returncode


def test_handshake_pipelined_work_and_stop() -> None:
    out, status = _run(
        [
            {"cmd": "start", "protocol": 1},
            {"cmd": "run", "seq": 1, "op": "canonical_value", "input": '{"b":1,"a":"\u2028"}'},
            {"cmd": "run", "seq": 2, "op": "decode_event", "input": "{}"},
            {"cmd": "run", "seq": 3, "op": "encode_check", "input": "{}"},
            {"cmd": "stop"},
        ]
    )
    assert status == 0
    hello = out[0]
    assert hello["ready"] is True and hello["protocol"] == 1
    assert hello["ops"] == [
        "decode_event",
        "decode_request",
        "event_to_request",
        "request_to_event",
        "canonical_value",
        "decode_batch",
        "sanitize_value",
        "post_events",
        "post_batch",
    ]
    assert out[1] == {"seq": 1, "ok": True, "output": '{"a":"\u2028","b":1}'}
    assert out[2] == {
        "seq": 2,
        "ok": False,
        "error": {
            "kind": "missing_field",
            "message": "missing field `execution_id` at line 1 column 2",
        },
    }
    assert out[3]["skipped"] is True and out[3]["seq"] == 3


def test_wrong_protocol_version_is_refused() -> None:
    out, status = _run([{"cmd": "start", "protocol": 2}])
    assert out == [{"ready": False, "protocol": 1}]
    assert status == 0


def test_garbage_is_a_protocol_break() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "noetl_events_ref"],
        input=b"not json\n",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert b"not a protocol request" in proc.stderr
