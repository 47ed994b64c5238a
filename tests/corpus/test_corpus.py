"""The bundled corpus and its maintenance tools: lint rules, fmt, manifest, the CLI, the build."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import shutil
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from conformance.cli._main import main as cli_main
from conformance.corpus._case import OPS, Case, default_corpus_dir, load_case, load_corpus
from conformance.corpus._corpus import Problem, fmt, lint, manifest_for, write_manifest

CORPUS = default_corpus_dir()
ROOT = Path(__file__).resolve().parents[2]


def _rules(problems: list[Problem]) -> set[str]:
    return {p.rule for p in problems}


@functools.cache
def _build_module() -> ModuleType:
    """tools/build_corpus.py (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location(
        "build_corpus", ROOT / "tools" / "build_corpus.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


# ---- the bundled corpus ------------------------------------------------------------------------


def test_bundled_corpus_lints_clean() -> None:
    assert lint(CORPUS) == []


def test_bundled_corpus_is_built_from_its_source() -> None:
    build = _build_module()
    assert build.build(ROOT / "fixtures" / "src", CORPUS, check=True) == []


def test_corpus_size_requirements() -> None:
    cases = load_corpus(CORPUS)
    assert len(cases) >= 450
    by_op = Counter(c.op for c in cases)
    for op in OPS:
        assert by_op[op] >= 45, op
    assert {c.level for c in cases} == {"required", "recommended", "acceptable"}


def test_upstream_tests_are_cases() -> None:
    cases = load_corpus(CORPUS)
    crate = [c for c in cases if "crate-test" in c.tags]
    assert len({c.id.rsplit("-", 1)[0] for c in crate}) == 6
    ee4 = {
        c.id.rsplit("-", 1)[0] for c in cases if "server-test" in c.tags and c.id.startswith("ee4-")
    }
    assert len(ee4) == 4


def test_required_hazards_are_covered() -> None:
    tags = Counter(t for c in load_corpus(CORPUS) for t in c.tags)
    for tag in (
        "id-range",
        "alias",
        "duplicate",
        "null-vs-absent",
        "unknown-key",
        "timestamp",
        "float",
        "big-int",
        "escape",
        "surrogate",
        "nesting",
        "defaults",
        "conversion",
        "status",
        "array-form",
        "whitespace",
        "realistic",
        "crate-test",
        "server-test",
    ):
        assert tags[tag] > 0, tag


def test_non_required_levels_are_justified() -> None:
    for case in load_corpus(CORPUS):
        if case.level != "required":
            assert case.level in case.description, case.id


def test_array_form_is_acceptable_only() -> None:
    for case in load_corpus(CORPUS):
        if "array-form" in case.tags:
            assert case.level == "acceptable", case.id


# ---- a small corpus to break ------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A copy of a handful of bundled cases (one per op, plus a sample pair), with a manifest."""
    cases = load_corpus(CORPUS)
    chosen: list[Case] = []
    for op in OPS:
        chosen.extend([c for c in cases if c.op == op][:2])
    sample = next(c.sample for c in cases if c.op == "decode_event" and c.sample)
    chosen.extend(c for c in cases if c.sample == sample and c not in chosen)
    for case in chosen:
        assert case.path is not None
        dest = tmp_path / "cases" / case.op / Path(case.path).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(case.path, dest)
    write_manifest(tmp_path)
    assert lint(tmp_path) == []
    return tmp_path


def _files(corpus: Path, op: str | None = None) -> list[Path]:
    return sorted((corpus / "cases" / op if op else corpus / "cases").rglob("*.json"))


def _rewrite(path: Path, case: Case) -> Path:
    """Write ``case`` (with its id recomputed) under its proper name; remove ``path``."""
    case = case.with_id()
    path.unlink()
    dest = path.parent / f"{case.id}.json"
    dest.write_text(case.to_text(), encoding="utf-8")
    return dest


def test_rule_read(small: Path) -> None:
    _files(small)[0].write_text("{not json", encoding="utf-8")
    problems = lint(small)
    assert "read" in _rules(problems)
    assert all(p.file.startswith("cases/") or p.file == "manifest.json" for p in problems)


def test_rule_schema(small: Path) -> None:
    path = _files(small)[0]
    obj = json.loads(path.read_text("utf-8"))
    obj["level"] = "mandatory"
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    problems = [p for p in lint(small) if p.rule != "manifest"]
    assert _rules(problems) == {"schema"}
    assert problems[0].json_path == "$.level"


def test_rule_format(small: Path) -> None:
    path = _files(small)[0]
    obj = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps(obj, indent=4), encoding="utf-8")
    assert _rules(lint(small)) == {"format", "manifest"}


def test_rule_layout_folder(small: Path) -> None:
    path = _files(small, "decode_event")[0]
    path.rename(small / "cases" / "canonical_value" / path.name)
    problems = lint(small)
    assert _rules(problems) == {"layout", "manifest"}
    assert any(p.json_path == "$.op" for p in problems)


def test_rule_layout_file_name(small: Path) -> None:
    path = _files(small)[0]
    path.rename(path.with_name("renamed.json"))
    problems = lint(small)
    assert _rules(problems) == {"layout", "manifest"}
    assert any(p.json_path == "$.id" and p.file.endswith("renamed.json") for p in problems)


def test_rule_id(small: Path) -> None:
    path = _files(small)[0]
    case = load_case(path)
    bad_id = case.id.rsplit("-", 1)[0] + "-00000000"
    path.unlink()
    (path.parent / f"{bad_id}.json").write_text(
        dataclasses.replace(case, id=bad_id).to_text(), encoding="utf-8"
    )
    assert _rules(lint(small)) == {"id", "manifest"}


def test_rule_unique(small: Path) -> None:
    path = _files(small)[0]
    shutil.copyfile(path, path.with_name("copy.json"))
    rules = _rules(lint(small))
    assert "unique" in rules


def test_rule_reference_output(small: Path) -> None:
    path = next(p for p in _files(small) if load_case(p).accepts)
    case = load_case(path)
    assert case.output is not None
    _rewrite(path, dataclasses.replace(case, output=case.output + " ", sample=None))
    assert _rules(lint(small)) == {"reference", "manifest"}


def test_rule_reference_message(small: Path) -> None:
    path = next(p for p in _files(small) if not load_case(p).accepts)
    case = load_case(path)
    path.write_text(dataclasses.replace(case, error_message="something else").to_text(), "utf-8")
    problems = lint(small)
    assert _rules(problems) == {"reference", "manifest"}
    assert any(p.json_path == "$.expect.error" for p in problems)


def test_rule_reference_kind(small: Path) -> None:
    path = next(p for p in _files(small) if not load_case(p).accepts)
    case = load_case(path)
    kind = "syntax" if case.error_kind != "syntax" else "invalid_type"
    _rewrite(path, dataclasses.replace(case, error_kind=kind))
    assert _rules(lint(small)) == {"reference", "manifest"}


def test_rule_sample(small: Path) -> None:
    files = _files(small)
    samples = sorted(c.sample for c in map(load_case, files) if c.sample is not None)
    other = next(p for p in files if load_case(p).sample is None and load_case(p).accepts)
    case = load_case(other)
    other.write_text(dataclasses.replace(case, sample=samples[0]).to_text(), "utf-8")
    assert _rules(lint(small)) == {"sample", "manifest"}


@pytest.mark.parametrize(
    ("text", "output"),
    [
        ('{"password":"hunter2"}', '{"password":"hunter2"}'),
        ('{"note":"Bearer abc"}', '{"note":"Bearer abc"}'),
        ('{"a":{"api_key":1},}', None),  # not JSON: judged token by token
    ],
)
def test_rule_secret(small: Path, text: str, output: str | None) -> None:
    path = _files(small, "canonical_value")[0]
    case = load_case(path)
    from noetl_events_ref._ops import run_op

    got = run_op("canonical_value", text)
    assert (got.output if got.ok else None) == output
    new = dataclasses.replace(
        case,
        input=text,
        sample=None,
        output=got.output,
        error_kind=got.kind,
        error_message=got.message,
    )
    _rewrite(path, new)
    problems = lint(small)
    assert _rules(problems) == {"secret", "manifest"}
    assert {p.json_path for p in problems if p.rule == "secret"} <= {"$.input", "$.expect.output"}


def test_rule_manifest(small: Path) -> None:
    manifest = json.loads((small / "manifest.json").read_text("utf-8"))
    manifest["count"] += 1
    (small / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    problems = lint(small)
    assert _rules(problems) == {"manifest"}
    assert [p.json_path for p in problems] == ["$.count"]


def test_rule_manifest_missing(small: Path) -> None:
    (small / "manifest.json").unlink()
    assert _rules(lint(small)) == {"manifest"}


def test_not_a_corpus(tmp_path: Path) -> None:
    assert _rules(lint(tmp_path)) == {"layout"}


# ---- manifest ----------------------------------------------------------------------------------


def test_manifest_digest_rule(small: Path) -> None:
    digest = hashlib.sha256()
    for rel in sorted(p.relative_to(small).as_posix() for p in _files(small)):
        digest.update(rel.encode() + b"\0" + (small / rel).read_bytes())
    manifest = manifest_for(small)
    assert manifest["sha256"] == digest.hexdigest()
    assert manifest["count"] == len(_files(small))
    assert list(manifest["by_op"]) == list(OPS)
    assert sum(manifest["by_level"].values()) == manifest["count"]


def test_manifest_keeps_corpus_version(small: Path) -> None:
    manifest = json.loads((small / "manifest.json").read_text("utf-8"))
    manifest["corpus_version"] = "1.2.0"
    (small / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    write_manifest(small)
    assert manifest_for(small)["corpus_version"] == "1.2.0"
    assert lint(small) == []


# ---- fmt ---------------------------------------------------------------------------------------


def test_fmt_is_idempotent(small: Path) -> None:
    path = _files(small)[0]
    canonical = path.read_bytes()
    path.write_text(json.dumps(json.loads(canonical), indent=4, ensure_ascii=True), "utf-8")
    assert fmt(small, check=True) == [path]
    assert path.read_bytes() != canonical  # check mode writes nothing
    assert fmt(small) == [path]
    assert path.read_bytes() == canonical
    assert fmt(small) == []
    assert fmt(small, check=True) == []


def test_fmt_is_atomic(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _files(small)[0]
    messy = json.dumps(json.loads(path.read_bytes()), indent=4)
    path.write_text(messy, "utf-8")
    before = sorted(p.name for p in path.parent.iterdir())

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        fmt(small)
    assert path.read_text("utf-8") == messy  # untouched
    assert sorted(p.name for p in path.parent.iterdir()) == before  # no temporary file left


def test_fmt_keeps_file_mode(small: Path) -> None:
    path = _files(small)[0]
    path.write_text(json.dumps(json.loads(path.read_bytes()), indent=4), "utf-8")
    path.chmod(0o640)
    fmt(small)
    assert path.stat().st_mode & 0o777 == 0o640


# ---- the command line --------------------------------------------------------------------------


def test_cli_lint_clean_and_dirty(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["corpus", "lint", "--corpus", str(small)]) == 0
    (small / "manifest.json").unlink()
    assert cli_main(["corpus", "lint", "--corpus", str(small)]) == 1
    out = capsys.readouterr().out
    assert "manifest.json: $: missing" in out


def test_cli_lint_json(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _files(small)[0].write_text("[]", "utf-8")
    assert cli_main(["corpus", "lint", "--corpus", str(small), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["clean"] is False
    assert {"file", "json_path", "message", "rule"} <= set(report["problems"][0])


def test_cli_fmt_check_and_manifest(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _files(small)[0]
    path.write_text(json.dumps(json.loads(path.read_bytes()), indent=4), "utf-8")
    assert cli_main(["corpus", "fmt", "--corpus", str(small), "--check"]) == 1
    assert "would reformat" in capsys.readouterr().out
    assert cli_main(["corpus", "fmt", "--corpus", str(small)]) == 0
    assert cli_main(["corpus", "fmt", "--corpus", str(small), "--check"]) == 0
    assert cli_main(["corpus", "manifest", "--corpus", str(small)]) == 0
    assert lint(small) == []


def test_cli_fmt_reports_unreadable_file(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _files(small)[0]
    path.write_text('{"format_version": 1}', "utf-8")
    assert cli_main(["corpus", "fmt", "--corpus", str(small)]) == 1
    err = capsys.readouterr().err
    assert path.name in err and "$.op" in err and "Traceback" not in err


def test_cli_fmt_with_an_unreadable_file_writes_nothing_and_says_all(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every file is read before any is written: with one that cannot be read, fmt rewrites
    nothing (not the files before it, unreported), names every unreadable file, and --check
    still lists the files it would reformat."""
    files = _files(small)
    messy, bad, worse = files[0], files[1], files[2]  # (read in this order)
    messy_text = json.dumps(json.loads(messy.read_bytes()), indent=4)
    messy.write_text(messy_text, "utf-8")
    bad.write_text('{"format_version": 1}', "utf-8")
    worse.write_text("not json", "utf-8")
    assert cli_main(["corpus", "fmt", "--corpus", str(small), "--check"]) == 1
    out, err = capsys.readouterr()
    assert out == f"would reformat {messy}\n"
    assert bad.name in err and worse.name in err
    assert err.endswith("2 file(s) cannot be read as cases (`corpus lint` says more)\n")
    assert cli_main(["corpus", "fmt", "--corpus", str(small)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.endswith(": nothing was reformatted\n")
    assert messy.read_text("utf-8") == messy_text


def _edit(path: Path, change: object) -> str:
    """Apply ``change(obj)`` to a case file's JSON; returns the new text (written)."""
    obj = json.loads(path.read_text("utf-8"))
    change(obj)  # type: ignore[operator]
    text = json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, "utf-8")
    return text


def _rejected(small: Path) -> Path:
    return next(p for p in _files(small) if '"error"' in p.read_text("utf-8"))


@pytest.mark.parametrize(
    ("change", "json_path", "message"),
    [
        (lambda o: o.update(notes="ticket 123"), "$.notes", "unknown field"),
        (lambda o: o["expect"]["error"].update(hint="x"), "$.expect.error.hint", "unknown field"),
        (lambda o: o["expect"].update(output="x"), "$.expect", "both `output` and `error`"),
        (lambda o: o["expect"].update(other="x"), "$.expect.other", "unknown field"),
        (lambda o: o["expect"]["error"].update(kind=7), "$.expect.error.kind", "expected a string"),
        (
            lambda o: o["expect"]["error"].update(kind="invalid_typo"),
            "$.expect.error.kind",
            'unknown kind "invalid_typo"',
        ),
        (lambda o: o.update(tags=["Bad Tag"]), "$.tags[0]", '"Bad Tag": not a-z, 0-9 and -'),
        (lambda o: o.update(tags=["a", "a"]), "$.tags[1]", '"a" is given twice'),
        (lambda o: o.update(description="two\nlines"), "$.description", "one line"),
    ],
)
def test_a_case_file_off_the_schema_is_refused_where_it_is_wrong(
    small: Path, capsys: pytest.CaptureFixture[str], change: object, json_path: str, message: str
) -> None:
    """Loading holds a case file to the schema's structure: a field the kit does not read is
    not dropped by `corpus fmt` nor ignored by `verify`, and a kind or tag outside the
    schema is the corpus's mistake, not a failure of the implementation."""
    path = _rejected(small)
    text = _edit(path, change)
    with pytest.raises(ValueError) as caught:
        load_case(path)
    assert f"{path}: {json_path}: " in str(caught.value) and message in str(caught.value)
    problems = [p for p in lint(small) if p.rule != "manifest"]
    assert [(p.json_path, p.rule) for p in problems] == [(json_path, "schema")]
    assert message in problems[0].message and "'" not in problems[0].message.replace("'s ", "")
    assert cli_main(["corpus", "fmt", "--corpus", str(small)]) == 1
    assert path.read_text("utf-8") == text  # kept as it was
    assert cli_main(["verify", "--corpus", str(small)]) == 2
    err = capsys.readouterr().err
    assert f"{json_path}: " in err and "Traceback" not in err


def test_fmt_keeps_an_error_given_by_kind_only(small: Path) -> None:
    """The message of an expected error is optional in the schema: fmt writes none, not a
    null that the schema refuses (lint then asks for the reference's message)."""
    path = _rejected(small)
    _edit(path, lambda o: o["expect"]["error"].pop("message"))
    write_manifest(small)
    fmt(small)
    assert '"message"' not in path.read_text("utf-8")
    assert json.loads(path.read_text("utf-8"))["expect"]["error"].keys() == {"kind"}
    write_manifest(small)
    problems = lint(small)
    assert [(p.json_path, p.rule) for p in problems] == [("$.expect.error", "reference")]
    assert "no expected message" in problems[0].message


def test_a_report_names_the_corpus_as_it_was_read(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report's corpus digest is that of the case files run, not the manifest's: after an
    edit the manifest no longer describes them, and its version is not claimed."""
    manifest = json.loads((small / "manifest.json").read_text("utf-8"))

    def reported() -> dict[str, str]:
        assert cli_main(["verify", "--corpus", str(small), "--format", "json"]) == 0
        corpus: dict[str, str] = json.loads(capsys.readouterr().out)["corpus"]
        return corpus

    assert reported() == {
        "version": manifest["corpus_version"],
        "sha256": manifest["sha256"],
        "cases": manifest["count"],
    }
    _edit(_files(small)[0], lambda o: o.update(description="edited since the manifest"))
    edited = hashlib.sha256()
    for path in _files(small):
        edited.update(path.relative_to(small).as_posix().encode() + b"\0" + path.read_bytes())
    assert reported() == {
        "version": "unknown",
        "sha256": edited.hexdigest(),
        "cases": manifest["count"],
    }


def test_an_id_twice_in_one_corpus_is_refused_everywhere(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import conformance

    first = _files(small)[0]
    copy = small / "cases" / "decode_batch" / first.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(first, copy)
    with pytest.raises(ValueError, match=f"also in {first}"):
        load_corpus(small)
    with pytest.raises(conformance.UsageError, match=f"also in {first}"):
        conformance.load_corpus(small)
    with pytest.raises(conformance.UsageError, match=f"also in {first}"):
        conformance.verify(corpus=small)
    assert cli_main(["verify", "--corpus", str(small)]) == 2
    assert f"also in {first}" in capsys.readouterr().err
    # a folder named twice is read once, not a clash with itself
    copy.unlink()
    other = tmp_path / "other"
    shutil.copytree(small / "cases" / "decode_event", other / "cases" / "decode_event")
    shutil.rmtree(small / "cases" / "decode_event")
    write_manifest(small)
    argv = ["verify", "--corpus", str(small), "--format", "json"]
    assert cli_main([*argv, "--extra-corpus", str(other), "--extra-corpus", f"{other}/"]) == 0
    ran = json.loads(capsys.readouterr().out)["corpus"]["cases"]
    assert ran == len(_files(small)) + len(_files(other))


def test_cli_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["corpus", "lint", "--corpus", str(tmp_path / "nowhere")]) == 2
    assert "not a corpus folder" in capsys.readouterr().err


# ---- the build ---------------------------------------------------------------------------------


def test_build_is_reproducible(tmp_path: Path) -> None:
    build = _build_module()
    src = ROOT / "fixtures" / "src"
    first = tmp_path / "first"
    build.build(src, first)
    assert build.build(src, first) == []
    files = {p.relative_to(first): p.read_bytes() for p in _files(first)}
    bundled = {p.relative_to(CORPUS): p.read_bytes() for p in _files(CORPUS)}
    assert files == bundled


def test_build_fails_when_the_reference_disagrees(tmp_path: Path) -> None:
    build = _build_module()
    src = tmp_path / "src"
    src.mkdir()
    (src / "x.yaml").write_text(
        "groups:\n  - cases:\n"
        "      - {op: canonical_value, slug: wrong, level: required, description: d,"
        " input: '1.0', expect: {output: '1'}}\n",
        "utf-8",
    )
    with pytest.raises(build.BuildError, match=r"the reference writes '1\.0'"):
        build.build(src, tmp_path / "out")
    assert not (tmp_path / "out" / "cases").exists()
