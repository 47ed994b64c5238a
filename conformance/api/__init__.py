"""The kit as a Python library: load a corpus, run ``verify`` and ``check``, read reports as
typed objects. Re-exported by the top-level ``conformance`` package (see ``docs/api.md``)."""

from ._check import CheckError, CheckReport, check
from ._types import CaseVerdict, Counts, VerifyReport, read_report
from ._verify import load_corpus, verify

__all__ = [
    "CaseVerdict",
    "CheckError",
    "CheckReport",
    "Counts",
    "VerifyReport",
    "check",
    "load_corpus",
    "read_report",
    "verify",
]
