"""noetl-events-conformance: the wire-compatibility kit for the NoETL event envelope.

The public API (``docs/api.md``): load a corpus, run ``verify`` and ``check``, read reports as
typed objects, and get the envelope's JSON Schemas. Names are imported on first use, so
``import conformance`` stays cheap and needs no optional dependency.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.api import (
        CaseVerdict,
        CheckError,
        CheckReport,
        Counts,
        VerifyReport,
        check,
        load_corpus,
        read_report,
        verify,
    )
    from conformance.core._usage import UsageError
    from conformance.corpus._case import Case
    from conformance.runner._runner import CallableContractError
    from conformance.schema import envelope_schema
    from noetl_events_ref import Outcome

__all__ = [
    "CallableContractError",
    "Case",
    "CaseVerdict",
    "CheckError",
    "CheckReport",
    "Counts",
    "Outcome",
    "UsageError",
    "VerifyReport",
    "check",
    "envelope_schema",
    "load_corpus",
    "read_report",
    "verify",
]

_WHERE = {
    "CallableContractError": "conformance.runner._runner",
    "Case": "conformance.corpus._case",
    "Outcome": "noetl_events_ref",
    "UsageError": "conformance.core._usage",
    "envelope_schema": "conformance.schema",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    value = getattr(import_module(_WHERE.get(name, "conformance.api")), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
