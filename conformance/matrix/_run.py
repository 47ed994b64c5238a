"""The matrix run: every producer's emissions handed to every consumer, each hop judged.

1. Each implementation shakes hands; its roles are what it declares, or what its ops imply.
2. Every producer runs ``decode_event`` on the cases (corpus and generated); each accepted
   output is an emission. Every line of a trail is an emission of a producer named after it.
3. Every consumer is handed each distinct emission once: ``consume`` when it declares that op
   (its answer is what it kept, in canonical field names), otherwise ``decode_event`` (its
   output is what it kept).
4. Each producer x consumer cell counts its hops: rejected, accepted, lossless, and the losses
   per field (:mod:`conformance.matrix._losses`).
5. Implementations of one role are compared case by case: the differential.

An in-process callable that raises on an input makes that answer errored, as ``verify`` does:
it is neither an emission nor a hop (a cell counts it as ``errored``), it is left out of the
differential, and the implementation is errored (its error names the first exception's line and
where it was met); everything else runs as usual. An answer that breaks the callable's contract
(:class:`~conformance.runner._runner.CallableContractError`) ends that implementation's part, as
a crashed adapter does; :func:`probe_callables` finds it before the run when it is the first
answer to an op.

Implementations run side by side on threads: an adapter works in its own process meanwhile.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from conformance.core._compressed import GZIP_ERRORS, unpacked
from conformance.corpus._case import Case
from conformance.runner._protocol import CONSUME, AdapterError, Answer, Handshake
from conformance.runner._runner import CallableContractError, InProcessDriver
from conformance.runner._spec import ImplSpec

from ._losses import Loss, compare
from ._policy import DEFAULT_POLICY, Policy

__all__ = [
    "Cell",
    "Differential",
    "Matrix",
    "Peer",
    "Trail",
    "TrailError",
    "probe_callables",
    "run_matrix",
]

MAX_EXAMPLES: Final = 3


@dataclasses.dataclass(frozen=True)
class Peer:
    """An implementation in the matrix: the name given on the command line and its spec."""

    name: str
    spec: ImplSpec
    via: str | None = None  # read this consumer through another op (then a consumer only)


# Ops a consumer may be read through: their output is what it kept (post_events: the body of
# a 200 answer; any other status is a rejection).
VIA_OPS: Final = ("consume", "decode_event", "decode_request", "post_events")


class TrailError(ValueError):
    """A trail that cannot be read as text: the message names the file and why."""


@dataclasses.dataclass(frozen=True)
class Trail:
    """Captured emissions of a real producer: one envelope per line (blank lines are none).
    ``numbers`` are the physical line numbers of ``lines``; ``total`` counts every line."""

    name: str
    path: str
    lines: tuple[str, ...]
    numbers: tuple[int, ...] = ()
    total: int = 0

    @classmethod
    def read(cls, path: Path, name: str | None = None) -> Trail:
        """Read ``path``, gzip-compressed or not (told by its first bytes, whatever its name).
        Raises :class:`OSError` if it cannot be read, :class:`TrailError` if it is broken gzip."""
        with path.open("rb") as raw:
            stream, packed = unpacked(raw)
            try:
                data = stream.read(MAX_TRAIL_BYTES + 1)  # (bounded: /dev/zero never ends)
            except GZIP_ERRORS as e:
                if not packed:
                    raise
                raise TrailError(f"{path}: unreadable gzip data: {e}") from None
        if len(data) > MAX_TRAIL_BYTES:
            raise TrailError(
                f"{path}: over {MAX_TRAIL_BYTES >> 20} MiB"
                f"{' once decompressed' if packed else ''} (a trail is held in memory)"
            )
        # (bytes that are not UTF-8 stay what they were, as surrogates: see _not_utf8)
        text = data.decode("utf-8", "surrogateescape")
        physical = text.split("\n")
        if physical[-1] == "":  # the newline that ends the last line starts no line
            physical.pop()
        kept = [(n, line) for n, line in enumerate(physical, 1) if line.strip()]
        return cls(
            name or _stem(path),
            str(path),
            tuple(line for _, line in kept),
            tuple(n for n, _ in kept),
            len(physical),
        )

    def emissions(self) -> list[tuple[str, str]]:
        """``(FILE:LINE, text)`` of each emission, LINE its physical line number."""
        numbers = self.numbers or tuple(range(1, len(self.lines) + 1))
        return [(f"{self.path}:{n}", t) for n, t in zip(numbers, self.lines, strict=True)]

    def to_json(self) -> dict[str, Any]:
        total = self.total or len(self.lines)
        return {"name": self.name, "path": self.path, "lines": total, "emissions": len(self.lines)}


MAX_TRAIL_BYTES: Final = 256 << 20
"""The largest trail read (its text, once decompressed): every emission is held in memory."""


def _not_utf8(text: str) -> str | None:
    """Why an emission read from a trail is not UTF-8 text, or None: the protocol carries
    text, and no reader of the wire takes such bytes as written (serde_json refuses them, a
    browser replaces them), so it is not sent; every consumer counts it rejected."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        char = text[e.start]
        if not "\udc80" <= char <= "\udcff":  # a lone surrogate a producer wrote, escaped
            return (
                f"not UTF-8: a lone surrogate U+{ord(char):04X} at character {e.start + 1} "
                "(not Unicode text; not sent)"
            )
        at = len(text[: e.start].encode("utf-8"))
        byte = char.encode("utf-8", "surrogateescape")[0]
        return f"not UTF-8: byte 0x{byte:02x} at byte {at + 1} of the line (not sent)"
    return None


_WRITTEN_SURROGATE: Final = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def _shown(text: str) -> str:
    """``text`` as a report shows it (a byte that is not UTF-8, or a lone surrogate, as
    U+FFFD)."""
    # A lone surrogate a producer wrote (escaped in its JSON) as that escape; a byte of a trail
    # (read with surrogateescape: U+DC80-U+DCFF) as U+FFFD.
    text = _WRITTEN_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _stem(path: Path) -> str:
    """A trail's default name: its file name without ``.gz`` and then one more suffix."""
    return Path(path.name.removesuffix(".gz")).stem if path.name.endswith(".gz") else path.stem


@dataclasses.dataclass
class Cell:
    producer: str
    consumer: str
    required: bool
    hops: int = 0
    accepted: int = 0
    rejected: int = 0
    lossless: int = 0  # accepted hops that lose no data (a default filled in is no loss)
    losing: int = 0  # accepted hops that lose data of a field the policy keeps
    errored: int = 0  # emissions the consumer raised on: not hops
    fields: dict[str, Counter[str]] = dataclasses.field(default_factory=dict)
    examples: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def fails(self, policy: Policy) -> bool:
        """A required pair that lost data, or that tested nothing (no hop, and none that the
        consumer raised on: a consumer that skipped every emission)."""
        lost = self.losing > 0 or (policy.rejection_is_loss and self.rejected > 0)
        return self.required and (lost or (self.hops == 0 and not self.errored))

    def verdict(self, policy: Policy) -> str:
        if self.fails(policy):
            return "fails"
        if self.hops == 0:
            return "empty"
        if self.rejected == 0 and self.lossless == self.hops:
            return "lossless"
        return "lossy"


@dataclasses.dataclass
class Differential:
    role: str
    a: str
    b: str
    compared: int = 0
    disagreements: int = 0
    examples: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Side:
    peer: Peer
    handshake: Handshake | None = None
    error: str | None = None
    produced: dict[str, Answer] = dataclasses.field(default_factory=dict)  # case id -> answer
    kept: dict[str, Answer] = dataclasses.field(default_factory=dict)  # emission -> answer
    losses: dict[str, list[Loss]] = dataclasses.field(default_factory=dict)  # emission -> ...
    raised: list[str] = dataclasses.field(default_factory=list)  # where a callable raised
    raised_first: str = ""  # the first exception's line

    @property
    def roles(self) -> frozenset[str]:
        if self.peer.via is not None:
            return frozenset({"consumer"})
        return self.handshake.effective_roles() if self.handshake else frozenset()

    def note_raised(self, answer: Answer, where: str) -> None:
        """Count an answer that is an in-process callable's exception (met at ``where``)."""
        if answer.raised is None:
            return
        if not self.raised:
            self.raised_first = exception_line(answer.raised)
        self.raised.append(where)

    @property
    def problem(self) -> str | None:
        """Why this implementation errored: it broke, or its callable raised (or ``None``)."""
        if self.error is not None:
            return self.error
        if not self.raised:
            return None
        more = len(self.raised) - 1
        text = f"the callable raised {self.raised_first} on {self.raised[0]}"
        if more:
            text += f" (and on {more} more input{'s' if more > 1 else ''})"
        spec = self.peer.spec
        if spec.kind == "python" and isinstance(spec.target, type):
            name = spec.text.removeprefix("python:")
            text += f"; {name} is a class: a model is given as python-model:{name}"
        return text


def exception_line(raised: str) -> str:
    """The line that names the exception in a formatted traceback (``RuntimeError: kaboom``):
    the first unindented line after its last frame, else its last line."""
    lines = raised.rstrip().splitlines() or [""]
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    after = lines[frames[-1] + 1 :] if frames else lines
    return next((line for line in after if line and not line[0].isspace()), lines[-1]).strip()


@dataclasses.dataclass
class Matrix:
    """A finished matrix: who took part, every cell, and the differential."""

    peers: list[dict[str, Any]]
    trails: list[dict[str, Any]]
    cells: list[Cell]
    differential: list[Differential]
    policy: Policy
    counts: Mapping[str, Any]
    seconds: float = 0.0

    @property
    def errored(self) -> bool:
        return any(p["error"] for p in self.peers)

    @property
    def failed(self) -> bool:
        return any(c.fails(self.policy) for c in self.cells)


def _run_on(
    side: _Side,
    cases: Sequence[Case],
    timeout: float,
    run_timeout: float,
    on_answer: Callable[[], None] | None,
) -> dict[int, Answer]:
    """Start a fresh driver for ``side`` and answer ``cases``; ``{index: answer}``."""
    driver = side.peer.spec.driver(timeout=timeout, run_timeout=run_timeout)
    got: dict[int, Answer] = {}
    try:
        side.handshake = driver.start()
        missing = {c.op for c in cases} - side.handshake.ops
        if side.peer.via is not None and side.peer.via in missing:
            raise AdapterError(f"--via {side.peer.name}={side.peer.via}: the op is not declared")
        wanted = [i for i, c in enumerate(cases) if c.op in side.handshake.ops]
        for index, answer in zip(wanted, driver.answers([cases[i] for i in wanted]), strict=False):
            got[index] = answer
            if on_answer is not None:
                on_answer()
    except (AdapterError, CallableContractError) as e:
        side.error = str(e)
    except Exception as e:  # an in-process implementation's bug ends its own part only
        side.error = f"{type(e).__name__}: {e}"
    finally:
        driver.close()
    tail = driver.stderr_tail().strip()
    if side.error is not None and tail:
        side.error += f"; its stderr ends: {tail[-1000:]}"
    return got


def _hop_case(index: int, op: str, text: str) -> Case:
    return Case(id=f"hop-{index}", op=op, input=text, level="required", description="a hop")


def probe_callables(peers: Sequence[Peer], cases: Sequence[Case]) -> None:
    """Call each ``python:`` callable once per op it will answer (its first ``decode_event``
    case; through ``--via``, that op on an envelope the reference writes), as ``verify`` does:
    an answer its contract does not allow raises
    :class:`~conformance.runner._runner.CallableContractError` before the run. An exception
    raised by the callable is no contract error: the run reports it."""
    producing = [c for c in cases if c.op == "decode_event"]
    envelope = next((c.output for c in producing if c.output is not None), None)
    for peer in peers:
        if peer.spec.kind != "python":
            continue
        driver = peer.spec.driver()
        assert isinstance(driver, InProcessDriver)
        try:
            if peer.via is None:
                driver.probe(producing[:1])
            elif envelope is not None:
                driver.probe([_hop_case(0, peer.via, envelope)])
        except CallableContractError as e:  # its message starts with the spec
            raise CallableContractError(f"{peer.name}={e}") from None


def run_matrix(
    peers: Sequence[Peer],
    cases: Sequence[Case],
    trails: Sequence[Trail] = (),
    *,
    policy: Policy = DEFAULT_POLICY,
    timeout: float = 10.0,
    run_timeout: float = 600.0,
    on_answer: Callable[[], None] | None = None,
) -> Matrix:
    import time

    began = time.perf_counter()
    sides = [_Side(p) for p in peers]
    producing = [c for c in cases if c.op == "decode_event"]

    def produce(side: _Side) -> None:
        mine = [] if side.peer.via is not None else producing  # a consumer only: a handshake
        got = _run_on(side, mine, timeout, run_timeout, on_answer)
        side.produced = {producing[i].id: a for i, a in got.items()}
        for i, answer in sorted(got.items()):
            side.note_raised(answer, f"decode_event case {producing[i].id}")

    with ThreadPoolExecutor(max_workers=max(1, len(sides))) as pool:
        list(pool.map(produce, sides))

    producers = [s for s in sides if "producer" in s.roles and not s.error]
    consumers = [s for s in sides if "consumer" in s.roles and not s.error]
    emissions: dict[str, list[tuple[str, str]]] = {}  # producer -> [(where, text)]
    for side in producers:
        emissions[side.peer.name] = [
            (case_id, a.output) for case_id, a in side.produced.items() if a.output is not None
        ]
    for trail in trails:
        emissions[trail.name] = trail.emissions()
    first_at: dict[str, str] = {}  # emission -> where it was first emitted
    for side in producers:
        for case_id, text in emissions[side.peer.name]:
            first_at.setdefault(text, f"of {side.peer.name} on case {case_id}")
    for trail in trails:
        for where, text in emissions[trail.name]:
            first_at.setdefault(text, f"at {where}")
    texts = list(first_at)
    unsent = {t: why for t in texts if (why := _not_utf8(t)) is not None}
    sent = [t for t in texts if t not in unsent]

    def consume(side: _Side) -> None:
        assert side.handshake is not None
        op = _consume_op(side)
        hop_cases = [_hop_case(i, op, t) for i, t in enumerate(sent)]
        got = _run_on(side, hop_cases, timeout, run_timeout, on_answer)
        if op == "post_events":
            got = {i: _posted(a) for i, a in got.items()}
        side.kept = {sent[i]: a for i, a in got.items()}
        side.kept |= {t: Answer(error_kind="not UTF-8", error_message=m) for t, m in unsent.items()}
        for i, answer in sorted(got.items()):
            side.note_raised(answer, f"{op} of the emission {first_at[sent[i]]}")

    with ThreadPoolExecutor(max_workers=max(1, len(consumers))) as pool:
        list(pool.map(consume, consumers))
    consumers = [s for s in consumers if not s.error]

    cells = [
        _cell(name, items, side, policy) for name, items in emissions.items() for side in consumers
    ]
    differential = [
        *_differential("producer", producers, [c.id for c in producing], "produced"),
        *_differential("consumer", consumers, sent, "kept"),
    ]
    return Matrix(
        peers=[_peer_json(s) for s in sides],
        trails=[t.to_json() for t in trails],
        cells=cells,
        differential=differential,
        policy=policy,
        counts={"cases": len(producing), "emissions": len(texts)},
        seconds=time.perf_counter() - began,
    )


def _consume_op(side: _Side) -> str:
    if side.peer.via is not None:
        return side.peer.via
    hs = side.handshake
    return CONSUME if hs is not None and CONSUME in hs.ops else "decode_event"


def _posted(answer: Answer) -> Answer:
    """A post_events answer ``{"status": N, "body": TEXT}`` as what the server kept."""
    if answer.output is None:
        return answer
    try:
        posted = json.loads(answer.output)
        status, body = posted["status"], posted["body"]
    except (ValueError, KeyError, TypeError):
        return Answer(
            error_kind="other", error_message=f"not a post_events answer: {answer.output}"
        )
    if status == 200:
        return Answer(output=body)
    return Answer(error_kind=f"http {status}", error_message=body)


def _peer_json(side: _Side) -> dict[str, Any]:
    hs = side.handshake
    return {
        "name": side.peer.name,
        "spec": side.peer.spec.text,
        "roles": sorted(side.roles),
        "declared_roles": hs is not None and bool(hs.roles),
        "implementation": dict(hs.implementation) if hs else {},
        "consumes_with": _consume_op(side),
        "error": side.problem,
    }


def _cell(producer: str, items: list[tuple[str, str]], side: _Side, policy: Policy) -> Cell:
    cell = Cell(producer, side.peer.name, policy.requires(producer, side.peer.name))
    derives = side.handshake.derives if side.handshake else frozenset()
    for where, text in items:
        answer = side.kept.get(text)
        if answer is None or answer.skipped is not None:
            continue
        if answer.raised is not None:  # errored, as verify says: neither accepted nor rejected
            cell.errored += 1
            continue
        cell.hops += 1
        if answer.output is None:
            cell.rejected += 1
            cell.examples.setdefault(
                "rejected",
                {
                    "loss": "rejected",
                    "at": where,
                    "produced": _shown(text),
                    "error": {"kind": answer.error_kind, "message": answer.error_message},
                },
            )
            continue
        cell.accepted += 1
        losses = side.losses.get(text)
        if losses is None:
            losses = side.losses[text] = compare(text, answer.output, derives=derives)
        if not any(x.loses_data for x in losses):  # nothing, or only defaults filled in
            cell.lossless += 1
        elif any(x.loses_data and x.field in policy.keep for x in losses):
            cell.losing += 1
        for loss in losses:
            cell.fields.setdefault(loss.field, Counter())[loss.label] += 1
            key = f"{loss.field} {loss.label}"
            if key not in cell.examples:
                cell.examples[key] = {
                    "field": loss.field,
                    "loss": loss.loss,
                    "kind": loss.kind,
                    "path": loss.at,
                    "at": where,
                    "produced": text,
                    "kept": answer.output,
                }
    return cell


def _same(a: Answer, b: Answer, role: str) -> bool:
    """A producer's text is compared byte for byte (it is what goes on the wire); what two
    consumers kept, field by field (their own spelling of it is not on any wire)."""
    if a.output is None or b.output is None:
        return a.output is b.output and a.error_kind == b.error_kind
    if role == "producer":
        return a.output == b.output
    return not compare(a.output, b.output)


def _left_out(answer: Answer) -> bool:
    """A skipped answer, or a callable's exception: nothing to compare."""
    return answer.skipped is not None or answer.raised is not None


def _pairs(sides: Sequence[_Side]) -> Iterator[tuple[_Side, _Side]]:
    for i, a in enumerate(sides):
        for b in sides[i + 1 :]:
            yield a, b


def _differential(
    role: str, sides: Sequence[_Side], keys: Sequence[str], attr: str
) -> Iterator[Differential]:
    for a, b in _pairs(sides):
        mine: dict[str, Answer] = getattr(a, attr)
        theirs: dict[str, Answer] = getattr(b, attr)
        diff = Differential(role, a.peer.name, b.peer.name)
        for key in keys:
            x, y = mine.get(key), theirs.get(key)
            if x is None or y is None or _left_out(x) or _left_out(y):
                continue
            diff.compared += 1
            if not _same(x, y, role):
                diff.disagreements += 1
                if len(diff.examples) < MAX_EXAMPLES:
                    diff.examples.append(
                        {"input": key, a.peer.name: x.to_json(), b.peer.name: y.to_json()}
                    )
        yield diff
