"""The built wheel in a fresh virtual environment, where a user meets what a source checkout
hides: the installed corpus ``promote`` must never write into, and a project of their own
whose package is also called ``conformance``."""

from __future__ import annotations

import json
from pathlib import Path

from .test_wheel import plugin_venv, sh, wheel

# the fixtures, shared with test_wheel.py: the wheel with the `pytest` extra (a project that
# tests with the kit installs it so)
__all__ = ["plugin_venv", "wheel"]

OWN_PACKAGE = "VALUE = 'the project of a user'\n"
OWN_TEST = """
import conformance

def test_mine():
    assert conformance.VALUE == 'the project of a user'
"""


def _bundled(python: Path, cwd: Path) -> Path:
    code = "from conformance.corpus._case import default_corpus_dir as d; print(d())"
    return Path(sh(python, "-c", code, cwd=cwd).stdout.strip())


def test_promote_never_writes_into_the_installed_corpus(plugin_venv: Path, tmp_path: Path) -> None:
    venv = plugin_venv
    cli = venv.parent / "noetl-events-conformance"
    bundled = _bundled(venv, tmp_path)
    before = sorted(p.name for p in bundled.rglob("*"))
    example = ["--op", "canonical_value", "--input", "[1,2,3]"]
    refused = sh(cli, "promote", *example, "--corpus", bundled, cwd=tmp_path, check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "installed with the kit" in refused.stderr and "--extra-corpus" in refused.stderr
    done = sh(cli, "promote", *example, cwd=tmp_path)
    written = tmp_path / done.stdout.strip()
    assert written.is_file() and written.is_relative_to(tmp_path / "noetl-events-cases")
    assert "--corpus noetl-events-cases" in done.stderr
    assert sorted(p.name for p in bundled.rglob("*")) == before
    sh(cli, "corpus", "manifest", "--corpus", "noetl-events-cases", cwd=tmp_path)
    report = json.loads(
        sh(
            cli, "verify", "--extra-corpus", "noetl-events-cases", "--format", "json", cwd=tmp_path
        ).stdout
    )
    assert written.stem in {c["id"] for c in report["cases"]}


def test_a_project_package_called_conformance(plugin_venv: Path, tmp_path: Path) -> None:
    venv = plugin_venv
    project = tmp_path / "project"
    (project / "conformance").mkdir(parents=True)
    (project / "conformance" / "__init__.py").write_text(OWN_PACKAGE)
    (project / "tests").mkdir()
    (project / "tests" / "test_mine.py").write_text(OWN_TEST)
    base = ("-p", "no:cacheprovider")

    # python -m pytest: the project's package comes first; its own tests still run
    own = sh(venv, "-m", "pytest", *base, cwd=project, check=False)
    assert own.returncode == 0, own.stdout[-3000:] + own.stderr[-3000:]
    assert "1 passed" in own.stdout and "Traceback" not in own.stdout + own.stderr
    assert "kit's pytest plugin is not loaded" in own.stdout

    # ... and asking for the kit's plugin names the fix, with no traceback
    impl = f"{venv} -m noetl_events_ref"
    asked = sh(venv, "-m", "pytest", *base, "--noetl-events-impl", impl, cwd=project, check=False)
    assert asked.returncode == 4, asked.stdout[-3000:] + asked.stderr[-3000:]
    assert "Fix: rename your package" in asked.stderr
    assert "Traceback" not in asked.stdout + asked.stderr

    # the pytest command: the kit's package comes first; the warning names the clash
    pytest_cli = venv.parent / "pytest"
    other = sh(pytest_cli, *base, "--noetl-events-impl", impl, cwd=project, check=False)
    assert "has the import name `conformance`" in other.stdout + other.stderr


def test_python_m_conformance_and_version(plugin_venv: Path, tmp_path: Path) -> None:
    venv = plugin_venv
    out = sh(venv, "-m", "conformance", "--version", cwd=tmp_path).stdout
    assert out.startswith("noetl-events-conformance ")
