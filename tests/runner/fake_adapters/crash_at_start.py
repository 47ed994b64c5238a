"""Dies before the handshake, as an adapter missing a shared library would."""

import os
import sys

print("fake adapter: error while loading shared libraries: libnoetl.so", file=sys.stderr)
sys.stderr.flush()
os._exit(127)
