"""``matrix`` end to end on in-process implementations and fake adapters."""

from __future__ import annotations

import gzip
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.cli._main import main
from conformance.corpus._case import default_corpus_dir, load_corpus
from conformance.matrix._report import matrix_schema
from tests._rust_adapter import rust_adapter_path

HERE = Path(__file__).parent
SERVER = "server=python-model:tests.matrix.models:ServerRequest"
FAKE = f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'fakes.py'))}"


def _matrix(capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, Any, str]:
    status = main(["matrix", *options, "--format", "json"])
    out, err = capsys.readouterr()
    report = json.loads(out) if out else None
    if report is not None:
        jsonschema.validate(report, matrix_schema())
    return status, report, err


def _cell(report: dict[str, Any], producer: str, consumer: str) -> dict[str, Any]:
    (cell,) = [
        c for c in report["cells"] if c["producer"] == producer and c["consumer"] == consumer
    ]
    return cell


def _emitted() -> list[str]:
    return [
        c.output
        for c in load_corpus(default_corpus_dir())
        if c.op == "decode_event" and c.output is not None
    ]


def test_reference_into_a_server_model(capsys: pytest.CaptureFixture[str]) -> None:
    status, report, _ = _matrix(capsys, "--impl", "ref=reference", "--impl", SERVER)
    assert status == 1  # the default policy requires every pair and every field
    assert report["status"] == "failed"
    emitted = _emitted()
    not_objects = [
        t
        for t in emitted
        if not isinstance(json.loads(t)["context"], dict)
        or not isinstance(json.loads(t).get("meta", {}), dict)
    ]
    cell = _cell(report, "ref", "server")
    assert cell["hops"] == len(emitted)
    assert cell["rejected"] == len(not_objects)
    assert cell["accepted"] == len(emitted) - len(not_objects)
    assert cell["fields"]["status"]["dropped"] == cell["accepted"]
    assert cell["fields"]["created_at"]["dropped"] == cell["accepted"]
    assert cell["fields"]["execution_id"]["kinds"] == {"number-to-string": cell["accepted"]}
    with_event_id = [t for t in emitted if t not in not_objects and '"event_id":' in t]
    assert cell["fields"]["event_id"]["dropped"] == len(with_event_id)
    assert _cell(report, "ref", "ref")["verdict"] == "lossless"
    losses = {(x["loss"], x.get("field")) for x in cell["examples"]}
    assert {("rejected", None), ("dropped", "status"), ("changed", "execution_id")} <= losses


def test_a_policy_decides_the_exit_status(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("required: ['* -> ref']\n")
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--impl", SERVER, "--policy", str(policy)
    )
    assert status == 0
    assert report["status"] == "passed"
    assert _cell(report, "ref", "server")["verdict"] == "lossy"
    policy.write_text("keep: [event_type, step]\nrejection_is_loss: false\n")
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--impl", SERVER, "--policy", str(policy)
    )
    assert status == 0, [c for c in report["cells"] if c["verdict"] == "fails"]


def test_roles_consume_and_derives_from_the_handshake(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--impl", f"new={FAKE}", "--impl", f"old={FAKE} --old"
    )
    by_name = {p["name"]: p for p in report["implementations"]}
    assert by_name["new"]["roles"] == ["consumer"] and by_name["new"]["declared_roles"]
    assert by_name["new"]["consumes_with"] == "consume"
    assert by_name["old"]["roles"] == ["consumer", "producer"]
    assert not by_name["old"]["declared_roles"]
    new = _cell(report, "ref", "new")["fields"]
    old = _cell(report, "ref", "old")["fields"]
    assert new["status"]["derived"] > 0 and new["status"]["kinds"].get("re-derived")
    assert old["status"]["changed"] > 0 and "derived" not in old["status"]["kinds"]
    assert new["created_at"]["dropped"] == _cell(report, "ref", "new")["accepted"]
    assert {c["producer"] for c in report["cells"]} == {"ref", "old"}
    assert status == 1


def test_a_trail_is_a_producer_named_after_its_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trail = tmp_path / "cli-run.jsonl"
    lines = [
        '{"execution_id":1,"event_type":"playbook.started","step":"ingress","status":"ACTIVE",'
        '"created_at":"2026-01-01T00:00:00.123456789Z","context":{},"worker_id":"cli-local",'
        '"meta":{"emitter":"cli"}}',
        '{"execution_id":2,"event_type":"x","step":"s","status":"S","created_at":"bad",'
        '"context":{}}',
    ]
    trail.write_text("\n".join(lines) + "\n\n")
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--trail", str(trail), "--impl", SERVER
    )
    assert report["trails"] == [{"name": "cli-run", "path": str(trail), "lines": 3, "emissions": 2}]
    cell = _cell(report, "cli-run", "ref")
    assert (cell["hops"], cell["accepted"], cell["rejected"]) == (2, 1, 1)
    assert cell["examples"][0]["at"] == f"{trail}:2"
    server = _cell(report, "cli-run", "server")
    assert server["accepted"] == 2  # it never reads created_at
    assert status == 1


def test_the_differential_compares_two_versions(capsys: pytest.CaptureFixture[str]) -> None:
    status, report, _ = _matrix(
        capsys,
        "--impl",
        "old=reference",
        "--impl",
        "new=python:tests.matrix.fakes:lower_status",
        "--count",
        "40",
        "--seed",
        "3",
    )
    changed = [
        c
        for c in load_corpus(default_corpus_dir())
        if c.op == "decode_event"
        and c.output
        and json.loads(c.output)["status"] != json.loads(c.output)["status"].lower()
    ]
    (producers,) = [d for d in report["differential"] if d["role"] == "producer"]
    assert producers["compared"] == report["counts"]["cases"]
    assert producers["disagreements"] >= len(changed) > 0
    assert (
        report["counts"]["cases"]
        == len([c for c in load_corpus(default_corpus_dir()) if c.op == "decode_event"]) + 40
    )
    # as a consumer it lower-cases too: a changed value, and nothing else
    assert set(_cell(report, "old", "new")["fields"]) == {"status"}
    assert set(_cell(report, "old", "new")["fields"]["status"]["kinds"]) == {"value"}
    assert _cell(report, "old", "old")["verdict"] == "lossless"
    assert status == 1


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--impl", "reference"], "expected NAME=SPEC"),
        (["--impl", "a=reference", "--impl", "a=reference"], "given twice"),
        (["--impl", "input=reference"], "the name 'input' is the report's own"),
        (["--impl", "a=./no/such/adapter"], "a='./no/such/adapter': no such file"),
        (["--impl", "a=reference", "--trail", "/no/such.jsonl"], "--trail /no/such.jsonl"),
        (["--impl", "a=reference", "--count", "5"], "needs N >= 0 and a --seed"),
        ([], "at least one --impl"),
        (["--impl", "a=reference", "--timeout", "nan"], "--timeout must be a positive, finite"),
        (["--impl", "a=reference", "--run-timeout", "inf"], "--run-timeout must be a positive"),
        (["--impl", "a=reference", "--via", "a=post_events"], "nothing produces: every --impl"),
        (
            [
                "--impl",
                SERVER.replace("server=", "m="),
            ],
            "nothing produces: every --impl",
        ),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], options: list[str], says: str) -> None:
    status = main(["matrix", *options])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert says in err and "Traceback" not in err


def test_a_bad_policy_names_file_and_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("keep: [status, colour]\n")
    status = main(["matrix", "--impl", "a=reference", "--policy", str(policy)])
    _, err = capsys.readouterr()
    assert status == 2
    assert f"{policy}: $.keep[1]: expected a canonical field" in err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            b"required: ['* -> *']\nrejection_is_loss: true\nrejection_is_loss: false\n",
            "line 3 not YAML: the key 'rejection_is_loss' is given twice",
        ),
        (b"required: ['\xff -> *']\n", "not UTF-8 text (byte 13: invalid start byte)"),
    ],
)
def test_a_policy_key_given_twice_or_bytes_not_utf8_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: bytes, says: str
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_bytes(text)
    status = main(["matrix", "--impl", "a=reference", "--policy", str(policy)])
    assert status == 2
    assert capsys.readouterr().err == (
        f"noetl-events-conformance: error: --policy {policy}: {says}\n"
    )


def test_schema_and_text_reports(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", "--schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$id"] == "urn:noetl-events-conformance:matrix:1"
    assert (
        main(["matrix", "--impl", "ref=reference", "--impl", SERVER, "--format", "markdown"]) == 1
    )
    out = capsys.readouterr().out
    assert "| ref | server | fails (required) |" in out
    assert "status: dropped" in out


def test_an_implementation_that_crashes_is_errored(capsys: pytest.CaptureFixture[str]) -> None:
    crash = HERE.parent / "runner" / "fake_adapters" / "crash_mid_run.py"
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(crash))} 5"
    status, report, _ = _matrix(capsys, "--impl", "ref=reference", "--impl", f"bad={command}")
    assert status == 3
    assert report["status"] == "errored"
    (bad,) = [p for p in report["implementations"] if p["name"] == "bad"]
    assert "panicked at request 6" in bad["error"]
    assert {c["producer"] for c in report["cells"]} == {"ref"}  # the rest still ran
    assert {c["consumer"] for c in report["cells"]} == {"ref"}


RUST = rust_adapter_path()


@pytest.mark.rust
def test_via_reads_a_consumer_through_the_servers_request_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not RUST.is_file():
        message = f"the Rust adapter is not built ({RUST})"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    status, report, _ = _matrix(
        capsys,
        "--impl", "ref=reference",
        "--impl", f"srv={shlex.quote(str(RUST))}",
        "--via", "srv=decode_request",
    )  # fmt: skip
    (srv,) = [p for p in report["implementations"] if p["name"] == "srv"]
    assert (srv["roles"], srv["consumes_with"]) == (["consumer"], "decode_request")
    cell = _cell(report, "ref", "srv")
    emitted = _emitted()
    assert (cell["hops"], cell["rejected"]) == (len(emitted), 0)
    # the server's request keeps status and created_at; its ids are strings
    assert set(cell["fields"]) == {"execution_id", "event_id"}
    assert cell["fields"]["execution_id"]["kinds"] == {"number-to-string": len(emitted)}
    with_event_id = sum('"event_id":' in t for t in emitted)
    assert cell["fields"]["event_id"]["kinds"] == {"number-to-string": with_event_id}
    assert status == 1


@pytest.mark.parametrize(
    ("via", "says"),
    [("nobody=decode_request", "NAME given to --impl"), ("a=canonical_value", "OP is one of")],
)
def test_via_usage_errors(capsys: pytest.CaptureFixture[str], via: str, says: str) -> None:
    assert main(["matrix", "--impl", "a=reference", "--via", via]) == 2
    assert says in capsys.readouterr().err


def test_via_an_op_a_model_cannot_run_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A python-model: runs decode_event and consume only, which is known before the run:
    --via NAME=decode_request was exit 3, after the whole run."""
    status = main(
        ["matrix", "--impl", "a=reference", "--impl", SERVER, "--via", "server=decode_request"]
    )
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert (
        "--via 'server=decode_request': a python-model: implementation runs only consume and decode_event"
        in err
    )


def test_via_an_op_the_implementation_lacks_is_errored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report, _ = _matrix(
        capsys, "--impl", "a=reference", "--impl", "b=reference", "--via", "b=consume"
    )  # the reference runs every corpus op, but it is no consumer: it declares no `consume`
    assert status == 3
    (b,) = [p for p in report["implementations"] if p["name"] == "b"]
    assert "the op is not declared" in b["error"]


FAKES = "python:tests.matrix.fakes"
BOOM = (
    '{"execution_id":7,"event_type":"x.y","step":"boom","status":"S",'
    '"created_at":"2026-01-01T00:00:00Z","context":{}}'
)
PLAIN = (
    '{"execution_id":8,"event_type":"x.y","step":"ok","status":"S",'
    '"created_at":"2026-01-01T00:00:00Z","context":{}}'
)


def _peer(report: dict[str, Any], name: str) -> dict[str, Any]:
    (peer,) = [p for p in report["implementations"] if p["name"] == name]
    return peer


def test_a_callable_that_raises_is_errored_not_passed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report, _ = _matrix(capsys, "--impl", f"a={FAKES}:raises")
    assert (status, report["status"]) == (3, "errored")
    error = _peer(report, "a")["error"]
    assert error.startswith("the callable raised RuntimeError: kaboom on decode_event case ")
    assert "\n" not in error and "Traceback" not in error


def test_hops_a_callable_raised_on_are_errored_not_rejected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report, _ = _matrix(capsys, "--impl", "ref=reference", "--impl", f"a={FAKES}:raises")
    assert (status, report["status"]) == (3, "errored")
    into_a = _cell(report, "ref", "a")
    assert (into_a["hops"], into_a["rejected"]) == (0, 0)
    assert into_a["errored"] == _cell(report, "ref", "ref")["hops"] > 0
    assert "(and on " in _peer(report, "a")["error"]


def test_a_class_given_as_a_callable_is_a_usage_error_with_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = "python:tests.matrix.models:Defaulted"
    assert main(["matrix", "--impl", "ref=reference", "--impl", f"b={spec}"]) == 2
    assert capsys.readouterr().err == (
        f"noetl-events-conformance: error: --impl b={spec}: Defaulted is a class, not a "
        f"callable taking (op, input, now): a model is given as python-model:{spec[7:]}\n"
    )


def test_a_consumer_that_raises_on_one_emission_is_errored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trail = tmp_path / "t.jsonl"
    trail.write_text(f"{PLAIN}\n\n{BOOM}\n")
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--impl", f"picky={FAKES}:raises_on_boom",
        "--trail", str(trail),
    )  # fmt: skip
    assert (status, report["status"]) == (3, "errored")
    cell = _cell(report, "t", "picky")
    assert (cell["hops"], cell["accepted"], cell["rejected"], cell["errored"]) == (1, 1, 0, 1)
    assert _cell(report, "t", "ref")["hops"] == 2
    assert _peer(report, "picky")["error"] == (
        f"the callable raised RuntimeError: kaboom on boom on decode_event of the emission at "
        f"{trail}:3"
    )
    (consumers,) = [d for d in report["differential"] if d["role"] == "consumer"]
    assert consumers["compared"] == report["counts"]["emissions"] - 1


def test_a_callable_contract_broken_at_once_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["matrix", "--impl", "ref=reference", "--impl", f"a={FAKES}:returns_none"])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith(
        f"noetl-events-conformance: error: --impl a={FAKES}:returns_none returned NoneType None "
        "for decode_event case "
    )
    assert err.count("\n") == 1


def test_a_callable_contract_broken_later_is_errored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trail = tmp_path / "t.jsonl"
    trail.write_text(f"{PLAIN}\n{BOOM}\n")
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--impl", f"late={FAKES}:none_on_boom",
        "--trail", str(trail),
    )  # fmt: skip
    assert (status, report["status"]) == (3, "errored")
    assert _peer(report, "late")["error"].startswith(
        f"{FAKES}:none_on_boom returned NoneType None for decode_event case hop-"
    )


def test_a_gzip_trail_is_read_decompressed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plain = tmp_path / "cli-run.jsonl"
    plain.write_text(f"{PLAIN}\n{BOOM}\n")
    packed = tmp_path / "cli-run.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    unnamed = tmp_path / "trail.log"  # gzip, told by its bytes, not by its name
    unnamed.write_bytes(packed.read_bytes())
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--trail", str(packed), "--trail", str(unnamed)
    )
    assert status == 0
    assert [t["name"] for t in report["trails"]] == ["cli-run", "trail"]
    for name in ("cli-run", "trail"):
        cell = _cell(report, name, "ref")
        assert (cell["hops"], cell["accepted"], cell["lossless"]) == (2, 2, 2)


def test_a_broken_gzip_trail_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "t.jsonl.gz"
    broken.write_bytes(gzip.compress(PLAIN.encode())[:20])
    assert main(["matrix", "--impl", "ref=reference", "--trail", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"--trail {broken}: unreadable gzip data: " in err and err.count("\n") == 1


def test_trail_examples_name_physical_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trail = tmp_path / "trail2.jsonl"
    bad = PLAIN.replace("2026-01-01T00:00:00Z", "bad")  # rejected, on line 3
    trail.write_text(f"{PLAIN}\n\n{bad}\n")
    status, report, _ = _matrix(capsys, "--impl", "ref=reference", "--trail", str(trail))
    assert report["trails"][0] | {"path": ""} == {
        "name": "trail2", "path": "", "lines": 3, "emissions": 2,
    }  # fmt: skip
    (example,) = _cell(report, "trail2", "ref")["examples"]
    assert example["at"] == f"{trail}:3"
    assert status == 1
    main(["matrix", "--impl", "ref=reference", "--trail", str(trail)])
    text = capsys.readouterr().out
    assert f"trail2 (trail): {trail}, 2 emissions (non-blank lines) of 3 lines\n" in text


def test_a_default_filled_in_is_no_loss(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trail = tmp_path / "t.jsonl"
    trail.write_text(
        '{"execution_id":1,"event_type":"x.y","step":"s",'
        '"created_at":"2026-01-01T00:00:00Z","context":{}}\n'
    )
    status, report, _ = _matrix(
        capsys, "--impl", "srv=python-model:tests.matrix.models:RunningByDefault",
        "--trail", str(trail),
    )  # fmt: skip
    cell = _cell(report, "t", "srv")
    assert (cell["accepted"], cell["lossless"], cell["losing"]) == (1, 1, 0)
    assert cell["verdict"] == "lossless"
    assert cell["fields"] == {
        "status": {"dropped": 0, "derived": 1, "changed": 0, "renamed": 0,
                   "kinds": {"defaulted": 1}},
    }  # fmt: skip
    assert (status, report["status"]) == (0, "passed")


def test_accepted_hops_are_lossless_or_losing_under_the_default_policy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--impl", SERVER,
        "--impl", "dflt=python-model:tests.matrix.models:Defaulted",
    )  # fmt: skip
    for cell in report["cells"]:
        assert cell["lossless"] + cell["losing"] == cell["accepted"], cell["consumer"]
    assert _cell(report, "ref", "dflt")["fields"]["worker_id"]["kinds"].get("defaulted")


@pytest.mark.parametrize(
    ("required", "says"),
    [
        ("nobody -> *", "`nobody -> *` matches no hop (producers: ref, t; consumers: ref, srv)"),
        ("* -> rust", "`* -> rust` matches no hop (producers: ref, t; consumers: ref, srv)"),
        # the names exist, but the server model is a consumer only: after the run
        ("srv -> ref", "`srv -> ref` matches no hop (producers: ref, t; consumers: ref, srv)"),
    ],
)
def test_a_policy_pattern_that_matches_no_hop_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, required: str, says: str
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(f"required: ['ref -> *', '{required}']\n")
    trail = tmp_path / "t.jsonl"
    trail.write_text(f"{PLAIN}\n")
    options = ["--impl", "ref=reference", "--impl", SERVER.replace("server=", "srv=")]
    status = main(["matrix", *options, "--trail", str(trail), "--policy", str(policy)])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err == f"noetl-events-conformance: error: --policy {policy}: $.required[1]: {says}\n"


def test_schema_is_written_to_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "ms.json"
    assert main(["matrix", "--schema", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text()) == matrix_schema()


def test_a_trail_line_that_is_not_utf8_is_rejected_not_repaired(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """serde_json refuses the bytes (``check`` says invalid_string): the hop must not pass as
    the line with U+FFFD in their place, which the consumers would accept."""
    trail = Path(os.fsdecode(bytes(tmp_path / "trail") + b"\xff.jsonl"))  # a name not UTF-8
    bad = PLAIN.encode().replace(b'"step":"', b'"step":"\xff')
    assert bad != PLAIN.encode()
    trail.write_bytes(PLAIN.encode() + b"\n" + bad + b"\n")
    output = tmp_path / "m.json"
    args = ["--impl", "ref=reference", "--trail", f"t={trail}", "--output", str(output)]
    assert main(["matrix", *args, "--format", "json"]) == 1
    report = json.loads(output.read_bytes().decode("utf-8"))  # UTF-8, the name escaped
    cell = _cell(report, "t", "ref")
    assert (cell["hops"], cell["accepted"], cell["rejected"]) == (2, 1, 1)
    (example,) = cell["examples"]
    at = bad.index(b"\xff") + 1
    assert example["error"] == {
        "kind": "not UTF-8",
        "message": f"not UTF-8: byte 0xff at byte {at} of the line (not sent)",
    }
    assert example["at"] == f"{trail}:2" and "\ufffd" in example["produced"]
    for form in ("text", "html", "markdown"):
        assert main(["matrix", *args, "--format", form]) == 1
    capsys.readouterr()


def test_a_pipe_in_a_trail_name_keeps_the_markdown_table_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trail = tmp_path / "we|ird.jsonl"
    trail.write_text(f"{PLAIN}\n")
    assert (
        main(["matrix", "--impl", "ref=reference", "--trail", str(trail), "--format", "markdown"])
        == 0
    )
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| we")]
    assert rows and all(line.startswith("| we\\|ird | ref |") for line in rows)
    header = "| producer | consumer | verdict | hops | accepted | rejected | lossless | losses per field |"
    cells = len(re.split(r"(?<!\\)\|", header))
    assert all(len(re.split(r"(?<!\\)\|", line)) == cells for line in rows)


CONSUMER_ONLY = """
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m["cmd"] == "start":
        print(json.dumps({"ready": True, "protocol": 1, "implementation": {"name": "c",
              "language": "python", "version": "1"}, "roles": ["consumer"],
              "ops": ["consume"]}), flush=True)
    elif m["cmd"] == "run":
        print(json.dumps({"seq": m["seq"], "ok": True, "output": m["input"]}), flush=True)
    elif m["cmd"] == "stop":
        sys.exit(0)
"""


def test_an_adapter_that_only_consumes_alone_is_no_matrix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    consumer = tmp_path / "consumer.py"
    consumer.write_text(CONSUMER_ONLY)
    status = main(["matrix", "--impl", f"c={shlex.quote(sys.executable)} {consumer}"])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert "no hop: no implementation produced and consumed" in err


def test_a_trail_is_read_bounded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.matrix import _run

    monkeypatch.setattr(_run, "MAX_TRAIL_BYTES", 1 << 20)
    assert main(["matrix", "--impl", "r=reference", "--trail", "/dev/zero"]) == 2
    assert capsys.readouterr().err == (
        "noetl-events-conformance: error: --trail /dev/zero: over 1 MiB (a trail is held in memory)\n"
    )


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_reports_say_why_each_failing_cell_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    trail = tmp_path / "run.jsonl"
    bad = PLAIN.replace('"created_at":"', '"created_at":"x')
    assert bad != PLAIN
    trail.write_text(f"{PLAIN}\n{bad}\n")
    args = ["matrix", "--impl", "ref=reference", "--trail", str(trail), "--impl", SERVER]
    assert main([*args, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert main([*args, "--format", fmt]) == 1
    out = capsys.readouterr().out
    section = out.split("why cells fail", 1)[1].split("differential", 1)[0]
    reasons = [line for line in section.splitlines() if line.startswith(("- ", "  "))]
    failing = [c for c in report["cells"] if c["verdict"] == "fails"]
    assert {(c["producer"], c["consumer"]) for c in failing} >= {("run", "ref"), ("run", "server")}
    rejected = _cell(report, "run", "ref")["examples"][0]
    assert rejected["loss"] == "rejected" and rejected["at"] == f"{trail}:2"
    pair = "**run -> ref**:" if fmt == "markdown" else "  run -> ref:"
    assert (
        f"{'- ' if fmt == 'markdown' else ''}{pair} 1 of 2 hops rejected (the policy counts a "
        f"rejection as a loss); first at {trail}:2: {rejected['error']['kind']}: "
        f"{rejected['error']['message']}"
    ) in reasons
    server = _cell(report, "run", "server")
    pair = "**run -> server**:" if fmt == "markdown" else "  run -> server:"
    assert any(
        r.startswith(
            f"{'- ' if fmt == 'markdown' else ''}{pair} {server['losing']} of "
            f"{server['accepted']} accepted hops lost data of a kept field; first: "
        )
        for r in reasons
    )
    # one line per way a failing cell fails, none for a cell that does not fail
    expected = sum(
        bool(c["losing"]) + bool(c["rejected"]) for c in report["cells"] if c["verdict"] == "fails"
    )
    assert len(reasons) == expected
    assert not any("ref -> ref" in r for r in reasons)


def test_the_sequence_form_is_read_by_position(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A producer writing the array form wrote every field it holds: a consumer that drops or
    changes them loses data (every field was taken for a default filled in: lossless, exit 0)."""
    trail = tmp_path / "arrays.jsonl"
    trail.write_text(
        '[478775660589088776,"command.completed","fetch","COMPLETED","2026-05-31T03:14:15Z",'
        '{"result":{"items":42}},478775660589088777,"worker-7"]\n'
    )
    (tmp_path / "lossy_reader.py").write_text(
        "import json\n"
        "from noetl_events_ref import Outcome, run_op\n"
        "def consume(op, input, now):\n"
        "    out = run_op(op, input, now)\n"
        "    if op != 'decode_event' or not out.ok:\n"
        "        return out\n"
        "    event = json.loads(out.output)\n"
        "    event.pop('worker_id', None)\n"
        "    event['execution_id'] = str(event['execution_id'])\n"
        "    return Outcome(True, output=json.dumps(event))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    server = "server=python:lossy_reader:consume"
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--trail", str(trail), "--impl", server
    )
    assert status == 1
    ref = _cell(report, "arrays", "ref")
    assert (ref["hops"], ref["lossless"], ref["verdict"]) == (1, 1, "lossless")
    assert all(entry["kinds"].get("defaulted") is None for entry in ref["fields"].values())
    server = _cell(report, "arrays", "server")
    assert (server["accepted"], server["losing"], server["verdict"]) == (1, 1, "fails")
    fields = server["fields"]
    assert fields["worker_id"]["dropped"] == 1
    assert fields["execution_id"]["kinds"] == {"number-to-string": 1}
    assert set(fields) == {"execution_id", "worker_id"}


def test_a_matrix_that_tests_nothing_does_not_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every cell empty (0 hops) was 'passed', exit 0: a CI gate passed having tested nothing."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    corpus = tmp_path / "corpus"
    args = ["promote", "--op", "canonical_value", "--input", "{}", "--corpus", str(corpus)]
    assert main([*args, "--slug", "only-values", "--description", "not an envelope"]) == 0
    capsys.readouterr()
    for options in (
        ["--trail", str(empty), "--impl", SERVER],
        ["--impl", "ref=reference", "--corpus", str(corpus)],
    ):
        status = main(["matrix", *options])
        out, err = capsys.readouterr()
        assert (status, out) == (2, ""), options
        assert err.startswith(
            "noetl-events-conformance: error: no hop: no consumer read anything a producer emitted"
        ), err


def test_a_producer_writing_a_lone_surrogate_is_rejected_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An adapter's output may escape a lone surrogate (``"\\ud800"`` is valid JSON): the
    matrix died on a UnicodeEncodeError."""
    (tmp_path / "surrogate_writer.py").write_text(
        "from noetl_events_ref import Outcome, run_op\n"
        "def produce(op, input, now):\n"
        "    out = run_op(op, input, now)\n"
        "    if op != 'decode_event' or not out.ok:\n"
        "        return out\n"
        '    return Outcome(True, output=out.output.replace(\'"step":"\', \'"step":"\\ud800\', 1))\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    options = ["--impl", "ref=reference", "--impl", "odd=python:surrogate_writer:produce"]
    status, report, _ = _matrix(capsys, *options)
    assert status == 1
    cell = _cell(report, "odd", "ref")
    assert cell["hops"] == cell["rejected"] > 0
    (example,) = cell["examples"]
    assert example["error"]["kind"] == "not UTF-8"
    assert example["error"]["message"].startswith(
        "not UTF-8: a lone surrogate U+D800 at character "
    )
    assert '"step":"\\ud800' in example["produced"]  # (as its JSON wrote it, not as U+FFFD)
    for form in ("text", "html", "markdown"):
        assert main(["matrix", *options, "--format", form]) == 1
    out = capsys.readouterr().out
    assert "not UTF-8: not UTF-8" not in out  # (the kind said once)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_what_a_peer_says_is_shown_not_obeyed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    (tmp_path / "loud_peer.py").write_text(
        "def answer(op, input, now):\n    raise RuntimeError('boom\\x1b[2J\\n# forged heading')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    options = ["--impl", "ref=reference", "--impl", "bad=python:loud_peer:answer"]
    assert main(["matrix", *options, "--format", fmt]) == 3
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert not any(line.lstrip("- ").startswith("# forged") for line in out.splitlines())
    escaped = "boom\\u001b[2J"  # (its backslash escaped again in markdown's source)
    assert (escaped if fmt == "text" else escaped.replace("\\", "\\\\")) in out


def test_a_required_pair_that_tested_nothing_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer that skipped every emission left its required cells empty, and the matrix
    passed."""
    (tmp_path / "skipper.py").write_text(
        "from types import SimpleNamespace\n"
        "from noetl_events_ref import run_op\n"
        "def answer(op, input, now):\n"
        "    return SimpleNamespace(ok=False, skipped='not today')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    status, report, _ = _matrix(
        capsys, "--impl", "ref=reference", "--impl", "s=python:skipper:answer"
    )
    assert status == 1
    cell = _cell(report, "ref", "s")
    assert (cell["hops"], cell["verdict"]) == (0, "fails")
    assert main(["matrix", "--impl", "ref=reference", "--impl", "s=python:skipper:answer"]) == 1
    assert "ref -> s: no hop: the consumer read nothing" in capsys.readouterr().out
    policy = tmp_path / "policy.yaml"
    policy.write_text("required: ['ref -> ref']\n")
    status, report, _ = _matrix(
        capsys,
        "--impl",
        "ref=reference",
        "--impl",
        "s=python:skipper:answer",
        "--policy",
        str(policy),
    )
    assert status == 0
    assert _cell(report, "ref", "s")["verdict"] == "empty"  # not required: reported only


VALUES_ONLY = CONSUMER_ONLY.replace('"roles": ["consumer"],\n              ', "").replace(
    '"ops": ["consume"]', '"ops": ["canonical_value"]'
)


def test_an_implementation_the_matrix_cannot_test_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """One declaring neither decode_event nor consume was listed "(no role)", and the matrix
    passed without a word about it."""
    adapter = tmp_path / "values.py"
    adapter.write_text(VALUES_ONLY)
    assert '"ops": ["canonical_value"]' in VALUES_ONLY and "roles" not in VALUES_ONLY
    status = main(
        [
            "matrix",
            "--impl",
            "ref=reference",
            "--impl",
            f"c={shlex.quote(sys.executable)} {adapter}",
        ]
    )
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert "--impl c: neither producer nor consumer" in err


def test_a_matrix_refused_after_its_run_marks_its_output_failed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An earlier report at --output kept saying "passed" after a run refused as a usage
    error once it had run (here: it tested nothing)."""
    output = tmp_path / "m.json"
    assert (
        main(["matrix", "--impl", "r=reference", "--format", "json", "--output", str(output)]) == 0
    )
    assert json.loads(output.read_text())["status"] == "passed"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    args = ["--trail", str(empty), "--impl", SERVER, "--format", "json", "--output", str(output)]
    assert main(["matrix", *args]) == 2
    assert "no hop" in capsys.readouterr().err
    report = json.loads(output.read_text())
    jsonschema.validate(report, matrix_schema())
    assert report["status"] == "failed"
    assert report["trails"][0]["emissions"] == 0


def test_a_rejection_whose_message_is_no_text_is_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post_events answer's body is any JSON value: the text report died on an object."""
    (tmp_path / "poster.py").write_text(
        "import json\n"
        "from noetl_events_ref import Outcome\n"
        "def answer(op, input, now):\n"
        "    if op == 'post_events':\n"
        "        return Outcome(True, output=json.dumps({'status': 400, 'body': {'e': 1}}))\n"
        "    return Outcome(False, kind='other', message='otherwise')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    args = ["--impl", "ref=reference", "--impl", "p=python:poster:answer", "--via", "p=post_events"]
    assert main(["matrix", *args]) == 1
    out = capsys.readouterr().out
    assert "ref -> p: " in out and "{'e': 1}" in out
