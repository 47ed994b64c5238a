"""Answers correctly; on ``stop`` says so on stderr and exits with argv[1] (default 0), or
with argv[1] ``hang``, does not exit at all."""

import sys

from _fake import arg, hang, serve

serve()
print("fake adapter: got stop", file=sys.stderr, flush=True)
if sys.argv[1:] == ["hang"]:
    hang()
raise SystemExit(arg(1, 0))
