"""``python -m conformance``: the kit's command line, as ``noetl-events-conformance``."""

from conformance.cli import main

raise SystemExit(main())
