"""--noetl-events-corpus, --noetl-events-level and --noetl-events-select."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.corpus._case import Case

from .conftest import REFERENCE


def test_level_required_keeps_only_required_cases(
    corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-level",
        "required",
    )
    result.assert_outcomes(passed=sum(c.level == "required" for c in cases))
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-level",
        "recommended",
    )
    result.assert_outcomes(passed=sum(c.level != "acceptable" for c in cases))


def test_select_by_glob_and_substring(
    corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-select",
        "payload",
    )
    result.assert_outcomes(passed=1)
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-select",
        "*-alias-*",
    )
    result.assert_outcomes(passed=1)


def test_a_selection_matching_nothing_is_a_usage_error(
    corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-select",
        "nothing-*",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no corpus case matches" in result.stderr.str()


def test_a_broken_case_file_is_named(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    bad = root / "cases" / "decode_event" / "broken.json"
    bad.write_text('{"format_version": 1, "id": "broken", "op": "decode_event"}')
    result = run("--noetl-events-impl", REFERENCE, "--noetl-events-corpus", root)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "broken.json" in result.stderr.str() and "$.level" in result.stderr.str()


def test_bundled_corpus_is_the_default(run: Callable[..., pytest.RunResult]) -> None:
    result = run(
        "--noetl-events-impl",
        "python:noetl_events_ref._ops:run_op",
        "--noetl-events-select",
        "crate-*",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1 and "failed" not in outcomes


def test_corpus_fixture_and_parametrize_helper(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    pytester.makepyfile(
        f"""
        import pytest
        from pathlib import Path
        from conformance.pytest_plugin import corpus_params
        from noetl_events_ref import decode_event, encode_event, EnvelopeError

        def test_filter(noetl_events_corpus):
            assert len(noetl_events_corpus.filter(op="decode_event")) == {sum(c.op == "decode_event" for c in cases)}
            assert noetl_events_corpus.filter(level="required", tags=["plugin"])

        @pytest.mark.parametrize("case", corpus_params(op="decode_event", corpus=Path({str(root)!r})))
        def test_each(case):
            try:
                assert encode_event(decode_event(case.input)) == case.output
            except EnvelopeError as e:
                assert e.kind == case.error_kind
        """
    )
    result = run("--noetl-events-corpus", root)
    result.assert_outcomes(passed=1 + sum(c.op == "decode_event" for c in cases))


def test_corpus_params_says_what_is_wrong_with_its_arguments(tmp_path: Path) -> None:
    """A wrong argument is a UsageError naming it (not a KeyError or a TypeError from inside),
    and a corpus folder may be given as text. (No pytester here: its restoring of sys.modules
    would drop the modules this test loads, and the next test would get second copies.)"""
    from conformance.core._usage import UsageError
    from conformance.pytest_plugin import corpus_params

    from .conftest import write_corpus

    root = tmp_path / "corpus"
    cases = write_corpus(root)
    assert len(corpus_params(corpus=str(root))) == len(cases)
    a_file = next(root.rglob("*.json"))
    for kwargs, message in (
        ({"level": "bogus"}, 'unknown level "bogus" (one of required, recommended, all)'),
        ({"op": "decode_evnt"}, 'unknown op "decode_evnt" (one of '),
        ({"corpus": str(tmp_path / "nowhere")}, f"{tmp_path / 'nowhere'}: no such corpus folder"),
        ({"corpus": a_file}, f"{a_file}: not a folder"),
        ({"tags": "plugin"}, 'tags is a list of tag names, not one text: tags=["plugin"]'),
        ({"op": "decode_event", "tags": ("nosuchtag",)}, 'no corpus case has the tag "nosuchtag"'),
        ({"select": "zzz-none"}, 'no corpus case matches select="zzz-none"'),
        (
            {"op": "canonical_value", "level": "required"},
            'no corpus case matches op="canonical_value", level="required"',
        ),
    ):
        with pytest.raises(UsageError, match="^" + re.escape(f"corpus_params: {message}")):
            corpus_params(**{"corpus": root, **kwargs})  # type: ignore[arg-type]
    broken = tmp_path / "broken"
    shutil.copytree(root, broken)
    next(broken.rglob("*.json")).write_text("{}", "utf-8")
    with pytest.raises(UsageError, match="cannot read the corpus"):
        corpus_params(corpus=broken)


def test_the_corpus_fixtures_filter_says_what_is_wrong_with_its_arguments(
    tmp_path: Path,
) -> None:
    """As corpus_params: a UsageError naming the mistake, not [] or a KeyError."""
    from conformance.core._usage import UsageError
    from conformance.plugin._items import CorpusView

    from .conftest import write_corpus

    root = tmp_path / "corpus"
    cases = write_corpus(root)
    view = CorpusView.load(root)
    assert len(view.filter(tags=["plugin"])) == len(cases)
    assert len(view.filter(tags=iter(["plugin"]), op="decode_request")) == 1
    for kwargs, message in (
        ({"level": "x"}, 'unknown level "x" (one of required, recommended, all)'),
        ({"op": "nope"}, 'unknown op "nope" (one of '),
        ({"tags": "timestamp"}, 'tags is a list of tag names, not one text: tags=["timestamp"]'),
        ({"tags": ["plugin", "nosuchtag"]}, 'no corpus case has the tag "nosuchtag"'),
        ({"select": "zzz-none"}, 'no corpus case matches select="zzz-none"'),
    ):
        with pytest.raises(
            UsageError, match="^" + re.escape(f"noetl_events_corpus.filter: {message}")
        ):
            view.filter(**kwargs)  # type: ignore[arg-type]


def test_a_mistake_in_filter_shows_the_tests_line_not_the_kits(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    pytester.makepyfile(
        test_mine="""
        def test_filter(noetl_events_corpus):
            noetl_events_corpus.filter(tags="timestamp")
        """
    )
    result = run("--noetl-events-corpus", root)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "UsageError: noetl_events_corpus.filter: tags is a list of tag names" in out
    assert 'noetl_events_corpus.filter(tags="timestamp")' in out
    assert "_items.py" not in out


@pytest.mark.parametrize("form", ["option", "ini"])
def test_a_corpus_folder_that_is_not_one_is_a_usage_error_without_an_implementation(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    run: Callable[..., pytest.RunResult],
    form: str,
) -> None:
    root, _ = corpus
    pytester.makepyfile(
        test_mine="def test_corpus(noetl_events_corpus):\n    assert noetl_events_corpus\n"
    )
    empty = pytester.mkdir("empty")
    for folder, what in (
        (pytester.path / "nonexistent", "no such corpus folder"),
        (empty, "not a corpus: it has no cases/ folder"),
        (next(root.rglob("*.json")), "not a folder"),
    ):
        if form == "ini":
            pytester.makeini(f"[pytest]\nnoetl_events_corpus = {folder}\n")
            result = run()
            where = "noetl_events_corpus in tox.ini"
        else:
            result = run("--noetl-events-corpus", folder)
            where = "--noetl-events-corpus"
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"ERROR: {where} {folder}: {what}"])
        assert "$" not in result.stderr.str()
    pytester.makeini("[pytest]\n")
    result = run("--noetl-events-extra-corpus", empty)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --noetl-events-extra-corpus {empty}: not a corpus: *"])


def test_a_broken_corpus_is_one_clean_line_in_the_fixture(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    (root / "cases" / "decode_event" / "broken.json").write_text("{}", "utf-8")
    pytester.makepyfile(
        test_mine="def test_corpus(noetl_events_corpus):\n    assert noetl_events_corpus\n"
    )
    result = run("--noetl-events-corpus", root)
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "noetl_events_corpus: cannot read the corpus: " in out and "broken.json" in out
    assert "Traceback" not in out and "_items.py" not in out and "_case.py" not in out


def test_extra_corpus_runs_beside_the_corpus(
    pytester: pytest.Pytester,
    corpus: tuple[Path, list[Case]],
    run: Callable[..., pytest.RunResult],
) -> None:
    from .conftest import write_corpus

    root, cases = corpus
    extra = write_corpus(
        pytester.path / "mine", [("my-own", "canonical_value", "[1,2]", "required")]
    )
    result = run(
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "--noetl-events-extra-corpus",
        pytester.path / "mine",
    )
    result.assert_outcomes(passed=len(cases) + 1)
    # the ini form, relative to the ini file
    pytester.makeini("[pytest]\nnoetl_events_extra_corpus =\n    mine\n")
    result = run("--noetl-events-impl", REFERENCE, "--noetl-events-corpus", root, "-v")
    result.assert_outcomes(passed=len(cases) + 1)
    assert any(
        f"canonical_value::{extra[0].id}" in line and "PASSED" in line
        for line in result.stdout.lines
    )


def _tagged_corpus(root: Path) -> list[Case]:
    from .conftest import make_case

    specs = [
        ("a", "canonical_value", "[1]", "required", ("ts-offset",)),
        ("b", "canonical_value", "[2]", "recommended", ("ts-offset", "float")),
        ("c", "canonical_value", "[3]", "required", ("float",)),
        ("d", "canonical_value", "[4]", "acceptable", ("skip",)),  # a tag named like a marker
    ]
    made = [make_case(*spec) for spec in specs]
    for c in made:
        path = root / "cases" / c.op / f"{c.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(c.to_text(), encoding="utf-8")
    return made


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (("-k", "ts-offset"), "ab"),
        (("-k", "float and not recommended"), "c"),
        (("-m", "required"), "ac"),
        (("-m", "ts-offset and not required"), "b"),
        (("-m", "acceptable"), "d"),
        (("-k", "skip"), "d"),
    ],
)
def test_k_and_m_select_by_level_and_tag(
    pytester: pytest.Pytester,
    run: Callable[..., pytest.RunResult],
    selection: tuple[str, str],
    expected: str,
) -> None:
    root = pytester.path / "tagged"
    cases = _tagged_corpus(root)
    result = run(
        "--strict-markers",
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
        "-v",
        *selection,
    )
    ran = sorted(c.id[0] for c in cases if any(c.id in line for line in result.outlines))
    assert "".join(ran) == expected, result.stdout.str()
    result.assert_outcomes(passed=len(expected))  # the tag "skip" does not skip the case


def test_collect_only_counts_the_case_items(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]]
) -> None:
    root, cases = corpus
    pytester.makepyfile("def test_own(): pass")
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--collect-only",
        "--noetl-events-impl",
        REFERENCE,
        "--noetl-events-corpus",
        root,
    )
    assert f"collected {len(cases) + 1} items" in result.stdout.str()
    assert f"{len(cases) + 1} tests collected" in result.stdout.str()


def test_a_printed_node_id_runs_that_case_alone(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, cases = corpus
    pytester.makepyfile(test_app="def test_app(): pass")
    options = ("--noetl-events-impl", REFERENCE, "--noetl-events-corpus", root)
    one = next(c for c in cases if c.op == "decode_request")
    node = f"noetl-events-corpus::{one.op}::{one.id}"
    result = run(*options, node, "-v")
    result.assert_outcomes(passed=1)  # neither test_app.py nor the other cases
    result.stdout.re_match_lines([rf".*({re.escape(node)} PASSED|PASSED {re.escape(node)})"])
    # an op's node id runs its cases; the corpus's, all of them; beside a test file, both
    events = sum(c.op == "decode_event" for c in cases)
    run(*options, "noetl-events-corpus::decode_event").assert_outcomes(passed=events)
    run(*options, "noetl-events-corpus").assert_outcomes(passed=len(cases))
    run(*options, node, "test_app.py").assert_outcomes(passed=2)
    # with the implementation in the ini file, as when no path is named
    pytester.makeini(f"[pytest]\nnoetl_events_impl = {REFERENCE}\nnoetl_events_corpus = {root}\n")
    run(node).assert_outcomes(passed=1)


def test_a_node_id_printed_from_a_subfolder_runs_that_case(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]]
) -> None:
    """From a folder below the rootdir pytest prints ``../noetl-events-corpus::...``."""
    root, cases = corpus
    pytester.makeini(f"[pytest]\nnoetl_events_impl = {REFERENCE}\nnoetl_events_corpus = {root}\n")
    one = next(c for c in cases if c.op == "decode_request")
    sub = pytester.mkdir("tests")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", f"../noetl-events-corpus::{one.op}::{one.id}"
        )
    result.assert_outcomes(passed=1)


def test_a_node_id_naming_no_case_is_a_usage_error(
    corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    node = "noetl-events-corpus::decode_event::no-such-case"
    result = run("--noetl-events-impl", REFERENCE, "--noetl-events-corpus", root, node)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: not found: {node} (no corpus item*"])
    result = run(node)  # no implementation: nothing would run it
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: {node} names corpus items: they need --noetl-events-impl*"]
    )


def test_a_bad_level_names_where_it_was_given(
    pytester: pytest.Pytester, corpus: tuple[Path, list[Case]], run: Callable[..., pytest.RunResult]
) -> None:
    root, _ = corpus
    options = ("--noetl-events-impl", REFERENCE, "--noetl-events-corpus", root)
    result = run(*options, "--noetl-events-level", "bogus")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ['ERROR: --noetl-events-level must be required, recommended or all, not "bogus"']
    )
    pytester.makeini("[pytest]\nnoetl_events_level = bogus\n")
    result = run(*options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ['ERROR: noetl_events_level in tox.ini must be required, recommended or all, not "bogus"']
    )
    run(*options, "--noetl-events-level", "required").assert_outcomes(
        passed=sum(c.level == "required" for c in corpus[1])
    )  # the command line wins over the ini file


def test_corpus_params_reads_tags_given_as_an_iterator_once() -> None:
    from conformance.pytest_plugin import corpus_params

    listed = corpus_params(tags=["null-vs-absent"])
    assert 0 < len(listed) < len(corpus_params())
    assert [p.id for p in corpus_params(tags=iter(["null-vs-absent"]))] == [p.id for p in listed]
