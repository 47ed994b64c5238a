"""``python-model:pkg.module:Class``: a Python consumer's own model as an implementation.

No adapter code: the model's fields are mapped to the envelope's canonical field names through
their names and aliases (a pydantic ``AliasChoices`` lists several), decoding uses the model's own
JSON validation, and encoding its own dump. Three kinds of model are understood: a pydantic v2
``BaseModel``, a ``dataclasses`` dataclass (no validation of its own: the JSON is parsed with
:mod:`json` and the class called with the fields it declares) and a msgspec ``Struct``.

The model runs two ops: ``decode_event`` (validate, then the model's own JSON dump) and
``consume`` (validate, then what the model kept, in canonical field names: a field the model
lacks is absent). It declares the role ``consumer``.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from noetl_events_ref._model import EVENT_SPEC
from noetl_events_ref._ops import Outcome

__all__ = ["CANONICAL_FIELDS", "ModelError", "ModelImplementation", "load_model"]

# The envelope's fields in wire order, and the other names the real crates read them under.
CANONICAL_FIELDS: Final = tuple(f.name for f in EVENT_SPEC.fields)
_SYNONYMS: Final = {"name": "event_type", "payload": "context"}
MODEL_OPS: Final = frozenset({"decode_event", "consume"})


class ModelError(ValueError):
    """The class named is not a model the kit understands, or maps to no canonical field."""


def _canonical(names: Iterable[str]) -> str | None:
    for name in names:
        if name in CANONICAL_FIELDS:
            return name
    for name in names:
        if name in _SYNONYMS:
            return _SYNONYMS[name]
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    attribute: str  # the model's own name for it
    canonical: str
    names: tuple[str, ...]  # every input key the model reads it under


class ModelImplementation:
    """An implementation made of a model class; call it as ``(op, input, now) -> Outcome``."""

    def __init__(self, cls: type, spec: str) -> None:
        self.cls = cls
        self.spec = spec
        self.kind, self._decode, self._dump, fields = _adapt(cls)
        self.fields: tuple[_Field, ...] = tuple(fields)
        if not self.fields:
            raise ModelError(
                f"{spec}: no field maps to a canonical envelope field "
                f"({', '.join(CANONICAL_FIELDS)}) by its name or aliases"
            )

    @property
    def implementation(self) -> dict[str, Any]:
        return {
            "name": self.spec,
            "language": "python",
            "version": self.kind,
            "fields": {f.canonical: f.attribute for f in self.fields},
        }

    def __call__(self, op: str, text: str | bytes, now: str | None = None) -> Outcome:
        if op not in MODEL_OPS:
            raise NotImplementedError(f"{self.spec} does not run {op}")
        try:
            obj, kept = self._decode(text)
        except Exception as e:
            return Outcome(False, kind=_kind(e), message=_message(e))
        if op == "decode_event":
            return Outcome(True, output=self._dump(obj))
        view = {f.canonical: kept[f.attribute] for f in self.fields if f.attribute in kept}
        ordered = {name: view[name] for name in CANONICAL_FIELDS if name in view}
        return Outcome(True, output=json.dumps(ordered, separators=(",", ":")))


def _message(e: Exception) -> str:
    """One line: a pydantic error as ``loc: msg`` per problem, anything else as it says."""
    errors: Callable[[], Any] | None = getattr(e, "errors", None)
    if callable(errors):
        try:
            return "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '$'}: {err['msg']}" for err in errors()
            )
        except (KeyError, TypeError):
            pass
    return " ".join(str(e).split())


def _kind(e: Exception) -> str:
    """An error kind of the wire contract for a model's validation error."""
    errors: Callable[[], Any] | None = getattr(e, "errors", None)
    if callable(errors):  # pydantic
        try:
            first = errors()[0]["type"]
        except (IndexError, KeyError, TypeError):
            return "other"
        if first == "json_invalid":
            return "syntax"
        if first == "missing":
            return "missing_field"
        if first.endswith("_type") or first == "model_type":
            return "invalid_type"
        return "invalid_value"
    if isinstance(e, json.JSONDecodeError) or type(e).__name__ == "DecodeError":  # msgspec
        return "syntax"
    text = str(e)
    if "missing" in text.lower() or "required" in text.lower():
        return "missing_field"
    if text.startswith("Expected"):
        return "invalid_type"
    if "malformed" in text.lower() or "JSON" in text:
        return "syntax"
    return "invalid_value"


_Adapted = tuple[
    str,
    Callable[[str | bytes], tuple[Any, Mapping[str, Any]]],
    Callable[[Any], str],
    list[_Field],
]


def _adapt(cls: type) -> _Adapted:
    if hasattr(cls, "model_validate_json") and hasattr(cls, "model_fields"):
        return _pydantic(cls)
    if hasattr(cls, "__struct_fields__"):
        return _msgspec(cls)
    if dataclasses.is_dataclass(cls):
        return _dataclass(cls)
    raise ModelError(
        f"{cls.__module__}.{cls.__qualname__} is not a pydantic v2 model, a dataclass or a "
        "msgspec Struct"
    )


def _pydantic_names(name: str, info: Any) -> tuple[str, ...]:
    names: list[str] = []
    va = info.validation_alias
    if isinstance(va, str):
        names.append(va)
    elif va is not None:
        for choice in getattr(va, "choices", [va]):
            path = getattr(choice, "path", [choice])
            if path and isinstance(path[0], str):
                names.append(path[0])
    if isinstance(info.alias, str):
        names.append(info.alias)
    names.append(name)
    if isinstance(info.serialization_alias, str):
        names.append(info.serialization_alias)
    return tuple(dict.fromkeys(names))


def _pydantic(cls: Any) -> _Adapted:
    fields = []
    for name, info in cls.model_fields.items():
        names = _pydantic_names(name, info)
        canonical = _canonical(names)
        if canonical is not None:
            fields.append(_Field(name, canonical, names))

    def decode(text: str | bytes) -> tuple[Any, Mapping[str, Any]]:
        obj = cls.model_validate_json(text)
        dumped = obj.model_dump(mode="json", by_alias=False)
        return obj, dumped

    def dump(obj: Any) -> str:
        out: str = obj.model_dump_json(by_alias=True)
        return out

    return "pydantic", decode, dump, fields


def _msgspec(cls: Any) -> _Adapted:
    import msgspec

    info = msgspec.structs.fields(cls)
    fields = []
    for f in info:
        names = tuple(dict.fromkeys((f.encode_name, f.name)))
        canonical = _canonical(names)
        if canonical is not None:
            fields.append(_Field(f.name, canonical, names))
    decoder = msgspec.json.Decoder(cls)
    encoder = msgspec.json.Encoder()

    def decode(text: str | bytes) -> tuple[Any, Mapping[str, Any]]:
        obj = decoder.decode(text)
        builtins = msgspec.to_builtins(obj)
        by_attr = {f.name: builtins[f.encode_name] for f in info if f.encode_name in builtins}
        return obj, by_attr

    def dump(obj: Any) -> str:
        return encoder.encode(obj).decode("utf-8")

    return "msgspec", decode, dump, fields


def _dataclass(cls: Any) -> _Adapted:
    declared = dataclasses.fields(cls)
    fields = []
    for f in declared:
        alias = f.metadata.get("alias")
        names = tuple(dict.fromkeys([*([alias] if isinstance(alias, str) else []), f.name]))
        canonical = _canonical(names)
        if canonical is not None:
            fields.append(_Field(f.name, canonical, names))
    hints = typing.get_type_hints(cls)
    keys = {f.metadata.get("alias", f.name): f.name for f in declared}

    def decode(text: str | bytes) -> tuple[Any, Mapping[str, Any]]:
        parsed = json.loads(text)
        if not isinstance(parsed, dict):
            raise TypeError(f"Expected an object, got {type(parsed).__name__}")
        kwargs = {keys[k]: v for k, v in parsed.items() if k in keys}
        for name, value in kwargs.items():
            if not _fits(value, hints.get(name, Any)):
                raise TypeError(f"Expected {hints[name]}, got {type(value).__name__} - at $.{name}")
        obj = cls(**kwargs)
        return obj, dataclasses.asdict(obj)

    def dump(obj: Any) -> str:
        return json.dumps(dataclasses.asdict(obj))

    return "dataclass", decode, dump, fields


def _fits(value: Any, hint: Any) -> bool:
    """A shallow check of a JSON value against a dataclass annotation (no coercion)."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    base = origin or hint
    if base is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if base is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(base, type):
        return isinstance(value, base)
    return True


def load_model(target: Any, spec: str) -> ModelImplementation:
    if not isinstance(target, type):
        raise ModelError(f"{spec} is not a class")
    return ModelImplementation(target, spec)
