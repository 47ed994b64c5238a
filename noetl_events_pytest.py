"""The pytest11 entry point of noetl-events-conformance: loads ``conformance.pytest_plugin``.

It has a name of its own so that a project with its own top-level ``conformance`` package still
starts pytest: when that name is taken, the kit's plugin is left out, and a run that asks for
it (a ``--noetl-events-*`` option, an ``noetl_events_*`` ini key, the ``noetl_golden`` fixture)
is told why and how to fix it instead of failing with an import traceback.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


def _kit_location() -> Path | None:
    """Where ``import conformance`` leads, when that is not the kit's package (else None)."""
    spec = importlib.util.find_spec("conformance")
    if spec is None or spec.origin is None:
        return Path("conformance") if spec is not None else None
    found = Path(spec.origin).resolve().parent
    ours = (found / "pytest_plugin.py").is_file() and (found / "corpus").is_dir()
    return None if ours else found


_SHADOWED = _kit_location()

if _SHADOWED is None:
    from conformance.pytest_plugin import *  # noqa: F403  (hooks and fixtures, re-exported)
    from conformance.pytest_plugin import corpus_params  # noqa: F401  (the public helper)

    def pytest_sessionstart(session: Any) -> None:
        """The other way round: the kit's package loaded first, a project package of the same
        name beside the tests would be shadowed by it. Say so before a test trips on it."""
        import warnings

        import conformance

        kit = Path(conformance.__file__).resolve().parent
        for folder in {session.config.rootpath, Path.cwd()}:
            theirs = folder / "conformance" / "__init__.py"
            if theirs.is_file() and theirs.resolve().parent != kit:
                import pytest

                warnings.warn(
                    pytest.PytestConfigWarning(
                        f"your package {theirs.parent} has the import name `conformance`, "
                        f"which noetl-events-conformance's pytest plugin already took "
                        f"({kit}): `import conformance` in your tests gets the kit's. Fix: "
                        "rename your package, or disable the plugin with -p no:noetl_events"
                    ),
                    stacklevel=1,
                )
                return

else:
    import pytest

    _FIX = (
        f"the package `conformance` at {_SHADOWED} (your project's) has the import name of "
        "noetl-events-conformance's own package, so the kit's pytest plugin is not loaded. "
        "Fix: rename your package; or run `pytest` rather than `python -m pytest` (which puts "
        "the current folder first on sys.path); or keep your package off sys.path while "
        "pytest starts. To silence this, disable the plugin: -p no:noetl_events"
    )

    _NAMES = ("impl", "corpus", "level", "select", "baseline", "timeout", "golden")

    def pytest_addoption(parser: pytest.Parser) -> None:
        """The kit's option names, so that using one is met by the message, not by argparse."""
        group = parser.getgroup("noetl-events", "NoETL event envelope conformance (not loaded)")
        for name in (*_NAMES, "extra-corpus"):
            key = "noetl_events_" + name.replace("-", "_")
            group.addoption(f"--noetl-events-{name}", dest=key, help="unavailable: see warnings")
            parser.addini(key, "unavailable: see the warnings")
        group.addoption(
            "--noetl-events-update-baseline",
            action="store_true",
            dest="noetl_events_update_baseline",
            help="unavailable: see warnings",
        )

    def pytest_configure(config: pytest.Config) -> None:
        asked = [a for a in config.invocation_params.args if str(a).startswith("--noetl-events")]
        if asked or any(config.getini(f"noetl_events_{name}") for name in _NAMES):
            raise pytest.UsageError(_FIX)
        config.issue_config_time_warning(pytest.PytestConfigWarning(_FIX), stacklevel=2)

    @pytest.fixture
    def noetl_golden() -> Any:
        raise pytest.UsageError(_FIX)

    @pytest.fixture(scope="session")
    def noetl_events_corpus() -> Any:
        raise pytest.UsageError(_FIX)
