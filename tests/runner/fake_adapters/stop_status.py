"""Answers correctly; on ``stop`` says so on stderr and exits with argv[1] (default 0)."""

import sys

from _fake import arg, serve

serve()
print("fake adapter: got stop", file=sys.stderr, flush=True)
raise SystemExit(arg(1, 0))
