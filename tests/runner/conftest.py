"""Fixtures for the runner tests: a small corpus built in tmp_path, and ``verify`` called in this
process (fast) while the adapters it drives run as real child processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli._main import main
from conformance.corpus._case import Case

from ._support import SPECS, Verify, reference_case, write_corpus


@pytest.fixture
def cases() -> list[Case]:
    return [reference_case(*spec) for spec in SPECS]


@pytest.fixture
def corpus(tmp_path: Path, cases: list[Case]) -> Path:
    return write_corpus(tmp_path / "corpus", cases)


@pytest.fixture
def verify(corpus: Path, capsys: pytest.CaptureFixture[str]) -> Verify:
    """``verify(*options)`` on the tmp corpus: (exit status, stdout, stderr)."""

    def run(*options: str, corpus_dir: Path = corpus) -> tuple[int, str, str]:
        status = main(["verify", "--corpus", str(corpus_dir), *options])
        out, err = capsys.readouterr()
        return status, out, err

    return run
