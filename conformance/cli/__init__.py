"""The command line, ``noetl-events-conformance``: one module per command."""

from ._main import main

__all__ = ["main"]
