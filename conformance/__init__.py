"""noetl-events-conformance: the wire-compatibility kit for the NoETL event envelope."""

__all__: list[str] = []
