"""``python-model:`` SPECs: models written the common ways, run with no adapter code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.corpus._case import default_corpus_dir, load_corpus
from conformance.runner._spec import SpecError, parse_spec

MODELS = "python-model:tests.matrix.models"
FULL = (
    '{"execution_id":478775660589088776,"event_type":"command.completed","step":"fetch",'
    '"status":"COMPLETED","created_at":"2026-05-31T03:14:15.123456789Z",'
    '"context":{"result":{"items":42}},"event_id":478775660589088777,"worker_id":"w-7",'
    '"meta":{"attempts":3}}'
)


def _model(name: str) -> Any:
    return parse_spec(f"{MODELS}:{name}").target


def _kept(name: str, text: str = FULL) -> dict[str, Any]:
    outcome = _model(name)("consume", text)
    assert outcome.ok, outcome.message
    kept: dict[str, Any] = json.loads(outcome.output)
    return kept


def test_alias_choices_map_to_canonical_names_and_ids_are_coerced() -> None:
    assert _kept("ServerRequest") == {
        "execution_id": "478775660589088776",
        "event_type": "command.completed",
        "step": "fetch",
        "context": {"result": {"items": 42}},
        "worker_id": "w-7",
        "meta": {"attempts": 3},
    }


def test_the_other_alias_is_read_too() -> None:
    text = FULL.replace('"event_type"', '"name"').replace('"context"', '"payload"')
    assert _kept("ServerRequest")["event_type"] == "command.completed"
    assert _kept("ServerRequest", text)["context"] == {"result": {"items": 42}}


def test_alias_choices_in_the_other_order_and_a_datetime() -> None:
    kept = _kept("ReversedChoices")
    assert kept["event_type"] == "command.completed"
    assert kept["context"] == {"result": {"items": 42}}
    assert kept["created_at"] == "2026-05-31T03:14:15.123456Z"  # microseconds only
    assert "worker_id" not in kept  # a field the model lacks is absent


def test_extra_forbid_rejects_fields_the_model_lacks() -> None:
    outcome = _model("Strict")("consume", FULL)
    assert not outcome.ok
    assert "event_id" in outcome.message and "\n" not in outcome.message
    minimal = FULL.split(',"event_id"')[0] + "}"
    assert _model("Strict")("consume", minimal).ok


def test_defaults_fill_missing_fields() -> None:
    text = FULL.replace('"status":"COMPLETED",', "").replace(',"worker_id":"w-7"', "")
    kept = _kept("Defaulted", text)
    assert kept["status"] == "UNKNOWN"
    assert kept["worker_id"] == "server"


@pytest.mark.parametrize("name", ["DataclassEvent", "StructEvent"])
def test_dataclass_and_msgspec_keep_every_field(name: str) -> None:
    assert _kept(name) == json.loads(FULL)
    bad = FULL.replace('"step":"fetch"', '"step":7')
    outcome = _model(name)("consume", bad)
    assert not outcome.ok
    assert outcome.kind == "invalid_type"
    assert _model(name)("consume", "{").kind == "syntax"


def test_decode_event_is_the_models_own_dump() -> None:
    outcome = _model("ServerRequest")("decode_event", FULL)
    assert json.loads(outcome.output)["name"] == "command.completed"  # its own field name
    assert '"execution_id":"478775660589088776"' in outcome.output


def test_a_dict_only_payload_rejects_exactly_the_non_object_contexts() -> None:
    """Every envelope the corpus says the crate emits, handed to the dict-payload model: it
    rejects exactly those whose context or meta is not an object (checked here with json)."""
    model = _model("ServerRequest")
    emitted = [
        c.output
        for c in load_corpus(default_corpus_dir())
        if c.op == "decode_event" and c.output is not None
    ]
    assert len(emitted) > 100
    for text in emitted:
        value = json.loads(text)
        meta = value.get("meta")
        expected = isinstance(value["context"], dict) and (meta is None or isinstance(meta, dict))
        assert model("consume", text).ok is expected, text


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        (f"{MODELS}:NOT_A_MODEL", "is not a class"),
        (f"{MODELS}:Unrelated", "no field maps to a canonical envelope field"),
        (f"{MODELS}:Missing", "has no attribute Missing"),
        ("python-model:no_such_module_here:X", "cannot import no_such_module_here"),
        ("python-model:tests.matrix.models", "expected module:name"),
        ("python:noetl_events_ref._ops:OPS", "is not callable"),
        ("./no/such/adapter --flag", "no such file ./no/such/adapter"),
        ("no-such-command-anywhere", "no command 'no-such-command-anywhere' on PATH"),
        ("'unbalanced", "No closing quotation"),
    ],
)
def test_a_spec_that_cannot_run_is_one_clear_error(spec: str, says: str) -> None:
    with pytest.raises(SpecError, match=None) as caught:
        parse_spec(spec)
    assert says in str(caught.value)


def test_a_class_of_another_kind_is_named() -> None:
    with pytest.raises(SpecError, match="not a pydantic v2 model, a dataclass or a msgspec"):
        parse_spec("python-model:pathlib:Path")
