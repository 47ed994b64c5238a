"""JSON Schemas (2020-12) of the envelope: ``ExecutorEvent``, the server's ``EventRequest`` and
``BatchEventRequest``, each as what a reader accepts and as what a writer emits."""

from ._envelope import KINDS, MODES, envelope_schema

__all__ = ["KINDS", "MODES", "envelope_schema"]
