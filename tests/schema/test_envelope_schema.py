"""The envelope's JSON Schemas, proved by the corpus (whose expectations come from the real
crates), cross-checked by generating instances from them (hypothesis-jsonschema, decoded by the
reference) and by a second validator from another ecosystem (ajv under Node.js)."""

from __future__ import annotations

import calendar
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import _from_schema, from_schema
from jsonschema import Draft202012Validator

from conformance.cli import main
from conformance.corpus._case import Case, default_corpus_dir, load_corpus
from conformance.schema import KINDS, MODES, envelope_schema
from noetl_events_ref import BatchEventRequest, EnvelopeError, Timestamp
from noetl_events_ref._ops import run_op

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).parent / "node"

# The op's input is read as this type; its output is written as that type.
READS = {
    "decode_event": "event",
    "event_to_request": "event",
    "decode_request": "request",
    "request_to_event": "request",
    "decode_batch": "batch",
}
WRITES = {
    "decode_event": "event",
    "event_to_request": "request",
    "decode_request": "request",
    "request_to_event": "event",
    "decode_batch": "batch",
}
# Rejections a schema can see: the shape, the types, the ranges, the timestamp syntax.
STRUCTURAL = {
    "missing_field",
    "invalid_type",
    "invalid_length",
    "invalid_value",
    "duplicate_field",
    "invalid_timestamp",
}


class _ManyWithMore:
    """hypothesis-jsonschema 0.23 drives Hypothesis' private ``many`` through ``more()``, which
    newer Hypothesis replaced by a context manager and an iterator; this gives it ``more()``
    on top of those (used only when ``many`` has no ``more``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._many = conjecture_utils.many(*args, **kwargs)
        self._many.__enter__()  # type: ignore[attr-defined]
        self._steps = iter(self._many)  # type: ignore[call-overload]

    def more(self) -> bool:
        try:
            next(self._steps)
        except StopIteration:
            self._many.__exit__(None)  # type: ignore[attr-defined]
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)  # type: ignore[call-arg]


if not hasattr(conjecture_utils.many, "more"):
    _from_schema.cu = type("cu", (), {"many": _ManyWithMore})  # type: ignore[attr-defined]


def validator(kind: str, mode: str) -> Draft202012Validator:
    return Draft202012Validator(envelope_schema(kind, mode))


VALIDATORS = {(k, m): validator(k, m) for k in KINDS for m in MODES}


class _Marks:
    def __init__(self) -> None:
        self.duplicate_key = False
        self.integral_float = False


def parse_marked(text: str) -> tuple[Any, _Marks]:
    """``text`` parsed by Python's json, noting what JSON Schema cannot see: a repeated key in
    any object, and a number serde reads as a float but JSON Schema calls an integer (``1.0``,
    ``1e3``, ``-0``)."""
    marks = _Marks()

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in items}) != len(items):
            marks.duplicate_key = True
        return dict(items)

    def parse_float(literal: str) -> float:
        value = float(literal)
        if value.is_integer():
            marks.integral_float = True
        return value

    def parse_int(literal: str) -> int:
        if literal == "-0":
            marks.integral_float = True
        return int(literal)

    value = json.loads(text, object_pairs_hook=pairs, parse_float=parse_float, parse_int=parse_int)
    return value, marks


_DATE = re.compile(r"^\s*([+-]?[0-9]+)\s*-\s*([0-9]{1,2})\s*-\s*([0-9]{1,2})[Tt ]")


def impossible_date(value: Any) -> bool:
    """A ``created_at`` whose day does not exist in its month and year (29 February of a
    common year): regular expressions cannot count leap years."""
    if not isinstance(value, dict) or not isinstance(value.get("created_at"), str):
        return False
    m = _DATE.match(value["created_at"])
    if m is None:
        return False
    year, month, day = (int(g) for g in m.groups())
    return 1 <= month <= 12 and day > calendar.monthrange(year % 400 + 2000, month)[1]


def judgeable(case: Case) -> tuple[Any, str | None]:
    """The parsed input, and why JSON Schema cannot judge the case (``None``: it can)."""
    try:
        value, marks = parse_marked(case.input)
    except (ValueError, RecursionError):
        return None, "not JSON to a standard parser"
    if case.accepts:
        return value, None
    if case.error_kind not in STRUCTURAL | {"conversion"}:
        return value, f"{case.error_kind}: below the level of parsed JSON"
    if marks.duplicate_key:
        return value, "duplicate keys"
    if marks.integral_float:
        return value, "number spelling"
    if case.error_kind == "invalid_timestamp" and impossible_date(value):
        return value, "calendar (leap years)"
    return value, None


def corpus_cases() -> Iterator[Case]:
    for case in load_corpus(default_corpus_dir()):
        if case.op in READS:
            yield case


def test_every_schema_is_valid_2020_12() -> None:
    for kind in KINDS:
        for mode in MODES:
            schema = envelope_schema(kind, mode)
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            Draft202012Validator.check_schema(schema)


def test_the_corpus_proves_the_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    """Every accepted input validates under accept and its canonical output under emit (and
    accept); every structural rejection JSON Schema can judge fails accept; every input that
    decodes but fails conversion validates."""
    figures: Counter[str] = Counter()
    problems: list[str] = []
    for case in corpus_cases():
        value, why_not = judgeable(case)
        reads = VALIDATORS[READS[case.op], "accept"]
        if case.accepts:
            assert case.output is not None
            valid = reads.is_valid(value)
            if not valid:
                problems.append(f"{case.id}: accepted input fails {READS[case.op]}/accept")
            figures["accepted input validates under accept"] += 1
            output = json.loads(case.output)
            for mode in MODES:
                if not VALIDATORS[WRITES[case.op], mode].is_valid(output):
                    problems.append(f"{case.id}: output fails {WRITES[case.op]}/{mode}")
            figures["canonical output validates under emit and accept"] += 1
        elif why_not is not None:
            figures[f"rejected, not judgeable: {why_not}"] += 1
        elif case.error_kind == "conversion":
            if not reads.is_valid(value):
                problems.append(f"{case.id}: decodes (conversion fails later) but fails accept")
            figures["rejected by conversion, decodes: validates under accept"] += 1
        else:
            if reads.is_valid(value):
                problems.append(f"{case.id}: {case.error_kind} rejection validates under accept")
            figures[f"rejected ({case.error_kind}): fails accept"] += 1
    with capsys.disabled():
        print("\nenvelope schemas against the corpus:")
        for what, n in sorted(figures.items()):
            print(f"  {n:5d}  {what}")
    assert not problems, "\n".join(problems)
    assert figures["accepted input validates under accept"] >= 300
    assert sum(n for what, n in figures.items() if what.endswith("fails accept")) >= 100


def test_emit_is_stricter_than_accept() -> None:
    """Shapes a reader takes but the writer never produces: emit refuses them."""
    base = {
        "execution_id": 1,
        "event_type": "e",
        "step": "s",
        "status": "RUNNING",
        "created_at": "2026-05-31T03:14:15Z",
        "context": None,
    }
    for changed in (
        {"event_id": None},
        {"payload": 1, "context": None},
        {"unknown": 1},
        {"created_at": "2026-05-31 03:14:15+02:00"},
        {"created_at": "2026-05-31T03:14:15.5Z"},
        {"meta": None},
    ):
        doc = {**base, **changed}
        if "payload" in changed:
            del doc["context"]
            doc["payload"] = 1
        assert VALIDATORS["event", "accept"].is_valid(doc), changed
        assert not VALIDATORS["event", "emit"].is_valid(doc), changed


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decoded_by_reference(kind: str, text: str) -> str | None:
    """What the reference writes back for ``text``; for a batch (which the reference reads but
    does not write) ``None`` once its fields are checked against the document."""
    if kind == "batch":
        batch = BatchEventRequest.decode(text)
        doc = json.loads(text)
        assert (batch.execution_id, batch.worker_id) == (doc["execution_id"], doc.get("worker_id"))
        assert [(e.step, e.event_type, e.actionable, e.informative) for e in batch.events] == [
            (e["step"], e["event_type"], e["actionable"], e["informative"]) for e in doc["events"]
        ]
        return None
    op = "decode_event" if kind == "event" else "decode_request"
    out = run_op(op, text)
    if not out.ok:
        raise EnvelopeError(str(out.kind), "$", str(out.message))
    assert out.output is not None
    return out.output


def _created_at(doc: Any) -> Any:
    if isinstance(doc, dict):
        return doc.get("created_at")
    if isinstance(doc, list) and len(doc) > 4:
        return doc[4] if isinstance(doc[4], str) else doc[-1]
    return None


def _in_chrono_range(doc: Any) -> bool:
    """Calendar checks a pattern cannot make: leap days and chrono's year range."""
    ts = _created_at(doc)
    if not isinstance(ts, str):
        return True
    m = _DATE.match(ts)
    if m is None:
        return True
    year = int(m.group(1))
    return -262143 <= year <= 262142 and not impossible_date({"created_at": ts})


@pytest.mark.parametrize("kind", KINDS)
def test_instances_drawn_from_emit_decode_in_the_reference(kind: str) -> None:
    """hypothesis-jsonschema draws documents from the emit schema; the reference decodes every
    one, and what it writes back validates under emit again."""

    @SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        doc = data.draw(from_schema(envelope_schema(kind, "emit")).filter(_in_chrono_range))
        text = json.dumps(doc)
        written = _decoded_by_reference(kind, text)
        if written is not None:
            assert VALIDATORS[kind, "emit"].is_valid(json.loads(written)), written
        assert VALIDATORS[kind, "accept"].is_valid(doc), "emit is not within accept"

    check()


def _object_form(kind: str) -> dict[str, Any]:
    """The accept schema's object form (hypothesis-jsonschema 0.23 does not read 2020-12's
    ``prefixItems``, so the positional form is left to the corpus and ajv)."""
    schema = envelope_schema(kind, "accept")
    common = {k: schema[k] for k in ("$schema", "$defs") if k in schema}
    return {**common, **schema["anyOf"][0]}


@pytest.mark.parametrize("kind", KINDS)
def test_instances_drawn_from_accept_decode_in_the_reference(kind: str) -> None:
    """hypothesis-jsonschema draws documents from the accept schema (aliases, nulls, unknown
    keys, relaxed timestamps); the reference reads every one."""
    schema = _object_form(kind)

    @SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        doc = data.draw(from_schema(schema).filter(_in_chrono_range))
        text = json.dumps(doc)
        if kind == "batch":
            BatchEventRequest.decode(text)
        else:
            out = run_op("decode_event" if kind == "event" else "decode_request", text)
            assert out.ok, (out.kind, out.message, text)

    check()


def test_the_schema_command_prints_each_schema(capsys: pytest.CaptureFixture[str]) -> None:
    for kind in KINDS:
        for mode in MODES:
            assert main(["schema", kind, "--mode", mode]) == 0
            assert json.loads(capsys.readouterr().out) == envelope_schema(kind, mode)
    assert main(["schema", "event"]) == 0
    assert json.loads(capsys.readouterr().out) == envelope_schema("event", "accept")


def test_the_schema_command_refuses_an_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "row"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'row'" in capsys.readouterr().err


def test_the_schema_command_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "event.schema.json"
    assert main(["schema", "request", "--mode", "emit", "--output", str(out)]) == 0
    assert json.loads(out.read_text("utf-8")) == envelope_schema("request", "emit")
    assert main(["schema", "event", "--output", str(tmp_path / "no" / "x.json")]) == 2


# ---- a second validator: ajv under Node.js -------------------------------------------------------


def _node_and_ajv() -> str:
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (NODE_DIR / "node_modules" / "ajv" / "package.json").is_file():
        missing = f"ajv is not installed: run `npm ci --prefix {NODE_DIR.relative_to(ROOT)}`"
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI: {missing}", pytrace=False)
        pytest.skip(missing)
    assert node is not None
    return node


_NEAR_I64_LIMITS = re.compile(r"-?[0-9]{19,}")


def test_ajv_agrees_with_python_jsonschema_on_the_corpus(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every judgeable input and every canonical output, under both modes, gets the same
    verdict from ajv as from Python's jsonschema. Left out: integers of 19 digits or more, which
    JavaScript reads as doubles (so i64 and u64 limits blur)."""
    node = _node_and_ajv()
    schemas = {f"{k}/{m}": envelope_schema(k, m) for k in KINDS for m in MODES}
    instances: list[tuple[str, str]] = []
    for case in corpus_cases():
        _, why_not = judgeable(case)
        texts = [(READS[case.op], case.input)] if why_not is None else []
        if case.output is not None:
            texts.append((WRITES[case.op], case.output))
        for kind, text in texts:
            if _NEAR_I64_LIMITS.search(text):
                continue
            instances.extend((f"{kind}/{mode}", text) for mode in MODES)
    proc = subprocess.run(
        [node, str(NODE_DIR / "verdicts.js")],
        input=json.dumps({"schemas": schemas, "instances": instances}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    verdicts = json.loads(proc.stdout)
    assert len(verdicts) == len(instances) >= 1000
    differ = [
        f"{name}: ajv {'valid' if got else 'invalid'}: {text[:200]}"
        for (name, text), got in zip(instances, verdicts, strict=True)
        if got != VALIDATORS[tuple(name.split("/"))].is_valid(json.loads(text))  # type: ignore[index]
    ]
    assert not differ, "\n".join(differ[:20])
    assert sum(verdicts) and not all(verdicts)
    with capsys.disabled():
        print(
            f"\najv and jsonschema agree on {len(instances)} (schema, document) pairs "
            f"({sum(verdicts)} valid, {len(verdicts) - sum(verdicts)} invalid)"
        )


@pytest.mark.parametrize(
    "nanos", [0, 1, 999, 1_000, 1_000_000, 120_000_000, 123_456_000, 123_456_789, 999_999_999]
)
def test_emit_takes_the_one_spelling_the_writer_gives_each_instant(nanos: int) -> None:
    """chrono writes the fewest of 3, 6 or 9 fraction digits (none for 0): `.000Z` or
    `.120000Z` are never emitted, so emit refuses them."""
    pattern = envelope_schema("event", "emit")["properties"]["created_at"]["pattern"]
    written = Timestamp.from_parts(2026, 5, 31, 3, 14, 15, nanos).format()
    assert re.fullmatch(pattern, written), written
    digits = f"{nanos:09d}"
    spellings = {"2026-05-31T03:14:15" + (f".{digits[:n]}Z" if n else "Z") for n in (0, 3, 6, 9)}
    same_instant = {s for s in spellings if Timestamp.parse(s).nanosecond == nanos}
    assert {s for s in same_instant if re.fullmatch(pattern, s)} == {written}
