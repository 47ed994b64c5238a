"""Optional dependencies: which extra brings which module, and the message when one is missing.

A plain install carries what ``verify`` and ``check`` need; the pytest plugin, the Hypothesis
strategies, structural diffs, coloured output and schema validation come with extras.
"""

from __future__ import annotations

from typing import Final

from ._usage import UsageError

__all__ = ["EXTRA_OF", "install_hint", "missing_extra"]

DISTRIBUTION: Final = "noetl-events-conformance"

# top-level module -> (extra, what it is for)
EXTRA_OF: Final = {
    "pytest": ("pytest", "the pytest plugin"),
    "hypothesis": ("strategies", "the Hypothesis strategies and generated cases"),
    "deepdiff": ("diff", "structural differences"),
    "rich": ("rich", "coloured reports and progress bars"),
    "jsonschema": ("lint", "validating case files and protocol messages"),
    "orjson": ("check", "the fast path of check"),
    "psycopg": ("postgres", "reading the noetl.event table"),
    "nats": ("nats", "reading a JetStream stream"),
    "yaml": ("matrix", "the policy file of matrix"),
}


def install_hint(extra: str) -> str:
    """How to install ``extra``: by the kit's name, and (the kit has no package index entry
    before a release) after the path of the wheel or checkout it was installed from."""
    return (
        f"pip install '{DISTRIBUTION}[{extra}]' (installed from a wheel or a checkout: "
        f"pip install '<its path>[{extra}]')"
    )


def missing_extra(error: ModuleNotFoundError, what: str) -> UsageError | None:
    """The usage error for ``what`` (a command) failing on a missing optional module, naming
    the extra to install; ``None`` if the module is not one an extra provides."""
    top = (error.name or "").split(".")[0]
    if top not in EXTRA_OF:
        return None
    extra, purpose = EXTRA_OF[top]
    return UsageError(
        f"{what} needs {top} ({purpose}), an optional dependency: {install_hint(extra)}"
    )
