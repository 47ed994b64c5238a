"""Where the built Rust adapter lives: the one definition every test, script and benchmark uses.

The adapter builds into ``$CARGO_TARGET_DIR`` when set, else into a target folder kept outside
the clone (``~/.cache/noetl-events-conformance/target``) so a rebuild on the same machine is
incremental. ``python -m tests._rust_adapter`` prints the target folder (``--target-dir``) or the
binary's path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["rust_adapter_path", "rust_target_dir"]


def rust_target_dir() -> Path:
    """The cargo target folder the adapter (and the scratch glue crates) build into."""
    configured = os.environ.get("CARGO_TARGET_DIR")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "noetl-events-conformance" / "target"


def rust_adapter_path() -> Path:
    """The release binary ``cargo build --release`` writes for ``adapters/rust``."""
    return rust_target_dir() / "release" / "noetl-events-adapter"


if __name__ == "__main__":
    print(rust_target_dir() if sys.argv[1:] == ["--target-dir"] else rust_adapter_path())
