"""``generate --seed S --count N``: corpus cases drawn from the strategies' domain.

Case ``i`` of seed ``S`` is built by the strategies' own builders
(:mod:`conformance.generation._domain`, :mod:`conformance.generation._wire`,
:mod:`conformance.generation._near_misses`) driven by
``random.Random("noetl-events-conformance:S:i")``, never by Hypothesis's engine, so the same
seed and count give byte-identical files on every machine and every run, whatever Hypothesis's
settings or example database hold; and case ``i`` does not depend on ``count``. Expectations
come from the reference.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Final, NamedTuple

from conformance.core._atomic import write_atomic
from conformance.corpus._case import OPS, Case, case_from_outcome, case_path
from noetl_events_ref._ops import run_op

from ._choices import RandomSource, boolean
from ._domain import EVENT_DEPTH, VALUE_DEPTH, draw_event, draw_request, draw_timestamp, draw_value
from ._near_misses import render_invalid_event, render_invalid_request, render_invalid_value
from ._wire import render_event, render_request, render_value

__all__ = ["GENERATOR", "Written", "generate_cases", "write_cases"]

GENERATOR: Final = "noetl-events-conformance generate"
_MAX_LEAVES: Final = 12
# Implementation-defined corners (spec section 1): the positional array form.
_ACCEPTABLE_RULES: Final = frozenset({"positional-too-short"})


@dataclasses.dataclass(frozen=True, slots=True)
class _Drawn:
    text: str
    now: str | None
    what: str  # for the description
    rule: str | None = None


def _event_input(src: RandomSource, p_invalid: float) -> _Drawn:
    event = draw_event(src, max_depth=EVENT_DEPTH, max_leaves=_MAX_LEAVES)
    if boolean(src, p_invalid):
        text, _, rule = render_invalid_event(src, event)
        return _Drawn(text, None, f"an envelope breaking one rule ({rule})", rule)
    return _Drawn(render_event(src, event)[0], None, "a wire envelope")


def _request_input(src: RandomSource, p_invalid: float) -> _Drawn:
    request = draw_request(src, max_depth=EVENT_DEPTH, max_leaves=_MAX_LEAVES)
    if boolean(src, p_invalid):
        text, _, rule = render_invalid_request(src, request)
        return _Drawn(text, None, f"a request breaking one rule ({rule})", rule)
    text, decoded = render_request(src, request)
    now = draw_timestamp(src).format() if decoded.created_at is None else None
    return _Drawn(text, now, "a server request")


def _value_input(src: RandomSource) -> _Drawn:
    if boolean(src, 0.15):
        text, _, rule = render_invalid_value(src)
        return _Drawn(text, None, f"a document serde_json rejects ({rule})", rule)
    value = draw_value(src, max_depth=VALUE_DEPTH, max_leaves=_MAX_LEAVES)
    return _Drawn(render_value(src, value)[0], None, "a JSON value")


def _draw_input(op: str, src: RandomSource) -> _Drawn:
    if op == "decode_event":
        return _event_input(src, 0.25)
    if op == "event_to_request":
        return _event_input(src, 0.15)
    if op == "decode_request":
        return _request_input(src, 0.2)
    if op == "request_to_event":
        return _request_input(src, 0.0)
    if op == "post_events":
        return _request_input(src, 0.2)
    # canonical_value and sanitize_value take any value; a batch op mostly rejects one.
    return _value_input(src)


# The ops generated when none are named: the envelope's decoding and conversions, so a seed keeps
# giving the same corpus as ops are added. The server's batch, redaction and HTTP ops are
# generated when asked for by name.
DEFAULT_OPS: Final = OPS[:5]


def _one_case(seed: int, index: int, op: str) -> Case:
    src = RandomSource(f"noetl-events-conformance:{seed}:{index}")
    drawn = _draw_input(op, src)
    outcome = run_op(op, drawn.text, drawn.now)
    if outcome.kind == "other":  # pragma: no cover - a generator bug, not a case
        raise AssertionError(f"case {index}: the reference cannot run it: {outcome.message}")
    tags = sorted(src.tags)
    shown = ", ".join(tags[:4]) + (", ..." if len(tags) > 4 else "")
    verdict = "accepted" if outcome.ok else f"rejected as {outcome.kind}"
    return case_from_outcome(
        outcome,
        f"gen-{seed}-{index}",
        op=op,
        input=drawn.text,
        level="acceptable" if drawn.rule in _ACCEPTABLE_RULES else "recommended",
        description=f"Generated (seed {seed}, #{index}): {drawn.what}, {verdict}; {shown}",
        tags=("generated", *tags),
        now=drawn.now,
        provenance={"generator": GENERATOR, "seed": seed, "index": index},
    )


def generate_cases(*, seed: int, count: int, ops: Sequence[str] | None = None) -> list[Case]:
    """``count`` cases for ``seed``, cycling through ``ops`` (default: :data:`DEFAULT_OPS`);
    case ``i`` runs ``ops[i % len(ops)]``."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if count < 0:
        raise ValueError(f"count must be at least 0, not {count}")
    chosen = tuple(dict.fromkeys(ops)) if ops else DEFAULT_OPS
    unknown = [op for op in chosen if op not in OPS]
    if unknown:
        raise ValueError(f"unknown ops {unknown} (one of {', '.join(OPS)})")
    return [_one_case(seed, i, chosen[i % len(chosen)]) for i in range(count)]


class Written(NamedTuple):
    """What :func:`write_cases` did with each case's file."""

    cases: list[Path]
    """The cases' files, in the order of the cases: written, or already holding the case."""
    kept: list[Path]
    """Files that were there, holding something else (a case edited since): left as they are."""


def write_cases(out: Path, cases: Sequence[Case]) -> Written:
    """Write each case as ``out/cases/<op>/<id>.json`` (its canonical text), atomically, then
    the folder's ``manifest.json``, so that it is a corpus ``corpus lint`` accepts and
    ``--extra-corpus`` runs.

    A file already there is never overwritten: holding the case's text, it counts as written;
    holding anything else, it is kept and listed in :attr:`Written.kept`. When the run stops
    part-way (an interrupt, a SIGTERM, a full disk), the files and folders it created are
    removed and the manifest is not written: the folder is left as it was. (A SIGINT or
    SIGTERM waits while a file is made and recorded, so none is missed; a SIGTERM then ends
    the process once the folder is restored.) A ``manifest.json`` that is not a regular file
    is refused (:class:`OSError`) before anything is written."""
    from conformance.core._interrupts import Interrupts
    from conformance.corpus._corpus import manifest_for, manifest_path, manifest_text

    created: list[Path] = []  # files and folders this run made, in the order it made them
    done: list[Path] = []
    kept: list[Path] = []
    complete = False  # the manifest is written: the run is done, nothing is to be undone
    with Interrupts() as stop:
        try:
            manifest = manifest_path(out)
            for case in cases:
                path = case_path(out, case)
                text = case.to_text()
                if path.exists() or path.is_symlink():
                    same = path.is_file() and path.read_bytes() == text.encode("utf-8")
                    (done if same else kept).append(path)
                    continue
                missing = [p for p in path.parents if not p.exists()]
                with stop.held():  # made and recorded, or neither
                    for folder in reversed(missing):
                        folder.mkdir()
                        created.append(folder)
                    write_atomic(path, text)
                    created.append(path)
                done.append(path)
            text = manifest_text(manifest_for(out))
            with stop.held():
                write_atomic(manifest, text)
                complete = True
        except BaseException:
            if not complete:
                with stop.held():  # (a second Ctrl-C does not cut the clean-up short)
                    _remove(created)
            raise
    return Written(done, kept)


def _remove(created: Sequence[Path]) -> None:
    """Remove what a run made (files and folders, in the order it made them), last first."""
    for made in reversed(created):
        with contextlib.suppress(OSError):
            if made.is_dir() and not made.is_symlink():
                made.rmdir()
            else:
                made.unlink()
