"""``conformance.rust._glue``: the corpus as a Rust integration-test file.

Two halves:

- the Python side (identifiers, determinism, which ops a type runs, the header), no cargo needed;
- ``rust``-marked tests that generate the glue into scratch crates and run ``cargo test``: it
  passes against the real ``noetl-events`` crate, and against a copy of ``ExecutorEvent``
  without ``#[serde(alias = "payload")]`` it fails exactly the alias cases.

The scratch crates copy ``adapters/rust/Cargo.lock`` (so serde, serde_json, chrono and the server
are the versions the kit pins) and build into ``glue/`` of the adapter's cargo target folder
(outside the clone, see ``tests/_rust_adapter.py``), shared between runs, so after the first run
each scenario only compiles the scratch crate itself. A third scenario depends on the published
``noetl-server``: the request glue passes on its own ``EventRequest`` and fails, by case name,
on a copy of it with the server's one-time mistake undone (``#[serde(default)]`` on ``meta``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conformance.corpus._case import Case, case_id, load_corpus
from conformance.rust._glue import (
    RustGlueError,
    owned_case_files,
    rust_identifier,
    write_rust_tests,
)
from conformance.rust._glue import _unique_identifiers as unique_identifiers
from tests._rust_adapter import rust_target_dir

REPO = Path(__file__).resolve().parents[2]
ADAPTER = REPO / "adapters" / "rust"
# Shared by every run so only the first one compiles the dependencies; NOETL_GLUE_TARGET_DIR
# moves it (a CI cache, a cold-build timing).
GLUE_TARGET_DIR = Path(os.environ.get("NOETL_GLUE_TARGET_DIR") or rust_target_dir() / "glue")

# ---------------------------------------------------------------------------------------------
# A small corpus of our own (the real one may be partial while it is being written).
# Expected texts follow the wire contract; `ALIAS` marks the cases that depend on the
# `payload` alias of `ExecutorEvent.context`.
# ---------------------------------------------------------------------------------------------

ALIAS = "alias"
HEAD = '"execution_id":7,"event_type":"step.enter","step":"s","status":"RUNNING"'
STAMP = '"created_at":"2026-05-31T03:14:15Z"'
FULL = (
    '{"execution_id":478775660589088776,"event_type":"command.completed","step":"fetch_calendar",'
    '"status":"COMPLETED","created_at":"2026-05-31T03:14:15Z","context":{"result":{"items":42}},'
    '"event_id":478775660589088777,"worker_id":"worker-prod-7",'
    '"meta":{"attempts":3,"parent_event_id":"478775660589088770"}}'
)


def _obj(*members: str) -> str:
    """A JSON object's text from its members' texts."""
    return "{" + ",".join(members) + "}"


def _case(
    slug: str,
    op: str,
    text: str,
    *,
    output: str | None = None,
    error: str | None = None,
    tags: tuple[str, ...] = (),
) -> Case:
    draft = Case(
        id="",
        op=op,
        input=text,
        level="required",
        description=f"glue test: {slug}",
        tags=tags,
        output=output,
        error_kind=error,
        error_message=None,
    )
    return dataclasses.replace(draft, id=case_id(slug, draft))


def _top_level_keys(text: str) -> list[str]:
    """The keys of the top-level object of ``text`` (repeats kept), or [] if it is none."""
    try:
        top = json.loads(text, object_pairs_hook=lambda pairs: ("object", pairs))
    except ValueError:
        return []
    return [k for k, _ in top[1]] if isinstance(top, tuple) else []


def _event_cases() -> list[Case]:
    ev = "decode_event"
    return [
        _case("full fidelity", ev, FULL, output=FULL),
        _case(
            "offset and sorted context",
            ev,
            _obj(HEAD, '"created_at":"2026-05-31T03:14:15.5+02:00","context":{"b":1,"a":[1.0,-0]}'),
            output=_obj(
                HEAD, '"created_at":"2026-05-31T01:14:15.500Z","context":{"a":[1.0,-0.0],"b":1}'
            ),
        ),
        _case(
            "meta null is omitted",
            ev,
            _obj(HEAD, STAMP, '"context":1,"meta":null'),
            output=_obj(HEAD, STAMP, '"context":1'),
        ),
        _case(
            "payload alias",
            ev,
            _obj(HEAD, STAMP, '"payload":{"x":1}'),
            output=_obj(HEAD, STAMP, '"context":{"x":1}'),
            tags=(ALIAS,),
        ),
        _case(
            "payload alias null",
            ev,
            _obj(HEAD, STAMP, '"payload":null,"worker_id":"w"'),
            output=_obj(HEAD, STAMP, '"context":null,"worker_id":"w"'),
            tags=(ALIAS,),
        ),
        _case(
            "payload and context",
            ev,
            _obj(HEAD, STAMP, '"context":1,"payload":2'),
            error="duplicate_field",
            tags=(ALIAS,),
        ),
        _case(
            "payload twice",
            ev,
            _obj(HEAD, STAMP, '"payload":1,"payload":2'),
            error="duplicate_field",
            tags=(ALIAS,),
        ),
        _case(
            "payload only inside context",
            ev,
            _obj(HEAD, STAMP, '"context":{"payload":1}'),
            output=_obj(HEAD, STAMP, '"context":{"payload":1}'),
        ),
        _case(
            "Payload is an unknown key",
            ev,
            _obj(HEAD, STAMP, '"Payload":1,"context":2'),
            output=_obj(HEAD, STAMP, '"context":2'),
        ),
        _case("missing context", ev, _obj(HEAD, STAMP), error="missing_field"),
        _case(
            "duplicate step",
            ev,
            _obj(HEAD, '"step":"t"', STAMP, '"context":1'),
            error="duplicate_field",
        ),
        _case(
            "execution id as string",
            ev,
            _obj(
                '"execution_id":"7","event_type":"e","step":"s","status":"S"', STAMP, '"context":1'
            ),
            error="invalid_type",
        ),
        _case("array form too short", ev, "[1]", error="invalid_length"),
        _case(
            "timestamp without offset",
            ev,
            _obj(HEAD, '"created_at":"2026-05-31T03:14:15","context":1'),
            error="invalid_timestamp",
        ),
        _case(
            "lone surrogate in context",
            ev,
            _obj(HEAD, STAMP, '"context":"\\ud800"'),
            error="invalid_string",
        ),
        _case("trailing comma", ev, _obj(HEAD, STAMP, '"context":1,'), error="syntax"),
    ]


def _value_cases() -> list[Case]:
    cv = "canonical_value"
    return [
        _case(
            "sorted keys and floats",
            cv,
            '{"b":1,"a":[-0,1e16,0.00001,"\\u2028"]}',
            output='{"a":[-0.0,1e+16,0.00001,"\u2028"],"b":1}',
        ),
        _case("number out of range", cv, "1e400", error="number_out_of_range"),
        _case("deep nesting", cv, "[" * 200, error="recursion_limit"),
    ]


def _request_cases() -> list[Case]:
    rq = "decode_request"
    return [
        _case(
            "request defaults",
            rq,
            '{"execution_id":1,"step":"s","event_type":"e"}',
            output='{"execution_id":"1","step":"s","event_type":"e","payload":null,'
            '"result_kind":"data","actionable":true,"informative":true}',
        ),
        _case(
            "request aliases",
            rq,
            '{"execution_id":"abc","step":"s","name":"call.done","context":{"b":1,"a":2},'
            '"event_id":42}',
            output='{"execution_id":"abc","step":"s","event_type":"call.done",'
            '"payload":{"a":2,"b":1},"result_kind":"data","actionable":true,"informative":true,'
            '"event_id":"42"}',
        ),
        _case(
            "actionable null",
            rq,
            '{"execution_id":1,"step":"s","event_type":"e","actionable":null}',
            error="invalid_type",
        ),
        _case(
            "float execution id",
            rq,
            '{"execution_id":1.5,"step":"s","event_type":"e"}',
            error="invalid_type",
        ),
    ]


def _conversion_cases() -> list[Case]:
    return [
        _case(
            "event to request",
            "event_to_request",
            _obj(HEAD, STAMP, '"context":1'),
            output='{"execution_id":"7","step":"s","event_type":"step.enter","payload":1,'
            '"result_kind":"data","actionable":true,"informative":true,"status":"RUNNING",'
            '"created_at":"2026-05-31T03:14:15Z"}',
        ),
        _case(
            "request to event bad id",
            "request_to_event",
            '{"execution_id":"x","step":"s","event_type":"e"}',
            error="conversion",
        ),
    ]


def _corpus() -> list[Case]:
    return [*_event_cases(), *_request_cases(), *_conversion_cases(), *_value_cases()]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _test_names(rs: Path) -> list[str]:
    """``module::function`` for every test in a generated file (the names in its ``cases!``)."""
    names: list[str] = []
    module = ""
    for line in rs.read_text(encoding="utf-8").splitlines():
        if m := re.fullmatch(r"mod (\w+) \{", line):
            module = m[1]
        elif m := re.fullmatch(r"        (\w+),", line):
            names.append(f"{module}::{m[1]}")
    return names


def _name_of(rs: Path, case: Case) -> str:
    """The test name the generated file gives ``case`` (found through its embedded file)."""
    # The case folder is named after the test file, or, for a `main.rs`, is the one beside it.
    folder = rs.parent / rs.stem
    if rs.name == "main.rs":
        (folder,) = (p for p in rs.parent.iterdir() if p.is_dir())
    for name in _test_names(rs):
        op, ident = name.split("::")
        embedded = folder / op / f"{ident}.json"
        if json.loads(embedded.read_text(encoding="utf-8"))["id"] == case.id:
            return name
    raise AssertionError(f"{case.id} is not in {rs}")


# ---------------------------------------------------------------------------------------------
# Python side
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ident"),
    [
        ("alias-payload-ab12cd34", "alias_payload_ab12cd34"),
        ("Context-Is-Unknown-0f0f0f0f", "context_is_unknown_0f0f0f0f"),
        ("7e-81-one-ulp-off", "case_7e_81_one_ulp_off"),
        ("café", "cafe"),
        ("straße", "stra_u00df_e"),
        ("事件-1", "u4e8b_u4ef6_1"),
        ("emoji-😀", "emoji_u1f600"),
        ("a--b__c..d", "a_b_c_d"),
        ("-leading-and-trailing-", "leading_and_trailing"),
        ("type", "case_type"),
        ("self", "case_self"),
        ("gen", "case_gen"),
        ("union", "union"),
        ("", "case"),
        ("---", "case"),
        ("\uff21\uff22\uff23", "abc"),  # fullwidth ABC folds to ASCII under NFKD
    ],
)
def test_rust_identifier(text: str, ident: str) -> None:
    assert rust_identifier(text) == ident


def test_rust_identifier_is_always_a_plain_snake_case_identifier() -> None:
    rng = random.Random(7)
    alphabet = "aZ09-_. éß事😀\n\t/\\\"'" + "".join(chr(c) for c in range(0x300, 0x310))
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        ident = rust_identifier(text)
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", ident), (text, ident)
        assert len(ident) <= 80


def test_rust_identifier_caps_the_length() -> None:
    ident = rust_identifier("x" * 79 + "-" + "y" * 50)
    assert ident == "x" * 79
    assert len(rust_identifier("z" * 300)) == 80


def test_unique_identifiers_resolve_collisions_deterministically() -> None:
    ids = ["a-b", "a_b", "A.B", "a-b-2", "1x", "case-1x", "type", "case_type"]
    assert unique_identifiers(ids) == [
        "a_b",
        "a_b_3",  # `a_b_2` is another id's own name
        "a_b_4",
        "a_b_2",
        "case_1x",
        "case_1x_2",
        "case_type",
        "case_type_2",
    ]


def test_colliding_ids_get_distinct_tests_and_files(tmp_path: Path) -> None:
    base = _event_cases()[0]
    twins = [dataclasses.replace(base, id=i, description=i) for i in ("dup-x", "DUP-X", "dup_x")]
    rs = write_rust_tests(tmp_path, twins, rust_type="noetl_events::ExecutorEvent")[0]
    assert _test_names(rs) == [
        "decode_event::dup_x",
        "decode_event::dup_x_2",
        "decode_event::dup_x_3",
    ]
    # sorted by id: "DUP-X" < "dup-x" < "dup_x"
    assert [_name_of(rs, c) for c in twins] == [
        "decode_event::dup_x_2",
        "decode_event::dup_x",
        "decode_event::dup_x_3",
    ]


def test_event_type_runs_event_and_value_ops_and_lists_the_rest(tmp_path: Path) -> None:
    corpus = _corpus()
    written = write_rust_tests(tmp_path, corpus, rust_type="noetl_events::ExecutorEvent")
    rs = tmp_path / "noetl_events_conformance.rs"
    assert written[0] == rs
    assert sorted(written[1:]) == sorted(p for p in tmp_path.rglob("*.json"))
    names = _test_names(rs)
    want = [c for c in corpus if c.op in ("decode_event", "canonical_value")]
    assert len(names) == len(want) == len(written) - 1
    assert {n.split("::")[0] for n in names} == {"decode_event", "canonical_value"}
    text = rs.read_text(encoding="utf-8")
    assert "type UnderTest = noetl_events::ExecutorEvent;" in text
    assert "fn run_decode_request" not in text
    header = "\n".join(line for line in text.splitlines() if line.startswith("//"))
    assert "// Left out: 6 cases" in header
    for c in corpus:
        listed = f"//     {c.op}/{c.id}" in header
        assert listed == (c.op not in ("decode_event", "canonical_value")), c.id
    assert "//   decode_request (4 cases): these need the server's request type" in header
    assert "//   event_to_request (1 case): these need both types" in header
    assert "//   request_to_event (1 case): these need both types" in header
    assert max(len(line) for line in header.splitlines()) <= 100
    assert 'serde_json = "1"' in header


def test_request_type_runs_request_and_value_ops(tmp_path: Path) -> None:
    corpus = _corpus()
    written = write_rust_tests(
        tmp_path, corpus, rust_type="noetl_server::EventRequest", role="request"
    )
    rs = tmp_path / "noetl_events_request_conformance.rs"
    assert written[0] == rs
    assert {n.split("::")[0] for n in _test_names(rs)} == {"decode_request", "canonical_value"}
    text = rs.read_text(encoding="utf-8")
    assert "type UnderTest = noetl_server::EventRequest;" in text
    for c in _event_cases():
        assert f"//     decode_event/{c.id}\n" in text
    assert "//   decode_event (16 cases): these need the event type" in text


def test_the_role_is_never_guessed_from_the_name(tmp_path: Path) -> None:
    # Only the default type has a known role; any other path must say what it is.
    for path in ("noetl_executor::events::ExecutorEvent", "my_crate::EventRequest", "x::Batch"):
        with pytest.raises(RustGlueError, match="--rust-role"):
            write_rust_tests(tmp_path / "refused", _corpus(), rust_type=path)
    assert not (tmp_path / "refused").exists()
    rs = write_rust_tests(tmp_path / "default", _corpus())[0]
    assert rs.name == "noetl_events_conformance.rs"
    assert "(role event: taken for an ExecutorEvent)" in rs.read_text(encoding="utf-8")
    rs = write_rust_tests(
        tmp_path / "override", _corpus(), rust_type="my_crate::Envelope", role="event"
    )[0]
    assert rs.name == "noetl_events_conformance.rs"
    assert "type UnderTest = my_crate::Envelope;" in rs.read_text(encoding="utf-8")


@pytest.mark.parametrize("role", ["request", "batch"])
def test_the_default_type_is_never_given_another_role(tmp_path: Path, role: str) -> None:
    """noetl_events::ExecutorEvent is an event: request cases against it fail by the hundred,
    none of them a finding."""
    with pytest.raises(RustGlueError, match=f"is an event: --rust-role {role} needs --rust-type"):
        write_rust_tests(tmp_path / "refused", _corpus(), role=role)
    assert not (tmp_path / "refused").exists()


def test_the_type_path_is_written_as_rustfmt_would(tmp_path: Path) -> None:
    rs = write_rust_tests(
        tmp_path, _corpus(), rust_type="  ::srv :: Wrap < a::Req ,B<C>> ", role="request"
    )[0]
    text = rs.read_text(encoding="utf-8")
    assert "type UnderTest = ::srv::Wrap<a::Req, B<C>>;" in text
    assert "// Type under test: ::srv::Wrap<a::Req, B<C>> (role request" in text


def test_canonical_value_alone_needs_no_type(tmp_path: Path) -> None:
    rs = write_rust_tests(tmp_path, _value_cases(), rust_type="noetl_events::ExecutorEvent")[0]
    text = rs.read_text(encoding="utf-8")
    assert "UnderTest" not in text
    assert "Left out" not in text


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "noetl events::ExecutorEvent",
        "crate::ExecutorEvent",
        "self::Event",
        "a::b;c",
        "Foo<Bar",
        "Foo>Bar<",
        "x::Event\n// injected",
        "1x::Event",
        "&my::Event",
        "my::Event<>",
        "my::Event<A>>",
        "::",
    ],
)
def test_unusable_type_paths_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(RustGlueError):
        write_rust_tests(tmp_path, _corpus(), rust_type=bad, role="request")
    assert not any(tmp_path.iterdir())


def test_no_runnable_case_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RustGlueError, match="none of the 4 cases can run"):
        write_rust_tests(tmp_path, _request_cases(), rust_type="noetl_events::ExecutorEvent")


def test_two_cases_with_one_id_are_refused(tmp_path: Path) -> None:
    a, b = _event_cases()[:2]
    clash = dataclasses.replace(b, id=a.id)
    with pytest.raises(RustGlueError, match="share the id"):
        write_rust_tests(tmp_path, [a, clash])
    # the very same case twice is fine (one test)
    rs = write_rust_tests(tmp_path, [a, a])[0]
    assert len(_test_names(rs)) == 1


def test_output_is_deterministic_and_independent_of_case_order(tmp_path: Path) -> None:
    corpus = _corpus()
    write_rust_tests(tmp_path / "one", corpus)
    shuffled = corpus[:]
    random.Random(3).shuffle(shuffled)
    write_rust_tests(tmp_path / "two", shuffled)
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


def test_rewriting_the_same_cases_leaves_files_untouched(tmp_path: Path) -> None:
    written = write_rust_tests(tmp_path, _corpus())
    stamps = {p: p.stat().st_mtime_ns for p in written}
    time.sleep(0.01)
    again = write_rust_tests(tmp_path, _corpus())
    assert again == written
    assert {p: p.stat().st_mtime_ns for p in again} == stamps
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_case_files_are_the_canonical_case_text(tmp_path: Path) -> None:
    corpus = _corpus()
    written = write_rust_tests(tmp_path, corpus)
    by_id = {c.id: c for c in corpus}
    for path in written[1:]:
        text = path.read_text(encoding="utf-8")
        assert text == by_id[json.loads(text)["id"]].to_text()


def test_stale_case_files_are_removed(tmp_path: Path) -> None:
    corpus = _corpus()
    write_rust_tests(tmp_path, corpus)
    stray = tmp_path / "noetl_events_conformance" / "README.md"
    stray.write_text("mine\n")
    mine = tmp_path / "noetl_events_conformance" / "decode_event" / "my-own.json"
    mine.write_text("{}\n")
    kept = [c for c in corpus if c.op != "canonical_value"]
    written = write_rust_tests(tmp_path, kept)
    on_disk = set((tmp_path / "noetl_events_conformance").rglob("*.json"))
    assert on_disk == {*written[1:], mine}
    assert not (tmp_path / "noetl_events_conformance" / "canonical_value").exists()
    # only the case files the glue there embedded are removed, never a file of the user's
    assert stray.exists() and mine.exists()


def test_a_case_not_representable_in_utf8_is_left_out_and_listed(tmp_path: Path) -> None:
    good = _event_cases()[0]
    bad = dataclasses.replace(good, id="surrogate-\udc80", input='"\udc80"')
    rs = write_rust_tests(tmp_path, [good, bad])[0]
    text = rs.read_text(encoding="utf-8")
    assert len(_test_names(rs)) == 1
    assert "//   not UTF-8 (1 case): the case holds a lone surrogate" in text
    assert "decode_event/surrogate-\\udc80" in text


def test_the_cli_writes_the_glue(tmp_path: Path) -> None:
    from conformance.cli._main import main

    corpus_dir = tmp_path / "corpus"
    for c in _corpus():
        path = corpus_dir / "cases" / c.op / f"{c.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(c.to_text(), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["generate", "--rust", str(out), "--corpus", str(corpus_dir)]) == 0
    direct = tmp_path / "direct"
    options = ["--rust", str(out), "--rust-type", "noetl_events::ExecutorEvent"]
    options += ["--rust-role", "event", "--corpus", str(corpus_dir)]
    write_rust_tests(direct, load_corpus(corpus_dir), options=options)
    assert _tree(out) == _tree(direct)
    assert (
        main(
            ["generate", "--rust", str(out), "--rust-type", "crate::X", "--corpus", str(corpus_dir)]
        )
        == 2
    )


def _crate_with_corpus(tmp_path: Path, lib: bool) -> tuple[Path, Path]:
    corpus_dir = tmp_path / "corpus"
    for c in _corpus():
        path = corpus_dir / "cases" / c.op / f"{c.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(c.to_text(), encoding="utf-8")
    crate = tmp_path / "crate"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "c"\nversion = "0.0.0"\n', "utf-8")
    (crate / "src" / ("lib.rs" if lib else "main.rs")).write_text("", "utf-8")
    return crate, corpus_dir


def test_the_cli_says_the_role_and_refuses_to_guess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance.cli._main import main

    crate, corpus = _crate_with_corpus(tmp_path, lib=True)
    out = crate / "tests"
    args = ["generate", "--rust", str(out), "--corpus", str(corpus)]
    assert main([*args, "--rust-type", "noetl_events::re::ExecutorEvent"]) == 2
    assert "--rust-role" in capsys.readouterr().err
    assert not out.exists()
    assert main([*args, "--rust-type", "srv::EventRequest", "--rust-role", "request"]) == 0
    captured = capsys.readouterr()
    assert "type under test: srv::EventRequest (role request)" in captured.out
    assert captured.err == ""  # a crate's tests/ folder with a library: nothing to warn about
    text = (out / "noetl_events_request_conformance.rs").read_text("utf-8")
    header = " ".join(w for w in text.split() if w != "//")
    assert "--rust-type srv::EventRequest --rust-role request --corpus" in header


def test_a_folder_in_tests_gets_main_rs_and_the_layout_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance.cli._main import main

    crate, corpus = _crate_with_corpus(tmp_path, lib=False)
    out = crate / "tests" / "conformance"
    assert main(["generate", "--rust", str(out), "--corpus", str(corpus)]) == 0
    assert (out / "main.rs").is_file()  # cargo runs tests/<dir>/main.rs, nothing else in <dir>
    assert not (out / "noetl_events_conformance.rs").exists()
    assert "has no library target" in capsys.readouterr().err
    elsewhere = tmp_path / "glue"
    assert main(["generate", "--rust", str(elsewhere), "--corpus", str(corpus)]) == 0
    assert "is not a cargo crate's tests/ folder" in capsys.readouterr().err


def test_check_tells_stale_glue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli._main import main

    crate, corpus = _crate_with_corpus(tmp_path, lib=True)
    args = ["generate", "--rust", str(crate / "tests"), "--corpus", str(corpus)]
    assert main([*args, "--check"]) == 1  # nothing written yet
    assert not (crate / "tests").exists()
    assert main(args) == 0
    assert main([*args, "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    one = next((crate / "tests" / "noetl_events_conformance").rglob("*.json"))
    one.write_text(one.read_text("utf-8") + " ", "utf-8")
    mine = one.parent / "my_own.json"  # not the glue's: neither stale nor removed
    mine.write_text("{}", "utf-8")
    assert main([*args, "--check"]) == 1
    out = capsys.readouterr().out
    assert str(one) in out and str(mine) not in out
    assert main(args) == 0
    assert main([*args, "--check"]) == 0 and mine.exists()
    capsys.readouterr()
    # a narrower selection: the header differs, and the glue's cases it leaves out are stale
    glued = owned_case_files(crate / "tests", "event")
    one = sorted(glued)[0]
    assert main([*args, "--select", one.stem.replace("_", "-"), "--check"]) == 1
    out = capsys.readouterr().out
    left = {Path(f.strip()) for f in out.splitlines() if f.endswith(".json")}
    assert left == glued - {one}


# ---------------------------------------------------------------------------------------------
# cargo: the glue inside scratch crates
# ---------------------------------------------------------------------------------------------

# `ExecutorEvent` of noetl-events 0.1.0, field for field, WITHOUT `#[serde(alias = "payload")]`.
WRONG_EVENT = """\
/// noetl-events 0.1.0's `ExecutorEvent` without `#[serde(alias = "payload")]` on `context`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExecutorEvent {
    pub execution_id: i64,
    pub event_type: String,
    pub step: String,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub context: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}
"""


def _needs(what: str, why: str) -> None:
    message = f"{what} is needed: {why}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def cargo() -> str:
    found = shutil.which("cargo")
    if found is None:
        _needs("cargo", "these tests build the generated Rust tests in scratch crates")
    assert found is not None
    if not (ADAPTER / "Cargo.lock").is_file():
        _needs(str(ADAPTER / "Cargo.lock"), "the scratch crates pin the adapter's versions")
    return found


def _cargo_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CARGO_TARGET_DIR=str(GLUE_TARGET_DIR),
        CARGO_TERM_COLOR="never",
        # Warnings in the generated code (or the scratch crate) fail the build.
        RUSTFLAGS="-D warnings",
    )
    return env


def _cargo(cargo: str, crate: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``cargo <args>`` in ``crate``: offline first (the registry is usually warm), online
    again only if cargo said offline mode was the problem."""
    run: subprocess.CompletedProcess[str] | None = None
    for extra in (["--offline"], []):
        run = subprocess.run(
            [cargo, *args, *extra],
            cwd=crate,
            env=_cargo_env(),
            capture_output=True,
            text=True,
            timeout=2400,  # a first build of the server crate takes minutes
            check=False,
        )
        if run.returncode == 0 or "offline" not in run.stderr:
            break
    assert run is not None
    return run


def _scratch_crate(root: Path, name: str, edition: str, deps: str, lib: str) -> Path:
    crate = root / name
    (crate / "src").mkdir(parents=True)
    (crate / "tests").mkdir()
    (crate / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "{edition}"\n'
        f"publish = false\n\n[dependencies]\n{deps}\n"
        '[dev-dependencies]\nserde_json = "1"\n',
        encoding="utf-8",
    )
    (crate / "src" / "lib.rs").write_text(lib, encoding="utf-8")
    shutil.copyfile(ADAPTER / "Cargo.lock", crate / "Cargo.lock")
    return crate


def _install(crate: Path, generated: Path) -> None:
    """Copy generated glue into ``crate/tests`` as a user would: the folder's content as is."""
    shutil.copytree(generated, crate / "tests", dirs_exist_ok=True)


def _build_tests(cargo: str, crate: Path) -> dict[str, Path]:
    """Build every integration test of ``crate`` (one cargo run); test target name -> binary."""
    started = time.monotonic()
    run = _cargo(cargo, crate, "test", "--no-run", "--tests", "--message-format=json")
    binaries: dict[str, Path] = {}
    diagnostics: list[str] = []
    for line in run.stdout.splitlines():
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        if msg.get("reason") == "compiler-message":
            diagnostics.append(msg["message"].get("rendered") or "")
        elif (
            msg.get("reason") == "compiler-artifact"
            and msg["profile"]["test"]
            and msg["target"]["kind"] == ["test"]
            and msg.get("executable")
        ):
            binaries[msg["target"]["name"]] = Path(msg["executable"])
    assert run.returncode == 0, "cargo test --no-run failed:\n" + "".join(diagnostics) + run.stderr
    assert not diagnostics, "the build printed diagnostics:\n" + "".join(diagnostics)
    print(f"{crate.name}: build {time.monotonic() - started:.1f}s")
    return binaries


def _run_tests(binary: Path) -> tuple[int, dict[str, str], str]:
    """Run a test binary: exit status, test name -> ok/FAILED, and the full output."""
    run = subprocess.run(
        [str(binary), "--test-threads", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    results = dict(re.findall(r"^test (\S+) \.\.\. (ok|FAILED|ignored)$", run.stdout, re.M))
    return run.returncode, results, run.stdout + run.stderr


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("glue")


@pytest.mark.rust
def test_cargo_passes_against_the_real_crate(cargo: str, scratch: Path) -> None:
    # Only noetl-events as a dependency and serde_json as a dev-dependency.
    crate = _scratch_crate(scratch, "glue_real", "2021", 'noetl-events = "0.1"\n', "")
    corpus = _corpus()
    gen = scratch / "gen_real"
    write_rust_tests(gen, corpus, rust_type="noetl_events::ExecutorEvent")
    _install(crate, gen)
    binaries = _build_tests(cargo, crate)
    status, results, output = _run_tests(binaries["noetl_events_conformance"])
    assert status == 0, output
    expected = _test_names(gen / "noetl_events_conformance.rs")
    assert sorted(results) == sorted(expected)
    assert set(results.values()) == {"ok"}
    assert len(results) == sum(c.op in ("decode_event", "canonical_value") for c in corpus)


@pytest.mark.rust
def test_cargo_fails_exactly_the_alias_cases_of_a_wrong_type(cargo: str, scratch: Path) -> None:
    lib = WRONG_EVENT
    crate = _scratch_crate(
        scratch,
        "glue_wrong",
        "2024",
        'noetl-events = "0.1"\nserde = { version = "1", features = ["derive"] }\n'
        'serde_json = "1"\nchrono = { version = "0.4", features = ["serde"] }\n',
        lib,
    )
    corpus = _corpus()
    gen_event = scratch / "gen_wrong_event"
    write_rust_tests(gen_event, corpus, rust_type="glue_wrong::ExecutorEvent", role="event")
    _install(crate, gen_event)
    binaries = _build_tests(cargo, crate)

    status, results, output = _run_tests(binaries["noetl_events_conformance"])
    rs = gen_event / "noetl_events_conformance.rs"
    alias = {c for c in corpus if ALIAS in c.tags}
    # The tag marks exactly the decode_event cases with a top-level `payload` key.
    assert alias == {
        c for c in corpus if c.op == "decode_event" and "payload" in _top_level_keys(c.input)
    }
    failed = sorted(name for name, verdict in results.items() if verdict == "FAILED")
    print("wrong type, failing tests:", *failed, sep="\n  ")
    assert status != 0
    assert failed == sorted(_name_of(rs, c) for c in alias)
    assert len(results) == len(_test_names(rs))
    # Each failure names its case and shows what went wrong.
    for c in alias:
        assert f"conformance case {c.id} failed" in output
    assert "rejected, but must be accepted" in output  # `payload` alone: missing field
    assert "accepted, but must be rejected" in output  # `context` and `payload`
    assert "rejected with another error kind" in output  # `payload` twice


# A copy of the server's EventRequest with one deliberate difference: `#[serde(default)]` on the
# four Option fields the server leaves without one, so a short positional array is accepted.
WRONG_REQUEST = """\
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

struct LaxId;

impl Visitor<'_> for LaxId {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or signed/unsigned integer representing a snowflake id")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

struct LaxOptionalId;

impl Visitor<'_> for LaxOptionalId {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "null, a string, or a signed/unsigned integer representing an optional snowflake id",
        )
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
}

fn lax_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(LaxId)
}

fn lax_optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(LaxOptionalId)
}

fn default_result_kind() -> String {
    "data".to_string()
}

const fn default_true() -> bool {
    true
}

/// Wrong on purpose: `default` on `meta`, `worker_id`, `result_uri` and `event_ids`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventRequest {
    #[serde(deserialize_with = "lax_id")]
    pub execution_id: String,
    pub step: String,
    #[serde(alias = "name")]
    pub event_type: String,
    #[serde(default, alias = "context")]
    pub payload: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default = "default_result_kind")]
    pub result_kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<i64>>,
    #[serde(default = "default_true")]
    pub actionable: bool,
    #[serde(default = "default_true")]
    pub informative: bool,
    #[serde(
        default,
        deserialize_with = "lax_optional_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}
"""

SERVER_REQUEST = "noetl_server::handlers::events::EventRequest"
SERVER_BATCH = "noetl_server::handlers::events::BatchEventRequest"


def _short_array_requests(corpus: list[Case]) -> set[str]:
    """The request cases a copy with defaults on the Option fields gets wrong: positional arrays
    long enough to carry the three required fields, too short to reach the defaulted tail."""
    ids = set()
    for c in corpus:
        if c.op != "decode_request" or c.error_kind != "invalid_length":
            continue
        value = json.loads(c.input)
        if isinstance(value, list) and 4 <= len(value) + 1 <= 9:
            ids.add(c.id)
    return ids


@pytest.mark.rust
def test_cargo_request_glue_passes_on_the_real_server_and_fails_by_name_on_a_copy(
    cargo: str, scratch: Path
) -> None:
    corpus = load_corpus(REPO / "fixtures")
    crate = _scratch_crate(
        scratch,
        "glue_server",
        "2021",
        'noetl-server = "=3.54.0"\nserde = { version = "1", features = ["derive"] }\n'
        'serde_json = "1"\nchrono = { version = "0.4", features = ["serde"] }\n',
        WRONG_REQUEST,
    )
    tests = crate / "tests"
    # The real types in tests/<stem>.rs; the wrong copy in tests/wrong/main.rs (the layout cargo
    # runs for a folder in tests/), the batch type in tests/batch/main.rs.
    real = write_rust_tests(tests, corpus, rust_type=SERVER_REQUEST, role="request")[0]
    wrong = write_rust_tests(
        tests / "wrong", corpus, rust_type="glue_server::EventRequest", role="request"
    )[0]
    batch = write_rust_tests(tests / "batch", corpus, rust_type=SERVER_BATCH, role="batch")[0]
    assert (real.name, wrong.name, batch.name) == (
        "noetl_events_request_conformance.rs",
        "main.rs",
        "main.rs",
    )
    binaries = _build_tests(cargo, crate)

    status, results, output = _run_tests(binaries["noetl_events_request_conformance"])
    assert status == 0, output
    assert len(results) == sum(c.op in ("decode_request", "canonical_value") for c in corpus)

    status, results, output = _run_tests(binaries["batch"])
    assert status == 0, output
    assert len(results) == sum(c.op in ("decode_batch", "canonical_value") for c in corpus)

    status, results, output = _run_tests(binaries["wrong"])
    expected = _short_array_requests(corpus)
    assert expected, "the corpus has no short positional request to tell the copy by"
    failed = sorted(name for name, verdict in results.items() if verdict == "FAILED")
    assert status != 0
    assert failed == sorted(_name_of(wrong, c) for c in corpus if c.id in expected)
    for short in expected:
        assert f"conformance case {short} failed: accepted, but must be rejected" in output


@pytest.mark.rust
def test_cargo_passes_on_the_bundled_corpus(cargo: str, scratch: Path) -> None:
    corpus_dir = REPO / "fixtures"
    if not (corpus_dir / "cases").is_dir():
        pytest.skip(f"no bundled corpus yet ({corpus_dir / 'cases'} is missing)")
    corpus = load_corpus(corpus_dir)
    if not any(c.op in ("decode_event", "canonical_value") for c in corpus):
        pytest.skip("the bundled corpus has no decode_event/canonical_value case yet")
    crate = _scratch_crate(scratch, "glue_bundled", "2021", 'noetl-events = "0.1"\n', "")
    gen = scratch / "gen_bundled"
    write_rust_tests(gen, corpus, rust_type="noetl_events::ExecutorEvent")
    _install(crate, gen)
    binaries = _build_tests(cargo, crate)
    status, results, output = _run_tests(binaries["noetl_events_conformance"])
    assert status == 0, output
    assert len(results) == sum(c.op in ("decode_event", "canonical_value") for c in corpus)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        _needs(name, "this test checks the generated Rust with it")
    assert found is not None
    return found


@pytest.mark.rust
@pytest.mark.parametrize("edition", ["2018", "2021", "2024"])
def test_generated_file_is_rustfmt_clean(tmp_path: Path, edition: str) -> None:
    rustfmt = _tool("rustfmt")
    # Long and short ids, both roles: the case list sits in a brace macro rustfmt leaves alone.
    base = _corpus()
    firsts = [next(c for c in base if c.op == op) for op in ("decode_event", "decode_request")]
    extra = [
        dataclasses.replace(c, id="x" * n) for n in (1, 30, 39, 40, 60, 80, 120) for c in firsts
    ]
    files = [
        write_rust_tests(tmp_path / "event", base + extra)[0],
        write_rust_tests(
            tmp_path / "request", base + extra, rust_type="a_server::EventRequest", role="request"
        )[0],
    ]
    run = subprocess.run(
        [rustfmt, "--check", "--edition", edition, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
