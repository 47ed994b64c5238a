"""``promote``: a failing example becomes a valid corpus case, and the printed command works."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings

from conformance.cli._main import main
from conformance.corpus._case import case_id, load_case
from conformance.corpus._corpus import lint, write_manifest
from conformance.strategies import (
    PropertyFailure,
    check_round_trip,
    executor_events,
    reference_op,
)
from noetl_events_ref import ExecutorEvent
from noetl_events_ref._ops import Outcome, run_op

ROOT = Path(__file__).resolve().parents[2]
EVENT = (
    '{"execution_id":1,"event_type":"a","step":"s","status":"x",'
    '"created_at":"2026-05-31T03:14:15+02:00","payload":{"b":1e-5,"a":[]}}'
)
REQUEST = '{"execution_id":"7","step":"s","event_type":"call.done"}'


def _promote(tmp_path: Path, *options: str) -> tuple[int, list[Path]]:
    status = main(["promote", "--corpus", str(tmp_path), *options])
    return status, sorted((tmp_path / "cases").rglob("*.json"))


def test_promote_writes_a_valid_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, paths = _promote(
        tmp_path,
        "--op=decode_event",
        f"--input={EVENT}",
        "--caught-by=rust-noetl-events-0.1.0",
        "--strategy=wire_envelopes",
        "--seed=42",
        "--tags=ts-offset,payload-alias",
    )
    assert status == 0
    [path] = paths
    assert capsys.readouterr().out.strip() == str(path)
    case = load_case(path)
    assert path == tmp_path / "cases" / "decode_event" / f"{case.id}.json"
    assert case.input == EVENT
    assert case.output == run_op("decode_event", EVENT).output
    assert case.id == case_id("promoted-wire_envelopes", case)
    assert case.tags == ("ts-offset", "payload-alias", "promoted")
    assert case.level == "recommended"
    assert case.provenance is not None
    assert case.provenance["strategy"] == "wire_envelopes"
    assert case.provenance["seed"] == 42
    assert case.provenance["caught_by"] == "rust-noetl-events-0.1.0"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", case.provenance["date"])
    write_manifest(tmp_path)
    assert lint(tmp_path) == []


def test_the_id_is_stable_and_a_second_promote_keeps_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ("--op", "decode_event", "--input", EVENT, "--caught-by", "a")
    _, [first] = _promote(tmp_path, *options)
    before = first.read_bytes()
    status, [again] = _promote(tmp_path, "--op", "decode_event", "--input", EVENT, "--seed", "1")
    assert status == 0
    assert again == first
    assert first.read_bytes() == before
    assert "already in the corpus" in capsys.readouterr().out


def test_a_different_case_under_the_same_id_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, [path] = _promote(tmp_path, "--op", "decode_event", "--input", EVENT)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["expect"] = {"error": {"kind": "syntax", "message": "edited by hand"}}
    edited = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    path.write_text(edited, encoding="utf-8")
    status, _ = _promote(tmp_path, "--op", "decode_event", "--input", EVENT)
    assert status == 1
    assert "not overwritten" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == edited


def test_input_json_and_input_file(tmp_path: Path) -> None:
    text = '{"a":"\\u0000",\n"b":"\u2028"}\t'
    _, [from_json] = _promote(
        tmp_path, "--op", "canonical_value", "--input-json", json.dumps(text), "--slug", "j"
    )
    source = tmp_path / "input.json"
    source.write_bytes(text.encode("utf-8"))
    _, paths = _promote(
        tmp_path, "--op", "canonical_value", "--input-file", str(source), "--slug", "f"
    )
    from_file = next(p for p in paths if p.name.startswith("f-"))
    assert load_case(from_json).input == load_case(from_file).input == text


def test_request_to_event_takes_now(tmp_path: Path) -> None:
    now = "2026-05-31T03:14:15.5Z"
    status, [path] = _promote(
        tmp_path, "--op", "request_to_event", "--input", REQUEST, "--now", now
    )
    assert status == 0
    case = load_case(path)
    assert case.now == now
    assert case.output == run_op("request_to_event", REQUEST, now).output


def test_a_rejected_example_keeps_its_kind_and_message(tmp_path: Path) -> None:
    text = EVENT.replace('"step":"s"', '"step":1')
    _, [path] = _promote(tmp_path, "--op", "event_to_request", "--input", text)
    case = load_case(path)
    want = run_op("event_to_request", text)
    assert want.kind == "invalid_type"
    assert (case.error_kind, case.error_message) == (want.kind, want.message)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--input", EVENT), "--op is required"),
        (("--op", "decode_event"), "give --input"),
        (("--op", "request_to_event", "--input", REQUEST), "pass --now"),
        (("--op", "request_to_event", "--input", REQUEST, "--now", "soon"), "RFC 3339"),
        (("--op", "decode_event", "--input", EVENT, "--now", "2026-01-01T00:00:00Z"), "--now only"),
        (("--op", "decode_event", "--input", EVENT, "--tags", "Bad Tag"), "tag"),
        (("--op", "decode_event", "--input-json", "{}"), "JSON string literal"),
        (("--op", "decode_event", "--input-file", "/nonexistent/x"), "cannot read"),
        (("--from-output", "/nonexistent/log"), "cannot read"),
        (("--op", "decode_event", "--input", EVENT, "--description", "two\nlines"), "one line"),
    ],
)
def test_usage_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...],
    message: str,
) -> None:
    status, paths = _promote(tmp_path, *options)
    assert status == 2
    assert message in capsys.readouterr().err
    assert paths == []


# ---- from a failing property to a corpus case ----------------------------------------------


def _drops_meta(op: str, text: str, now: str | None = None) -> Outcome:
    """A broken implementation: it never writes `meta`."""
    got = reference_op(op, text, now)
    if got.output is None or op != "decode_event":
        return got
    doc = json.loads(got.output)
    if "meta" not in doc:
        return got
    return got._replace(output=got.output[: got.output.index(',"meta":')] + "}")


def _shrunk_failure() -> PropertyFailure:
    @settings(max_examples=200, deadline=None, database=None, phases=[Phase.generate, Phase.shrink])
    @given(executor_events(max_depth=2, max_leaves=3))
    def prop(event: ExecutorEvent) -> None:
        check_round_trip(_drops_meta, event, caught_by="drops-meta")

    with pytest.raises(PropertyFailure) as info:
        prop()
    return info.value


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", run, *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_printed_command_works_when_run(tmp_path: Path) -> None:
    failure = _shrunk_failure()
    assert '"meta":' in failure.input  # the shrunk example still needs a meta to fail
    message = str(failure)
    line = next(ln for ln in message.splitlines() if "noetl-events-conformance promote" in ln)
    args = shlex.split(line.strip())
    assert args[:2] == ["noetl-events-conformance", "promote"]
    done = _cli([*args[1:], "--corpus", str(tmp_path)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    case = load_case(Path(done.stdout.strip()))
    assert case.input == failure.input
    assert case.output == failure.input  # the reference round-trips it exactly
    assert case.provenance is not None
    assert case.provenance["caught_by"] == "drops-meta"
    assert case.provenance["strategy"] == "executor_events"


def test_from_output_reads_a_pasted_log(tmp_path: Path) -> None:
    failure = _shrunk_failure()
    log = tmp_path / "ci.log"
    lines = [f"2026-05-31T03:14:15.123Z E   {ln}" for ln in str(failure).splitlines()]
    log.write_text("\n".join(["collected 3 items", *lines, *lines, "1 failed"]), encoding="utf-8")
    done = _cli(["promote", "--from-output", str(log), "--corpus", str(tmp_path / "c")], tmp_path)
    assert done.returncode == 0, done.stderr
    [written] = done.stdout.split()  # the command appears twice, and is promoted once
    assert load_case(Path(written)).input == failure.input


def test_from_output_without_a_command_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "ci.log"
    log.write_text("all green\n", encoding="utf-8")
    status, _ = _promote(tmp_path, "--from-output", str(log))
    assert status == 2
    assert "no `noetl-events-conformance promote` command" in capsys.readouterr().err


def test_from_output_names_the_line_of_a_broken_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "ci.log"
    broken = 'E   noetl-events-conformance promote --op decode_event --input \'{"a":1}'
    log.write_text(f"collected 3 items\n{broken}\n1 failed\n", encoding="utf-8")
    status, _ = _promote(tmp_path, "--from-output", str(log))
    assert status == 2
    err = capsys.readouterr().err
    assert f"{log}, line 2: cannot read the command (No closing quotation): " in err
    assert not (tmp_path / "cases").exists()


def test_promote_warns_of_a_secret_that_lint_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        '{"execution_id":1,"event_type":"x","step":"s","status":"OK",'
        '"created_at":"2026-01-01T00:00:00Z","context":{"password":"hunter2"}}'
    )
    status, [path] = _promote(tmp_path, "--op", "decode_event", "--input", text)
    assert status == 0
    err = capsys.readouterr().err
    assert f"warning: {path}: $.input: holds a value the server would redact" in err
    assert "$.context.password" in err
    write_manifest(tmp_path)
    assert {p.rule for p in lint(tmp_path)} == {"secret"}  # what the warning announced


def test_promote_again_with_other_values_says_they_are_not_applied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = ("--op", "canonical_value", "--input", "[1e-5]")
    status, [path] = _promote(tmp_path, *example)
    assert status == 0
    capsys.readouterr()
    assert _promote(tmp_path, *example)[0] == 0  # the same again: nothing to say
    assert "note:" not in capsys.readouterr().err
    status, _ = _promote(tmp_path, *example, "--level", "required", "--description", "new")
    assert status == 0
    out, err = capsys.readouterr()
    assert out == f"{path} (already in the corpus)\n"
    assert f"note: {path} is kept as it is: --level, --description not applied" in err
    assert load_case(path).level == "recommended"


def test_promote_defaults_to_a_project_folder_run_beside_the_bundled_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance.corpus._case import default_corpus_dir, load_corpus

    bundled = sorted(p.name for p in (default_corpus_dir() / "cases").rglob("*.json"))
    monkeypatch.chdir(tmp_path)
    assert main(["promote", "--op", "decode_request", "--input", REQUEST]) == 0
    out, err = capsys.readouterr()
    [path] = (tmp_path / "noetl-events-cases" / "cases").rglob("*.json")
    assert out.strip() == str(Path("noetl-events-cases") / "cases" / "decode_request" / path.name)
    assert "corpus manifest --corpus noetl-events-cases" in err
    assert "verify --extra-corpus noetl-events-cases" in err
    assert sorted(p.name for p in (default_corpus_dir() / "cases").rglob("*.json")) == bundled

    # the printed hints work: the manifest is written, and verify runs both corpora
    assert main(["corpus", "manifest", "--corpus", "noetl-events-cases"]) == 0
    assert main(["corpus", "lint", "--corpus", "noetl-events-cases"]) == 0
    capsys.readouterr()
    status = main(["verify", "--extra-corpus", "noetl-events-cases", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["summary"]["total"] == len(load_corpus()) + 1
    assert path.stem in {c["id"] for c in report["cases"]}
    assert report["run"]["extra_corpora"] == ["noetl-events-cases"]

    # the folder given as main and extra corpus is read once
    status = main(
        ["verify", "--corpus", "noetl-events-cases", "--extra-corpus", "noetl-events-cases"]
    )
    assert status == 0
    assert "PASSED: 1 passed" in capsys.readouterr().out
