"""``generate --seed S --count N``: deterministic, valid, and right about the reference."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli._main import main
from conformance.corpus._case import OPS, case_id, load_case
from conformance.corpus._corpus import lint
from conformance.generation._generation import GENERATOR, generate_cases, write_cases
from noetl_events_ref._ops import run_op

ROOT = Path(__file__).resolve().parents[2]
PINNED = "07d49f422e924999"  # sha256 prefix of seed 2026, count 25 (see test_pinned_output)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.json"))
    }


def _generate_in_a_fresh_process(out: Path, seed: int, count: int, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    run = "import sys; from conformance.cli._main import main; sys.exit(main(sys.argv[1:]))"
    args = ["generate", "--seed", str(seed), "--count", str(count), "--out", str(out)]
    subprocess.run([sys.executable, "-c", run, *args], env=env, check=True, capture_output=True)


def test_same_seed_same_bytes_across_processes(tmp_path: Path) -> None:
    _generate_in_a_fresh_process(tmp_path / "a", 7, 60, "1")
    _generate_in_a_fresh_process(tmp_path / "b", 7, 60, "2")
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert len(first) == 60 + 1 and "manifest.json" in first  # the manifest is the same too
    assert first == second


def test_same_seed_same_cases_in_process() -> None:
    assert [c.to_text() for c in generate_cases(seed=3, count=40)] == [
        c.to_text() for c in generate_cases(seed=3, count=40)
    ]


def test_different_seeds_differ() -> None:
    a = {c.input for c in generate_cases(seed=1, count=30)}
    b = {c.input for c in generate_cases(seed=2, count=30)}
    assert not a & b


def test_a_case_does_not_depend_on_the_count() -> None:
    assert generate_cases(seed=5, count=10) == generate_cases(seed=5, count=25)[:10]


def test_pinned_output() -> None:
    """The bytes of seed 2026, count 25: a change here changes every generated corpus.

    If the generator changes on purpose, update the digest; if it changed by accident (a new
    Python, a dict order, a float format), that is the bug this test is here to catch."""
    blob = "".join(c.to_text() for c in generate_cases(seed=2026, count=25))
    assert hashlib.sha256(blob.encode()).hexdigest()[:16] == PINNED


def test_ops_are_cycled_and_can_be_limited() -> None:
    cases = generate_cases(seed=9, count=10)
    assert [c.op for c in cases] == [*OPS[:5], *OPS[:5]]
    server = generate_cases(seed=9, count=4, ops=OPS[5:])
    assert [c.op for c in server] == list(OPS[5:])
    only = generate_cases(seed=9, count=6, ops=["canonical_value", "decode_request"])
    assert [c.op for c in only] == ["canonical_value", "decode_request"] * 3


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown ops"):
        generate_cases(seed=1, count=1, ops=["decode"])
    with pytest.raises(TypeError):
        generate_cases(seed="1", count=1)  # type: ignore[arg-type]
    assert generate_cases(seed=1, count=0) == []


def test_cases_carry_their_provenance_and_hazards() -> None:
    for i, case in enumerate(generate_cases(seed=11, count=50)):
        assert case.provenance == {"generator": GENERATOR, "seed": 11, "index": i}
        assert case.level in ("recommended", "acceptable")
        assert case.tags[0] == "generated"
        assert len(case.tags) > 1
        assert "\n" not in case.description
        assert case.id == case_id(f"gen-11-{i}", case)
        assert case.id.startswith(f"gen-11-{i}-")


def test_generated_cases_pass_against_the_reference() -> None:
    cases = generate_cases(seed=13, count=150)
    for case in cases:
        got = run_op(case.op, case.input, case.now)
        assert got.ok == case.accepts
        assert (got.output, got.kind, got.message) == (
            case.output,
            case.error_kind,
            case.error_message,
        )
    assert any(not c.accepts for c in cases)
    assert any(c.now is not None for c in cases)


def test_written_cases_are_a_clean_corpus(tmp_path: Path) -> None:
    cases = generate_cases(seed=17, count=120)
    paths, kept = write_cases(tmp_path, cases)
    assert kept == []
    assert [p.name for p in paths] == [f"{c.id}.json" for c in cases]
    for case, path in zip(cases, paths, strict=True):
        assert path.parent == tmp_path / "cases" / case.op
        assert load_case(path) == case
        assert path.read_text(encoding="utf-8") == case.to_text()
    assert lint(tmp_path) == []  # the manifest came with the cases
    assert not list(tmp_path.rglob("*.tmp"))


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["generate", "--seed", "4", "--count", "12", "--out", str(tmp_path)])
    assert status == 0
    assert "wrote 12 cases" in capsys.readouterr().out
    assert len(_tree(tmp_path)) == 12 + 1
    assert main(["corpus", "lint", "--corpus", str(tmp_path)]) == 0
    assert main(["generate", "--seed", "4", "--count", "0", "--out", str(tmp_path)]) == 2
    capsys.readouterr()
    a_file = tmp_path / "cases.jsonl"
    a_file.write_text("")
    assert main(["generate", "--seed", "4", "--count", "2", "--out", str(a_file)]) == 2
    assert capsys.readouterr().err == (
        f"noetl-events-conformance: error: --out {a_file}: not a folder; "
        "give the folder to write the cases into\n"
    )


def test_an_edited_case_file_is_kept_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["generate", "--seed", "7", "--count", "6", "--out", str(tmp_path)]
    assert main(argv) == 0
    edited = sorted((tmp_path / "cases").rglob("*.json"))[0]
    text = edited.read_text("utf-8").replace("Generated (seed 7", "MY NOTE (seed 7")
    edited.write_text(text, "utf-8")
    capsys.readouterr()
    assert main([*argv[:4], "9", *argv[5:]]) == 1  # the same seed, more cases
    out, err = capsys.readouterr()
    assert out == f"wrote 8 cases into {tmp_path}\n"
    assert err == (
        "kept 1 existing case file(s) that differ from what seed 7 gives (edited since?); "
        f"not overwritten:\n  {edited}\n"
    )
    assert edited.read_text("utf-8") == text
    assert len(_tree(tmp_path)) == 9 + 1


def test_a_run_stopped_part_way_leaves_the_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.generation import _generation

    write_cases(tmp_path, generate_cases(seed=1, count=5))
    before = _tree(tmp_path)
    real = _generation.write_atomic
    calls = 0

    def interrupted(path: object, data: str) -> bool:
        nonlocal calls
        calls += 1
        if calls == 8:
            raise KeyboardInterrupt
        return real(path, data)  # type: ignore[arg-type]

    monkeypatch.setattr(_generation, "write_atomic", interrupted)
    with pytest.raises(KeyboardInterrupt):  # new cases, some in ops the folder did not have
        write_cases(tmp_path, generate_cases(seed=2, count=20, ops=OPS))
    assert calls == 8
    assert _tree(tmp_path) == before  # the manifest too
    assert sorted(p.name for p in (tmp_path / "cases").iterdir()) == sorted(
        {p.split("/")[1] for p in before if p.startswith("cases/")}
    )


def test_rust_options_are_refused_with_a_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = ["generate", "--seed", "1", "--count", "3", "--out", str(tmp_path / "g")]
    for extra in (["--check"], ["--corpus", "x"], ["--level", "all"], ["--rust-role", "batch"]):
        assert main([*seed, *extra]) == 2
        flag = extra[0]
        assert capsys.readouterr().err == (
            f"noetl-events-conformance: error: {flag} goes with --rust (Rust test glue), "
            "not with --seed\n"
        )
    assert not (tmp_path / "g").exists()


def test_an_unreadable_corpus_is_a_usage_error_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_cases(tmp_path, generate_cases(seed=1, count=3))
    broken = sorted((tmp_path / "cases").rglob("*.json"))[0]
    broken.write_text("{oops", "utf-8")
    before = _tree(tmp_path)
    assert main(["generate", "--seed", "4", "--count", "5", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"noetl-events-conformance: error: --out {tmp_path}: cannot read ")
    assert f"{broken}: $: not JSON" in err
    assert _tree(tmp_path) == before
    rust = ["generate", "--rust", str(tmp_path / "r")]
    for corpus, says in (
        (tmp_path / "none", f"{tmp_path / 'none'}: no such corpus folder"),
        (broken, f"{broken}: not a folder"),
        (tmp_path, f"cannot read the corpus: {broken}: $: not JSON"),
    ):
        assert main([*rust, "--corpus", str(corpus)]) == 2
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_a_system_error_names_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    out = a_file / "cases"
    assert main(["generate", "--seed", "1", "--count", "2", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"noetl-events-conformance: error: {out}: Not a directory\n"
