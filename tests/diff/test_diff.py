"""``diff`` and the structural-diff helpers."""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conformance.cli import _diff
from conformance.cli._main import build_parser, main
from conformance.core._diff import (
    Change,
    first_difference,
    json_changes,
    mark_first_difference,
    parse_or_none,
    to_json_path,
)
from noetl_events_ref import EnvelopeError, decode_event


def value(text: str) -> object:
    v, err = parse_or_none(text)
    assert err is None
    return v


def test_paths_are_json_paths() -> None:
    assert to_json_path(["a", 0, "b c"]) == '$.a[0]["b c"]'
    assert to_json_path([]) == "$"


@pytest.mark.parametrize(
    "key", ["__x", "a'\"b", "c\\'d", "g\\\\", "]", "['x']", "root", "\u2028", "0", "", "é"]
)
def test_every_key_is_compared_and_named_as_written(key: str) -> None:
    """A key starting with two underscores was ignored (equal, exit 0), and a key with a
    quote or a backslash was named wrong (``$`` or another key)."""
    left, right = {key: 1, "a": {key: [1]}}, {key: 2, "a": {key: [2]}}
    changes = json_changes(left, right)
    named = f"$.{key}" if key.isidentifier() else f"[{json.dumps(key, ensure_ascii=False)}]"
    named = named if named.startswith("$") else f"${named}"
    nested = f"$.a{named[1:]}[0]"
    assert sorted((c.path, c.left, c.right) for c in changes) == sorted(
        [(named, 1, 2), (nested, 1, 2)]
    )
    assert json_changes({"a": 1}, {"a": 1, key: 5}) == [Change(named, "added", None, 5)]


def test_a_private_looking_key_is_a_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json").write_text('{"__x":1,"a":1}')
    (tmp_path / "b.json").write_text('{"__x":2,"a":1}')
    code, out = run(capsys, str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert (code, out) == (1, "document:\n  $.__x: 1 != 2\n1 difference\n")


def test_changes_respect_serde_types_and_ignore_spelling() -> None:
    assert json_changes(value('{"a":1,"b":[1e2]}'), value('{"b":[100.0],"a":1}')) == []
    changes = {
        c.path: c
        for c in json_changes(value('{"a":1,"b":true,"c":0}'), value('{"a":1.0,"b":1,"d":0}'))
    }
    assert set(changes) == {"$.a", "$.b", "$.c", "$.d"}
    assert (changes["$.c"].kind, changes["$.d"].kind) == ("removed", "added")


@pytest.mark.parametrize(
    ("left", "right", "described"),
    [
        # array items 0 and 1 were reported at the array's own path, and merged into one
        (
            '{"x":[1,2,3,4]}',
            '{"x":[9,9,9,9]}',
            ["$.x[0]: 1 != 9", "$.x[1]: 2 != 9", "$.x[2]: 3 != 9", "$.x[3]: 4 != 9"],
        ),
        ("[1,2]", "[2,1]", ["$[0]: 1 != 2", "$[1]: 2 != 1"]),
        ("[true,1.5]", "[1,2.5]", ["$[0]: true != 1", "$[1]: 1.5 != 2.5"]),
        # objects sharing no key: key by key, not one replaced document
        ('{"a":1}', '{"b":1}', ["$.a: only on the left: 1", "$.b: only on the right: 1"]),
        # indices in number order
        (
            "[" + "0," * 10 + "0]",
            "[" + "0," * 2 + "1," + "0," * 7 + "1]",
            ["$[2]: 0 != 1", "$[10]: 0 != 1"],
        ),
    ],
)
def test_every_difference_has_its_own_path(left: str, right: str, described: list[str]) -> None:
    assert [c.describe() for c in json_changes(value(left), value(right))] == described


def test_first_difference_is_marked() -> None:
    assert first_difference("abc", "abc") is None
    assert first_difference("abc", "abd") == 2
    assert first_difference("ab", "abc") == 2
    marked = mark_first_difference('{"a":0.00001}', '{"a":1e-05}')
    expected_line, got_line, caret = marked.splitlines()
    assert got_line.startswith("     got: ")
    assert caret.index("^") == expected_line.index("0.00001")
    assert "first difference at character 5" in caret


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["diff", *args])
    return code, capsys.readouterr().out


def test_equal_documents_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.json").write_text('{"b":1,"a":[1,2]}')
    (tmp_path / "b.json").write_text('{ "a": [1, 2], "b": 1 }')
    assert run(capsys, str(tmp_path / "a.json"), str(tmp_path / "b.json")) == (0, "equal\n")


def test_streams_report_lines_and_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.jsonl").write_text('{"a":1}\n{"z":0.5}\n')
    with gzip.open(tmp_path / "b.jsonl.gz", "wt") as f:
        f.write('{"a":1}\n{"z":0.25}\n{"extra":1}\n')
    code, out = run(
        capsys, "--format", "json", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl.gz")
    )
    report = json.loads(out)
    assert code == 1 and report["equal"] is False
    assert [d["where"] for d in report["differences"]] == ["line 2", "line 3"]
    assert report["differences"][0]["changes"][0]["path"] == "$.z"


def test_golden_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for side, text in (("a", '{"k":1}'), ("b", '{"k":1.0}')):
        (tmp_path / side / "x").mkdir(parents=True)
        (tmp_path / side / "x" / "g.json").write_text(text)
    (tmp_path / "a" / "only.json").write_text("1")
    code, out = run(capsys, "--format", "markdown", str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 1
    assert "| only.json | | only on the left | |" in out
    assert "| x/g.json | `$.k` | `1` | `1.0` |" in out


def test_usage_errors_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f.json").write_text("1")
    assert main(["diff", str(tmp_path), str(tmp_path / "f.json")]) == 2
    assert main(["diff", str(tmp_path / "missing"), str(tmp_path / "f.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "s.jsonl").write_text("1\n")  # a stream and a document: not compared
    assert main(["diff", str(tmp_path / "f.json"), str(tmp_path / "s.jsonl")]) == 2
    assert f"{tmp_path / 's.jsonl'} is a JSON-lines stream and " in capsys.readouterr().err


ENVELOPE = (
    '{{"execution_id":1,"event_type":"e","step":"s","status":"x",'
    '"created_at":"2026-05-31T00:00:00{frac}Z","{field}":{{"v":{number}}}}}'
)


def test_diff_as_event_compares_envelopes_and_spells_values_as_serde(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    a.write_text(
        ENVELOPE.format(frac="", field="payload", number="1e-5")
        + "\n"
        + ENVELOPE.format(frac="", field="context", number="1e-5")
        + "\n"
    )
    b.write_text(
        ENVELOPE.format(frac=".000", field="context", number="0.00001")
        + "\n"
        + ENVELOPE.format(frac=".000", field="context", number="0.00002")
        + "\n"
    )
    # as plain JSON: the alias and the timestamp's spelling differ; the float is serde-spelt
    assert main(["diff", str(a), str(b)]) == 1
    plain = capsys.readouterr().out
    assert '$.payload: only on the left: {"v":0.00001}' in plain
    assert '$.created_at: "2026-05-31T00:00:00Z" != "2026-05-31T00:00:00.000Z"' in plain
    assert "1e-05" not in plain
    # as events: line 1 is the same event; line 2 differs in one value only
    assert main(["diff", "--as", "event", str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert out == "line 2:\n  $.context.v: 0.00001 != 0.00002\n1 difference\n"
    assert main(["diff", "--as", "event", "--format", "markdown", str(a), str(b)]) == 1
    assert "| line 2 | `$.context.v` | `0.00001` | `0.00002` |" in capsys.readouterr().out
    # as requests: the server's field name
    assert main(["diff", "--as", "request", str(a), str(b)]) == 1
    assert "$.payload.v: 0.00001 != 0.00002" in capsys.readouterr().out
    # a document that does not decode is named, with the reference's error
    b.write_text(
        '{"execution_id":"x"}\n' + ENVELOPE.format(frac="", field="context", number="1e-5") + "\n"
    )
    assert main(["diff", "--as", "event", str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "line 1: right does not decode as an event (invalid_type:" in out
    assert "line 2" not in out
    assert main(["diff", "--as", "request", str(a), str(b)]) == 1
    assert "line 1: right does not decode as a request (" in capsys.readouterr().out


def test_a_blank_line_is_not_a_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A blank line shifted every later line; records are now paired in order, each named by
    its own line number."""
    (tmp_path / "a.jsonl").write_text('{"a":1}\n\n{"a":2}\n{"a":3}\n')
    (tmp_path / "b.jsonl").write_text('{"a":1}\n{"a":2}\n{"a":4}\n\n')
    code, out = run(capsys, str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"))
    assert (code, out) == (1, "line 4 (right: line 3):\n  $.a: 3 != 4\n1 difference\n")
    (tmp_path / "c.jsonl").write_text('{"a":1}\n{"a":2}\n{"a":3}\n')
    assert run(capsys, str(tmp_path / "a.jsonl"), str(tmp_path / "c.jsonl")) == (0, "equal\n")


def test_broken_gzip_is_a_usage_error_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = gzip.compress(b'{"a":1}\n' * 1000)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "b.jsonl").write_text('{"a":1}\n')
    assert main(["diff", str(tmp_path / "cut.jsonl.gz"), str(tmp_path / "b.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"noetl-events-conformance: error: {tmp_path / 'cut.jsonl.gz'}: ")
    assert "unreadable gzip data at line 1: " in err and "Traceback" not in err


def test_streams_in_folders_are_compared_record_by_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for side, text in (("a", '{"k":1}\n{"k":2}\n'), ("b", '{"k":1}\n{"k":3}\n')):
        (tmp_path / side).mkdir()
        (tmp_path / side / "trail.jsonl").write_text(text)
    code, out = run(capsys, str(tmp_path / "a"), str(tmp_path / "b"))
    assert (code, out) == (1, "trail.jsonl: line 2:\n  $.k: 2 != 3\n1 difference\n")


BAD_UTF8 = b'{"execution_id":1,"event_type":"e\xff\xfe","step":"s"}'


def test_bytes_that_are_not_utf8_are_read_as_serde_reads_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid UTF-8 was a usage error naming no file, and a stream's line was decoded with
    replacement characters first, so its error column was not the reference's."""
    u1, u2 = b'{"a":"\xff"}', b'{"a":"\xfe"}'
    (tmp_path / "u1.json").write_bytes(u1)
    (tmp_path / "u2.json").write_bytes(u2)
    code, out = run(capsys, str(tmp_path / "u1.json"), str(tmp_path / "u2.json"))
    assert (code, out) == (
        1,
        f"document: left is not JSON ({parse_or_none(u1)[1]}); right is not JSON "
        f"({parse_or_none(u2)[1]}); texts differ\n1 difference\n",
    )
    assert run(capsys, str(tmp_path / "u1.json"), str(tmp_path / "u1.json")) == (0, "equal\n")
    (tmp_path / "a.jsonl").write_bytes(b"{}\n" + BAD_UTF8 + b"\n")
    (tmp_path / "b.jsonl").write_text(
        "{}\n" + ENVELOPE.format(frac="", field="context", number=1) + "\n"
    )
    code, out = run(capsys, str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"))
    assert (code, out) == (
        1,
        f"line 2: left is not JSON ({parse_or_none(BAD_UTF8)[1]}); texts differ\n1 difference\n",
    )
    with pytest.raises(EnvelopeError) as reference:
        decode_event(BAD_UTF8)  # the reference's error, at the reference's column
    code, out = run(capsys, "--as", "event", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"))
    e = reference.value
    assert (
        out == f"line 2: left does not decode as an event ({e.kind}: {e.message})\n1 difference\n"
    )


def _feed(fifo: Path, data: bytes) -> threading.Thread:
    def write() -> None:
        with contextlib.suppress(OSError), fifo.open("wb") as f:
            f.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def _unblock(fifo: Path, writer: threading.Thread) -> None:
    """Let a writer still waiting for a reader go (when diff failed before reading)."""
    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    writer.join(timeout=10)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("f.jsonl", b'{"a":1}\n{"a":2}\n'),
        ("f.jsonl.gz", gzip.compress(b'{"a":1}\n{"a":2}\n')),
        ("63", b'{"a":1}\n{"a":2}\n'),  # as <(...) names it: the shape of the other side
        ("f.json", b'{"a":1}'),
    ],
)
def test_a_pipe_is_read_as_it_comes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes
) -> None:
    """A FIFO was refused: 'File or stream is not seekable'."""
    other = tmp_path / ("b.json" if name.endswith(".json") else "b.jsonl")
    other.write_bytes(b'{"a":1}' if name.endswith(".json") else b'{"a":1}\n{"a":3}\n')
    fifo = tmp_path / name
    os.mkfifo(fifo)
    writer = _feed(fifo, data)
    code, out = run(capsys, str(fifo), str(other))
    _unblock(fifo, writer)
    if name.endswith(".json"):
        assert (code, out) == (0, "equal\n")
    else:
        assert (code, out) == (1, "line 2:\n  $.a: 2 != 3\n1 difference\n")


def test_a_symbolic_link_loop_is_named_with_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A loop was 'no such file or folder', and inside a folder it was taken for no file."""
    loop = os.strerror(errno.ELOOP)
    (tmp_path / "good.jsonl").write_text("{}\n")
    (tmp_path / "l1").symlink_to("l2")
    (tmp_path / "l2").symlink_to("l1")
    assert main(["diff", str(tmp_path / "good.jsonl"), str(tmp_path / "l1")]) == 2
    assert (
        capsys.readouterr().err == f"noetl-events-conformance: error: {tmp_path / 'l1'}: {loop}\n"
    )
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
    (tmp_path / "a" / "x.json").write_text("{}")
    (tmp_path / "b" / "x.json").symlink_to("y")
    (tmp_path / "b" / "y").symlink_to("x.json")
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err == f"noetl-events-conformance: error: {tmp_path / 'b' / 'x.json'}: {loop}\n"


@pytest.mark.parametrize("as_", ["event", "request"])
def test_the_same_text_never_differs_decoded_or_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_: str
) -> None:
    """'{}' against itself was '1 difference': both sides failed to decode, and the failures
    were reported as a difference."""
    (tmp_path / "e.json").write_text("{}\n")
    (tmp_path / "e.jsonl").write_text('{}\n{"execution_id":"x"}\n')
    for name in ("e.json", "e.jsonl"):
        path = str(tmp_path / name)
        assert run(capsys, "--as", as_, path, path) == (0, "equal\n")
    (tmp_path / "f.json").write_text("{ }\n")  # another text: both named, with why
    code, out = run(capsys, "--as", as_, str(tmp_path / "e.json"), str(tmp_path / "f.json"))
    assert code == 1 and "left does not decode as" in out and "right does not decode as" in out


def test_an_input_is_read_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """/dev/zero was read until memory ran out."""
    monkeypatch.setattr(_diff, "MAX_SIZE", 1 << 20)
    (tmp_path / "x.json").write_text("{}")
    (tmp_path / "big.json").write_text(" " * (1 << 20) + "{}")
    (tmp_path / "a.jsonl").write_text("{}\n" + " " * (1 << 20) + "{}\n")
    (tmp_path / "b.jsonl").write_text("{}\n{}\n")
    for other, name, where in (("x.json", "big.json", ""), ("b.jsonl", "a.jsonl", " line 2:")):
        assert main(["diff", str(tmp_path / other), str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"noetl-events-conformance: error: {tmp_path / name}:{where} over ")
    if Path("/dev/zero").exists():
        assert main(["diff", str(tmp_path / "x.json"), "/dev/zero"]) == 2
        assert "error: /dev/zero: over " in capsys.readouterr().err


def test_every_option_has_help() -> None:
    (diff,) = (
        a.choices["diff"]
        for a in build_parser("diff")._actions
        if isinstance(a.choices, dict) and "diff" in a.choices
    )
    assert all(action.help for action in diff._actions if action.option_strings)


def test_folders_follow_symbolic_links_to_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A golden folder that links to a shared one is compared through the link (it was left
    out: every file under it was 'only on the left')."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "e.json").write_text('{"a":1}')
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
    (tmp_path / "a" / "common").symlink_to(shared, target_is_directory=True)
    (tmp_path / "b" / "common").mkdir()
    (tmp_path / "b" / "common" / "e.json").write_text('{ "a": 1 }')
    assert run(capsys, str(tmp_path / "a"), str(tmp_path / "b")) == (0, "equal\n")
    (tmp_path / "b" / "common" / "e.json").write_text('{"a":2}')
    code, out = run(capsys, str(tmp_path / "a"), str(tmp_path / "b"))
    assert (code, out) == (1, "common/e.json:\n  $.a: 1 != 2\n1 difference\n")
    # the same folder reached twice, not inside itself, is no loop
    (tmp_path / "a" / "again").symlink_to(shared, target_is_directory=True)
    (tmp_path / "b" / "again").symlink_to(tmp_path / "b" / "common", target_is_directory=True)
    code, out = run(capsys, str(tmp_path / "a"), str(tmp_path / "b"))
    assert (code, out) == (
        1,
        "again/e.json:\n  $.a: 1 != 2\ncommon/e.json:\n  $.a: 1 != 2\n2 differences\n",
    )


def test_a_link_to_a_folder_it_is_inside_is_a_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for side in ("a", "b"):
        (tmp_path / side / "sub").mkdir(parents=True)
        (tmp_path / side / "sub" / "e.json").write_text("{}")
    (tmp_path / "b" / "sub" / "up").symlink_to(tmp_path / "b", target_is_directory=True)
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert capsys.readouterr().err == (
        f"noetl-events-conformance: error: {tmp_path / 'b' / 'sub' / 'up'}: a symbolic link "
        "to a folder it is inside (a loop)\n"
    )


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (
            b'{"a":1}\n{"a":2}\n',
            b'{"a":1}\n\n{"a":3}',
            (1, "line 2 (right: line 3):\n  $.a: 2 != 3\n1 difference\n"),
        ),
        (b'{"a":1}\n{"a":2}\n', b'{"a":1}\n{"a":2}\n', (0, "equal\n")),
        (b'{\n  "a": [1,\n 2]\n}\n', b'{"a":[1,2]}', (0, "equal\n")),
        (b'{"a":1}', b'{"a":2}\n', (1, "document:\n  $.a: 1 != 2\n1 difference\n")),
    ],
)
def test_two_pipes_are_documents_or_streams_by_their_texts(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    left: bytes,
    right: bytes,
    expected: tuple[int, str],
) -> None:
    """Nothing names the shape of <(...) <(...): two streams were read as two documents
    ("left is not JSON (trailing characters ...)")."""
    fifos = [tmp_path / "63", tmp_path / "64"]
    writers = []
    for fifo, data in zip(fifos, (left, right), strict=True):
        os.mkfifo(fifo)
        writers.append(_feed(fifo, data))
    result = run(capsys, *map(str, fifos))
    for fifo, writer in zip(fifos, writers, strict=True):
        _unblock(fifo, writer)
    assert result == expected


def test_a_long_value_is_shown_around_its_first_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Values were cut at 80 characters: two long texts that differ further on looked equal."""
    (tmp_path / "a.json").write_text(json.dumps({"s": "x" * 200 + "A" + "y" * 50}))
    (tmp_path / "b.json").write_text(json.dumps({"s": "x" * 200 + "B" + "y" * 50}))
    code, out = run(capsys, str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert code == 1
    line = out.splitlines()[1]
    left, right = line.removeprefix("  $.s: ").split(" != ")
    assert left != right and "A" in left and "B" in right
    assert left.replace("A", "B") == right and left.startswith("…") and left.endswith("…")
    assert len(left) == 80


def test_the_count_says_how_many_paths_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json").write_text('{"a":1,"b":2,"c":3}')
    (tmp_path / "b.json").write_text('{"a":2,"b":3,"c":4}')
    code, out = run(capsys, str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert (code, out.splitlines()[-1]) == (1, "3 differences in 1 document or record")


def test_markdown_cells_hold_pipes_and_backticks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `|` in a key or a file name broke the table; a backtick in a value was shown as `'`."""
    (tmp_path / "a|b.json").write_text('{"k|1":"a`b","n":1}')
    (tmp_path / "c.json").write_text('{"k|1":"a``c","n":2}')
    code = main(
        ["diff", "--format", "markdown", str(tmp_path / "a|b.json"), str(tmp_path / "c.json")]
    )
    rows = capsys.readouterr().out.splitlines()[2:]
    assert code == 1
    assert rows == [
        "| document | `$.n` | `1` | `2` |",
        '| document | `$["k\\|1"]` | `` "a`b" `` | ``` "a``c" ``` |',
    ]


def test_markdown_code_spans_keep_backslashes_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backslash is literal inside a code span: doubling it showed another key."""
    (tmp_path / "a.json").write_text('{"a\\"b":"x\\\\y"}')
    (tmp_path / "b.json").write_text('{"a\\"b":"z"}')
    assert (
        main(["diff", "--format", "markdown", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
        == 1
    )
    rows = capsys.readouterr().out.splitlines()[2:]
    assert rows == ['| document | `$["a\\"b"]` | `"x\\\\y"` | `"z"` |']


def test_two_pipes_of_gzip_data_are_read_decompressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """diff a.jsonl.gz <(cat b.jsonl.gz) decompressed; <(cat a.jsonl.gz) <(cat b.jsonl.gz)
    compared the compressed bytes ("left is not JSON")."""
    fifos = [tmp_path / "63", tmp_path / "64"]
    texts = (b'{"a":1}\n{"a":2}\n', b'{"a":1}\n{"a":3}\n')
    writers = []
    for fifo, text in zip(fifos, texts, strict=True):
        os.mkfifo(fifo)
        writers.append(_feed(fifo, gzip.compress(text)))
    result = run(capsys, *map(str, fifos))
    for fifo, writer in zip(fifos, writers, strict=True):
        _unblock(fifo, writer)
    assert result == (1, "line 2:\n  $.a: 2 != 3\n1 difference\n")


def test_text_shows_file_names_and_values_without_obeying_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
    (tmp_path / "a" / "x\x1b[2J.json").write_text('{"k":"\\u001b[31m"}')
    (tmp_path / "b" / "x\x1b[2J.json").write_text('{"k":"y"}')
    code, out = run(capsys, str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 1
    assert "\x1b" not in out
    assert out.splitlines()[:2] == ["x\\u001b[2J.json:", '  $.k: "\\u001b[31m" != "y"']


def test_dash_is_standard_input(tmp_path: Path) -> None:
    """`-` was "no such file or folder"."""
    stream = tmp_path / "s.jsonl"
    stream.write_text('{"a":1}\n{"a":2}\n')
    code = "import sys; from conformance.cli import main; sys.exit(main(sys.argv[1:]))"
    root = Path(__file__).resolve().parents[2]

    def diff(*args: str, given: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-c", code, "diff", *args],
            input=given,
            capture_output=True,
            cwd=root,
            check=False,
        )

    done = diff(str(stream), "-", given=b'{"a":1}\n{"a":3}\n')
    assert (done.returncode, done.stdout) == (1, b"line 2:\n  $.a: 2 != 3\n1 difference\n")
    done = diff("-", str(stream), given=stream.read_bytes())
    assert (done.returncode, done.stdout) == (0, b"equal\n")
    with stream.open("rb") as f:  # redirected from a file (`< s.jsonl`): as a pipe too
        done = subprocess.run(
            [sys.executable, "-c", code, "diff", str(stream), "-"],
            stdin=f,
            capture_output=True,
            cwd=root,
            check=False,
        )
    assert (done.returncode, done.stdout) == (0, b"equal\n")
    done = diff("-", "-", given=b"{}")
    assert done.returncode == 2
    assert done.stderr.endswith(b"-: standard input can be only one side\n")


def test_a_document_and_a_pipe_of_gzip_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """diff one.json <(gzip -c one.json) said "right is not JSON"."""
    (tmp_path / "one.json").write_text('{"a":1}')
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    writer = _feed(fifo, gzip.compress(b'{ "a" : 1 }'))
    result = run(capsys, str(tmp_path / "one.json"), str(fifo))
    _unblock(fifo, writer)
    assert result == (0, "equal\n")


def test_golden_folders_of_gzip_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """x.json.gz on both sides, written at two times: its compressed bytes differ, its
    document does not ("left is not JSON; texts differ")."""
    for side, mtime in (("a", 1), ("b", 2)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "x.json.gz").write_bytes(gzip.compress(b'{"a":1}', mtime=mtime))
    assert run(capsys, str(tmp_path / "a"), str(tmp_path / "b")) == (0, "equal\n")
