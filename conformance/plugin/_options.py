"""The plugin's command-line and ini options, and how a value is looked up."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

__all__ = [
    "CORPUS_NODE",
    "NAMED",
    "add_options",
    "check_corpus_folders",
    "extra_corpora",
    "is_ci",
    "option",
    "quoted",
    "source",
    "take_named",
]

CORPUS_NODE = "noetl-events-corpus"
"""The corpus items' node ids read ``noetl-events-corpus::<op>::<case id>``."""
NAMED = pytest.StashKey[tuple[str, ...]]()
"""The corpus node ids named as test paths (see :func:`take_named`)."""

_OPTIONS: tuple[tuple[str, str, str | None], ...] = (
    (
        "impl",
        "implementation to verify: a protocol v1 adapter command, python:module:callable "
        "(in-process, called as callable(op, input, now)), python-model:module:Class (a "
        "pydantic, dataclass or msgspec model) or reference; adds one item per corpus case",
        None,
    ),
    ("corpus", "corpus folder (default: the bundled corpus)", None),
    ("level", "required | recommended | all (default: all)", "all"),
    ("select", "only case ids matching this glob or substring", None),
    ("baseline", "baseline file of known failures (the same rules as verify --baseline)", None),
    (
        "timeout",
        "per-request timeout for an adapter command, in seconds, positive and finite (default 10)",
        "10",
    ),
    (
        "golden",
        "golden files: update | new | none (default: new, or none when the CI environment "
        "variable is set to anything but empty, 0, false or no)",
        None,
    ),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("noetl-events", "NoETL event envelope conformance")
    for name, help_text, _ in _OPTIONS:
        group.addoption(f"--noetl-events-{name}", dest=f"noetl_events_{name}", help=help_text)
        parser.addini(f"noetl_events_{name}", help_text)
    extra_help = "your own corpus folder, run beside the corpus (repeatable; ini: one per line)"
    group.addoption(
        "--noetl-events-extra-corpus",
        action="append",
        dest="noetl_events_extra_corpus",
        metavar="DIR",
        help=extra_help,
    )
    parser.addini("noetl_events_extra_corpus", extra_help, type="linelist")
    group.addoption(
        "--noetl-events-update-baseline",
        action="store_true",
        dest="noetl_events_update_baseline",
        help="rewrite --noetl-events-baseline from this run's failures, one line per case "
        "(a full, unfiltered run only; as verify --update-baseline)",
    )


_PATHS = ("corpus", "baseline")
"""Options naming a file or folder: in the ini file, relative to the ini file's folder."""


def option(config: pytest.Config, name: str) -> str | None:
    """A plugin option: the command line wins over the ini file (where a path is relative to
    the ini file's folder, whatever folder pytest runs from), then the default."""
    value = config.getoption(f"noetl_events_{name}")
    if value is None:
        value = config.getini(f"noetl_events_{name}") or None
        if value is not None and name in _PATHS:  # relative to the ini file, as pytest's own
            base = config.inipath.parent if config.inipath is not None else config.rootpath
            value = str(base / str(value))
    if value is None:
        value = {n: d for n, _, d in _OPTIONS}[name]
    if name == "golden" and value is None:
        value = "none" if is_ci() else "new"
    return str(value) if value is not None else None


def is_ci() -> bool:
    """Whether the ``CI`` environment variable says this is CI: set, and not empty, ``0``,
    ``false`` or ``no`` (in any case)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def source(config: pytest.Config, name: str) -> str:
    """Where a plugin option's value came from, as a message names it: the flag when it was
    given on the command line, else the ini key (and its file), else the flag."""
    flag = f"--noetl-events-{name.replace('_', '-')}"
    if config.getoption(f"noetl_events_{name}") not in (None, [], False):
        return flag
    key = f"noetl_events_{name}"
    if config.getini(key):
        return f"{key} in {config.inipath.name}" if config.inipath is not None else key
    return flag


def quoted(value: object) -> str:
    """A value as the kit's messages show it: a text in JSON quotes, anything else plainly."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def check_corpus_folders(config: pytest.Config) -> None:
    """Refuse a corpus folder (``--noetl-events-corpus``, ``--noetl-events-extra-corpus`` or
    their ini keys) that is missing or holds no ``cases/`` folder, naming where it was given:
    a usage error whether or not an implementation runs the corpus."""
    folders: list[tuple[str, Path]] = []
    corpus = option(config, "corpus")
    if corpus:
        folders.append((source(config, "corpus"), Path(corpus)))
    folders += [(source(config, "extra_corpus"), p) for p in extra_corpora(config)]
    if not folders:
        return
    from conformance.core._usage import UsageError
    from conformance.corpus._case import corpus_folder

    for where, folder in folders:
        try:
            corpus_folder(folder)
        except UsageError as e:
            raise pytest.UsageError(f"{where} {e}") from None
        if not (folder / "cases").is_dir():
            raise pytest.UsageError(f"{where} {folder}: not a corpus: it has no cases/ folder")


def extra_corpora(config: pytest.Config) -> list[Path]:
    """``--noetl-events-extra-corpus`` folders; else those of the ini file (relative to it)."""
    given: list[str] | None = config.getoption("noetl_events_extra_corpus")
    if given:
        return [Path(p) for p in given]
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return [base / p for p in config.getini("noetl_events_extra_corpus")]


def take_named(config: pytest.Config) -> tuple[str, ...]:
    """The corpus node ids named as test paths (``noetl-events-corpus``, ``...::<op>`` or
    ``...::<op>::<case id>``, as pytest prints them), taken out of ``config.args``: pytest
    would look for them as files. (A real file or folder of that name keeps its meaning.)"""
    if (config.invocation_params.dir / CORPUS_NODE).exists():
        return ()
    named: dict[str, str] = {}  # as given -> as the items' node ids read
    for arg in map(str, config.args):
        head, sep, rest = arg.partition("::")
        if _names_the_corpus(config, head.rstrip("/")):
            named[arg] = CORPUS_NODE + sep + rest
    if named:
        config.args[:] = [a for a in config.args if str(a) not in named]
    return tuple(named.values())


def _names_the_corpus(config: pytest.Config, head: str) -> bool:
    """``head`` is the corpus node: as pytest prints it from the rootdir (``noetl-events-
    corpus``), or from a folder below it (``../noetl-events-corpus``)."""
    if head == CORPUS_NODE:
        return True
    if os.path.basename(head) != CORPUS_NODE:
        return False
    where = os.path.normpath(os.path.join(config.invocation_params.dir, head))
    return where == os.path.normpath(os.path.join(config.rootpath, CORPUS_NODE))
