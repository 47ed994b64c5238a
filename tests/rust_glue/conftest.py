"""The ``rust`` marker: tests that build a scratch crate with ``cargo``."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "rust: builds and runs Rust code with cargo (skipped without cargo, unless CI is set)",
    )
