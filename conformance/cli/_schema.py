"""``schema KIND``: print the JSON Schema (2020-12) of the envelope, as read or as written."""

from __future__ import annotations

import argparse
import json
from typing import Any, Final

from conformance.core._atomic import write_atomic
from conformance.schema import KINDS, MODES, envelope_schema

from ._output import check_output, write_stdout

__all__ = ["register"]

_EPILOG: Final = """\
kinds:
  event    ExecutorEvent, the envelope of the crate noetl-events 0.1
  request  EventRequest, the server's wider request type
  batch    BatchEventRequest, the server's batch body (items' actionable defaults to false)

modes:
  accept   what the Rust reader takes: unknown keys, aliases (payload/context, name/event_type),
           null for optionals, chrono's relaxed timestamps, serde's positional array form
  emit     exactly what the Rust writer produces: canonical names, no null optionals, the
           timestamp as chrono writes it, no unknown keys

JSON Schema cannot express duplicate keys, number spelling (1 vs 1.0 vs -0), nesting depth,
field order, leap days or string escapes: the corpus, not the schema, is the contract.

exit status: 0 printed or written, 2 usage error

examples:
  noetl-events-conformance schema event
  noetl-events-conformance schema request --mode emit --output request.emit.schema.json
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema (2020-12) of the event, the request or the batch",
        description="Print the JSON Schema (2020-12) of an envelope type, as the Rust reader\n"
        "accepts it or as the Rust writer emits it.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("kind", choices=KINDS, help="which type")
    parser.add_argument("--mode", choices=MODES, default="accept", help="accept (default) or emit")
    parser.add_argument(
        "--output", metavar="FILE", help="write it here (atomically) instead of stdout"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = json.dumps(envelope_schema(args.kind, args.mode), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        write_stdout(text)
        return 0
    check_output(args.output)
    write_atomic(args.output, text)
    return 0
