"""Right answers with an extra key: fine for the lenient reader, a violation of the schema
that ``--validate-protocol`` enforces."""

from _fake import reference, serve

raise SystemExit(serve(lambda n, request: {**reference(request), "elapsed_ms": 1}))
