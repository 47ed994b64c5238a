"""Consumer models written the way Python services commonly write them, to run as
``python-model:tests.matrix.models:NAME`` (no adapter code)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import msgspec
from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class ServerRequest(BaseModel):
    """A server's request model: alias choices `name`/`event_type` and `payload`/`context`, a
    dict-only payload, ids coerced to strings, and no status, created_at or event_id."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    execution_id: str
    name: str = Field(validation_alias=AliasChoices("name", "event_type"))
    step: str
    payload: dict[str, Any] = Field(validation_alias=AliasChoices("payload", "context"))
    meta: dict[str, Any] | None = None
    worker_id: str | None = None


class ReversedChoices(BaseModel):
    """Alias choices in the other order, a canonical name reached only by its alias, and a
    `datetime` (microseconds: a nanosecond timestamp is truncated)."""

    execution_id: int
    kind: str = Field(validation_alias=AliasChoices("event_type", "name"))
    step: str
    status: str
    created_at: datetime
    body: Any = Field(validation_alias=AliasChoices("context", "payload"))


class Strict(BaseModel):
    """`extra="forbid"`: an envelope carrying a field the model lacks is rejected."""

    model_config = ConfigDict(extra="forbid")

    execution_id: int
    event_type: str
    step: str
    status: str
    created_at: str
    context: Any


class Defaulted(BaseModel):
    """Missing fields filled in by defaults: a status and a worker the producer never wrote."""

    execution_id: int
    event_type: str
    step: str
    status: str = "UNKNOWN"
    created_at: str
    context: Any
    worker_id: str = "server"


@dataclasses.dataclass
class DataclassEvent:
    execution_id: int
    event_type: str
    step: str
    status: str
    created_at: str
    context: Any
    event_id: int | None = None
    worker_id: str | None = None
    meta: Any = None


class StructEvent(msgspec.Struct):
    execution_id: int
    event_type: str
    step: str
    status: str
    created_at: str
    context: Any
    event_id: int | None = None
    worker_id: str | None = None
    meta: Any = None


NOT_A_MODEL = 42


class Unrelated(BaseModel):
    title: str


class RunningByDefault(BaseModel):
    """A status the producer may leave out, filled in by a default."""

    execution_id: int
    event_type: str
    step: str
    status: str = "RUNNING"
    created_at: str
    context: Any
