"""Rust test glue: the corpus as a ``cargo test`` file for a downstream crate.

:func:`write_rust_tests` writes, into a folder ``OUT``:

``OUT/<stem>.rs``            one integration-test file, one ``#[test]`` per case
``OUT/<stem>/<op>/<n>.json`` the case files it embeds with ``include_str!``

Copying both into a crate's ``tests/`` folder as they are is all it takes; the test file needs
only ``serde_json`` as an extra dev-dependency, besides the crate that defines the type under
test. The stem is ``noetl_events_conformance`` for an event type,
``noetl_events_request_conformance`` for a request type and ``noetl_events_batch_conformance``
for a batch type, so a server that links all three can keep the files side by side.

When ``OUT`` is a folder *inside* a crate's ``tests/`` folder (``tests/conformance``), cargo
would not find ``OUT/<stem>.rs``: it discovers ``tests/*.rs`` and ``tests/<dir>/main.rs`` only.
The test file is then written as ``OUT/main.rs`` (one role per such folder), so ``cargo test``
runs it as the test target named after the folder.

The type under test is a Rust path, and what it is taken for is said, never guessed: its role
is ``event`` (an ``ExecutorEvent``: the ``decode_event`` cases), ``request`` (the server's
``EventRequest``: ``decode_request``) or ``batch`` (its ``BatchEventRequest``:
``decode_batch``). Only the default type, ``noetl_events::ExecutorEvent``, has a known role.
``canonical_value`` needs only ``serde_json::Value`` and runs with any role. The conversion,
redaction and HTTP ops need the server's code and a clock, so they are left out; the generated
file's header lists every case it leaves out, and why, and the options that generated it.

Each case's test decodes the input with ``serde_json::from_str`` and serializes it again with
``serde_json::to_string``, then compares the text byte for byte; a case that must be rejected
passes when the error's kind (the wire contract's section 6, classified exactly as the kit's
Rust adapter does) is the expected one. Messages are not compared. The tests are named
``<op>::<case id as a Rust identifier>`` and listed in a brace-delimited ``cases!`` macro call,
so the file compiles without warnings (clippy's pedantic set included) and is rustfmt-clean
under every style edition whatever the ids look like.

The output is a function of the cases alone (their order does not matter), and every file is
written atomically; a file whose content is already right is left untouched, so ``cargo`` does
not rebuild for nothing. Case files left over from an earlier run in ``OUT/<stem>/`` are
removed.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Final, Literal, NoReturn

from conformance.core._atomic import write_atomic
from conformance.core._usage import UsageError
from conformance.corpus._case import OPS, Case, read_regular

__all__ = [
    "DEFAULT_RUST_TYPE",
    "ROLES",
    "RustGlueError",
    "glue_layout",
    "owned_case_files",
    "rust_identifier",
    "write_rust_tests",
]

DEFAULT_RUST_TYPE: Final = "noetl_events::ExecutorEvent"

Role = Literal["event", "request", "batch"]
ROLES: Final[tuple[Role, ...]] = ("event", "request", "batch")

_STEMS: Final[dict[Role, str]] = {
    "event": "noetl_events_conformance",
    "request": "noetl_events_request_conformance",
    "batch": "noetl_events_batch_conformance",
}
_RUNS: Final[dict[Role, tuple[str, ...]]] = {
    "event": ("decode_event", "canonical_value"),
    "request": ("decode_request", "canonical_value"),
    "batch": ("decode_batch", "canonical_value"),
}
_TAKEN_FOR: Final[dict[Role, str]] = {
    "event": "an ExecutorEvent",
    "request": "the server's EventRequest",
    "batch": "the server's BatchEventRequest",
}
_DECODE_WHY: Final = {
    "decode_event": "these need the event type; generate again with "
    f"--rust-type {DEFAULT_RUST_TYPE} --rust-role event",
    "decode_request": "these need the server's request type; generate again with "
    "--rust-type <its path> --rust-role request",
    "decode_batch": "these need the server's batch type; generate again with "
    "--rust-type <its path> --rust-role batch",
}
_SERVER_CODE_WHY: Final = (
    "these run the server's own code (its redaction, its JSON extractor), which this glue "
    "does not generate; run them with the kit's runner and its Rust adapter"
)
_CONVERSION_WHY: Final = {
    "sanitize_value": _SERVER_CODE_WHY,
    "post_events": _SERVER_CODE_WHY,
    "post_batch": _SERVER_CODE_WHY,
    "event_to_request": "these need both types and the server's From conversion, which this "
    "glue does not generate; run them with the kit's runner and its Rust adapter",
    "request_to_event": "these need both types, the server's TryFrom conversion and a clock "
    "the case can set (`now`), which this glue does not generate; run them with the kit's "
    "runner and its Rust adapter",
}
_UNENCODABLE: Final = "not UTF-8"
_UNENCODABLE_WHY: Final = "the case holds a lone surrogate, which a Rust &str cannot"
_IDENT_MAX: Final = 80
_WIDTH: Final = 100  # of the generated header's lines

# Strict and reserved keywords of every edition up to 2024; none can name a function as is.
_KEYWORDS: Final = frozenset(
    (
        "abstract",
        "as",
        "async",
        "await",
        "become",
        "box",
        "break",
        "const",
        "continue",
        "crate",
        "do",
        "dyn",
        "else",
        "enum",
        "extern",
        "false",
        "final",
        "fn",
        "for",
        "gen",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "macro",
        "match",
        "mod",
        "move",
        "mut",
        "override",
        "priv",
        "pub",
        "ref",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "try",
        "type",
        "typeof",
        "unsafe",
        "unsized",
        "use",
        "virtual",
        "where",
        "while",
        "yield",
    )
)
_TOKEN_RE: Final = re.compile(r"(::|<|>|,|(?:r#)?[A-Za-z_][A-Za-z0-9_]*)\s*")


class RustGlueError(UsageError, ValueError):
    """The glue cannot be generated as asked (a bad type path, no case it can run, ...)."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Planned:
    case: Case
    ident: str
    text: bytes  # the case file's content


def rust_identifier(text: str) -> str:
    """A snake-case ASCII Rust identifier for ``text`` (not yet made unique).

    Accents are dropped (``é`` -> ``e``), other non-ASCII characters spelled as ``u<hex>``,
    anything else that is not a letter or digit becomes ``_`` (runs collapsed: rustc's
    ``non_snake_case`` lint rejects ``__``); a leading digit or a keyword gets ``case_`` in
    front, and the result is at most 80 characters.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    parts: list[str] = []
    for ch in decomposed:
        if ch.isascii():
            parts.append(ch.lower() if ch.isalnum() else "_")
        elif unicodedata.combining(ch):
            continue
        else:
            parts.append(f"_u{ord(ch):04x}_")
    ident = re.sub(r"_+", "_", "".join(parts)).strip("_")
    if not ident:
        ident = "case"
    if ident[0].isdigit() or ident in _KEYWORDS:
        ident = f"case_{ident}"
    return ident[:_IDENT_MAX].rstrip("_")


def _unique_identifiers(ids: Sequence[str]) -> list[str]:
    """Identifiers for ``ids`` (in this order), made unique with ``_2``, ``_3``, ... suffixes.

    A base name that only one id maps to keeps it; among ids sharing a base name the first keeps
    it and the others get the smallest free suffix, never one that another id's base name is.
    """
    bases = [rust_identifier(i) for i in ids]
    taken = set(bases)
    seen: set[str] = set()
    out: list[str] = []
    for base in bases:
        name = base
        if name in seen:
            n = 2
            while f"{base}_{n}" in taken:
                n += 1
            name = f"{base}_{n}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


class _TypeParser:
    """``type := ["::"] ident ("::" ident)* ["<" type ("," type)* ">"]``, whitespace aside."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = []
        pos = len(text) - len(text.lstrip())
        while pos < len(text):
            m = _TOKEN_RE.match(text, pos)
            if m is None:
                self.fail()
            self.tokens.append(m[1])
            pos = m.end()
        self.at = 0

    def fail(self) -> NoReturn:
        raise RustGlueError(
            f"--rust-type {self.text!r} is not a Rust type path (like {DEFAULT_RUST_TYPE})"
        )

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            self.fail()
        self.at += 1
        return token

    def ident(self) -> str:
        token = self.take()
        if token in {"::", "<", ">", ","}:
            self.fail()
        return token

    def type(self) -> tuple[str, list[str]]:
        """The type's text, normalized as rustfmt writes it, and its path's segments."""
        lead = self.take() if self.peek() == "::" else ""
        segments = [self.ident()]
        while self.peek() == "::":
            self.take()
            segments.append(self.ident())
        text = lead + "::".join(segments)
        if self.peek() == "<":
            self.take()
            args = [self.type()[0]]
            while self.peek() == ",":
                self.take()
                args.append(self.type()[0])
            if self.take() != ">":
                self.fail()
            text += "<" + ", ".join(args) + ">"
        return text, segments


def _parse_rust_type(rust_type: str) -> tuple[str, str]:
    """The type path normalized, and its last segment; raises on a path we cannot use."""
    parser = _TypeParser(rust_type)
    text, segments = parser.type()
    if parser.peek() is not None:
        parser.fail()
    if segments[0] in {"crate", "self", "super", "Self"}:
        raise RustGlueError(
            f"--rust-type {rust_type!r}: an integration test is a crate of its own, so name "
            "the type by its crate's name (my_crate::Type), not from crate/self/super"
        )
    return text, segments[-1].removeprefix("r#")


def _encodable(case: Case) -> bytes | None:
    try:
        return case.to_text().encode("utf-8")
    except UnicodeEncodeError:
        return None


def _dedupe(cases: Iterable[Case]) -> list[Case]:
    """The cases sorted by (op, id); one case twice is kept once, two cases with one id fail."""
    by_key: dict[tuple[str, str], Case] = {}
    for c in cases:
        if c.op not in OPS:
            raise RustGlueError(f"case {c.id}: unknown op {c.op!r}")
        key = (c.op, c.id)
        if key in by_key and by_key[key] != c:
            raise RustGlueError(f"two different {c.op} cases share the id {c.id}")
        by_key[key] = c
    return [by_key[k] for k in sorted(by_key, key=lambda k: (OPS.index(k[0]), k[1]))]


def _comment(text: str) -> str:
    """A line of a ``//`` comment: no line break can sneak in from a case id, and a lone
    surrogate in one is spelled as an escape."""
    line = "".join(" " if ch in "\r\n\x0b\x0c\x85\u2028\u2029" else ch for ch in text)
    return ("// " + line.encode("utf-8", "backslashreplace").decode("utf-8")).rstrip()


def _cases(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


def _wrap(text: str, indent: str = "", hang: str = "") -> list[str]:
    """``text`` as comment lines; continuation lines are indented ``hang`` more."""
    return textwrap.wrap(
        text, width=_WIDTH - 3, initial_indent=indent, subsequent_indent=indent + hang
    )


def _header(
    rust_type: str,
    role: Role,
    stem: str,
    planned: Sequence[_Planned],
    left_out: dict[str, list[Case]],
    options: Sequence[str],
) -> list[str]:
    taken_for = _TAKEN_FOR[role]
    lines = [
        "@generated by noetl-events-conformance (Rust test glue); do not edit. Regenerated by",
        *_wrap(f"noetl-events-conformance generate {' '.join(options)}", "    ", "    "),
        "(add --check to tell whether these files are stale).",
        "",
        *_wrap(
            "The NoETL event envelope conformance corpus as `cargo test` cases. Copy this file "
            f"and the folder {stem}/ next to it into your crate's tests/ folder as they are, "
            "and add"
        ),
        "    [dev-dependencies]",
        '    serde_json = "1"',
        "(the crate that defines the type under test must be a dependency already).",
        "",
        f"Type under test: {rust_type} (role {role}: taken for {taken_for})",
    ]
    what = {
        "decode_event": "decode the input as the type under test, serialize it again",
        "decode_request": "decode the input as the type under test, serialize it again",
        "decode_batch": "decode the input as the type under test, serialize it again",
        "canonical_value": "the same with serde_json::Value",
    }
    for op in _RUNS[role]:
        n = sum(1 for p in planned if p.case.op == op)
        if n:
            lines.append(f"    {op:<16} {_cases(n):>11}: {what[op]}")
    lines += _wrap(
        "An accepted case passes when serde_json::to_string writes exactly the expected "
        "text; a rejected case when serde_json's error has the expected kind (wire contract, "
        "section 6). Error messages are not compared."
    )
    total = sum(len(v) for v in left_out.values())
    if total:
        lines += ["", f"Left out: {_cases(total)}"]
        for group, cases in left_out.items():
            why = _UNENCODABLE_WHY if group == _UNENCODABLE else _left_out_why(role, group)
            lines += _wrap(f"{group} ({_cases(len(cases))}): {why}", "  ", "    ")
            lines += [f"    {c.op}/{c.id}" for c in cases]
    return [_comment(line) for line in lines]


def _left_out_why(role: Role, op: str) -> str:
    return _DECODE_WHY.get(op) or _CONVERSION_WHY[op]


_PRELUDE: Final = r"""
use serde_json::Value;

/// What an operation made of a case's input: the text it wrote, or an error kind and message.
type Outcome = Result<String, (&'static str, String)>;

@CLASSIFY@
/// The serialized text, or an `other` error if serializing failed.
fn written(result: serde_json::Result<String>) -> Outcome {
    result.map_err(|e| ("other", format!("serializing the output failed: {e}")))
}
"""


def _prelude() -> str:
    """The shared part of every generated file, with the kit's one Rust error classification
    (``conformance/rust/classify.rs``, also included by the adapter in ``adapters/rust``)."""
    classify = (resources.files("conformance") / "rust" / "classify.rs").read_text("utf-8")
    return _PRELUDE.replace("@CLASSIFY@\n", classify.rstrip("\n") + "\n\n").rstrip("\n")


_OP_FNS: Final = {
    "decode_event": r"""
/// `decode_event`: decode the input as the type under test, serialize it again.
fn run_decode_event(input: &str) -> Outcome {
    let decoded: UnderTest = serde_json::from_str(input).map_err(|e| classify(&e))?;
    written(serde_json::to_string(&decoded))
}
""",
    "decode_request": r"""
/// `decode_request`: decode the input as the type under test, serialize it again.
fn run_decode_request(input: &str) -> Outcome {
    let decoded: UnderTest = serde_json::from_str(input).map_err(|e| classify(&e))?;
    written(serde_json::to_string(&decoded))
}
""",
    "decode_batch": r"""
/// `decode_batch`: decode the input as the type under test, serialize it again.
fn run_decode_batch(input: &str) -> Outcome {
    let decoded: UnderTest = serde_json::from_str(input).map_err(|e| classify(&e))?;
    written(serde_json::to_string(&decoded))
}
""",
    "canonical_value": r"""
/// `canonical_value`: decode the input as a `serde_json::Value`, serialize it again.
fn run_canonical_value(input: &str) -> Outcome {
    let decoded: Value = serde_json::from_str(input).map_err(|e| classify(&e))?;
    written(serde_json::to_string(&decoded))
}
""",
}

_CHECK: Final = r"""
/// `text` with control and non-space whitespace characters spelled `\u{..}`.
fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || (c.is_whitespace() && c != ' ') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The byte offset where `a` and `b` first differ.
fn first_difference(a: &str, b: &str) -> usize {
    let shorter = a.len().min(b.len());
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(shorter, |((i, _), _)| i)
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Ok(output) => format!("output {}", shown(output)),
        Err((kind, message)) => format!("error {kind}: {}", shown(message)),
    }
}

/// Runs an embedded case file's case through `op`; on any difference from the case's
/// expectation, panics with the case's id, description, input, expected and actual text.
#[track_caller]
fn check(case_file: &str, op: fn(&str) -> Outcome) {
    let case: Value = serde_json::from_str(case_file)
        .unwrap_or_else(|e| panic!("the embedded case file is not JSON: {e}"));
    let field = |pointer: &str| case.pointer(pointer).and_then(Value::as_str);
    let input = field("/input").unwrap_or_else(|| panic!("the case file has no input"));
    let actual = op(input);
    let (verdict, expected) = match (field("/expect/output"), field("/expect/error/kind")) {
        (Some(output), _) => match &actual {
            Ok(text) if text == output => return,
            Ok(text) => (
                format!(
                    "different output (first difference at byte {})",
                    first_difference(output, text)
                ),
                format!("output {}", shown(output)),
            ),
            Err(_) => (
                "rejected, but must be accepted".to_string(),
                format!("output {}", shown(output)),
            ),
        },
        (None, Some(kind)) => {
            let expected = field("/expect/error/message").map_or_else(
                || format!("error {kind}"),
                |message| format!("error {kind} (reference message: {})", shown(message)),
            );
            match &actual {
                Err((actual_kind, _)) if *actual_kind == kind => return,
                Err(_) => ("rejected with another error kind".to_string(), expected),
                Ok(_) => ("accepted, but must be rejected".to_string(), expected),
            }
        }
        (None, None) => panic!("the case file has neither expect.output nor expect.error.kind"),
    };
    panic!(
        "\nconformance case {id} failed: {verdict}\n  \
         op:          {op_name}\n  \
         level:       {level}\n  \
         description: {description}\n  \
         input:       {input}\n  \
         expected:    {expected}\n  \
         actual:      {actual}\n",
        id = field("/id").unwrap_or("?"),
        op_name = field("/op").unwrap_or("?"),
        level = field("/level").unwrap_or("?"),
        description = field("/description").unwrap_or(""),
        input = shown(input),
        actual = describe(&actual),
    );
}
"""


# One `#[test]` per case. The cases are listed inside a brace-delimited macro call, which rustfmt
# leaves alone, so the file is rustfmt-clean under every style edition whatever the ids' lengths.
_CASES_MACRO: Final = r"""
/// `cases! { run_op, "folder/": name, ... }`: a `#[test] fn name` per case, which checks the
/// case file `folder/name.json` (embedded at compile time) with `run_op`.
macro_rules! cases {
    ($run:ident, $folder:literal: $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                super::check(
                    include_str!(concat!($folder, stringify!($name), ".json")),
                    super::$run,
                );
            }
        )*
    };
}
"""


def _render(
    rust_type: str,
    role: Role,
    stem: str,
    planned: Sequence[_Planned],
    left_out: dict[str, list[Case]],
    options: Sequence[str],
) -> bytes:
    out = [*_header(rust_type, role, stem, planned, left_out, options), _prelude()]
    ops = [op for op in OPS if any(p.case.op == op for p in planned)]
    if any(op != "canonical_value" for op in ops):
        out += ["", "/// The type under test.", f"type UnderTest = {rust_type};"]
    out += [_OP_FNS[op].rstrip("\n") for op in ops]
    out.append(_CHECK.rstrip("\n"))
    out.append(_CASES_MACRO.rstrip("\n"))
    for op in ops:
        out += [
            "",
            f"mod {op} {{",
            "    cases! {",
            f'        run_{op}, "{stem}/{op}/":',
            *(f"        {p.ident}," for p in planned if p.case.op == op),
            "    }",
            "}",
        ]
    return ("\n".join(out) + "\n").encode("utf-8")


def resolve_role(rust_type: str, role: str | None) -> Role:
    """The role of the type under test: ``role`` when given, ``event`` for the default type;
    any other type without a role is refused (a name says nothing about what a type is)."""
    if role is None:
        if rust_type.strip() == DEFAULT_RUST_TYPE:
            return "event"
        raise RustGlueError(
            f"say what {rust_type} is: --rust-role event (an ExecutorEvent), request (the "
            "server's EventRequest) or batch (its BatchEventRequest)"
        )
    if role not in _RUNS:
        raise RustGlueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if rust_type.strip() == DEFAULT_RUST_TYPE and role != "event":
        raise RustGlueError(
            f"{DEFAULT_RUST_TYPE} is an event: --rust-role {role} needs --rust-type, the path "
            f"of your {'request' if role == 'request' else 'batch'} type"
        )
    return role


def glue_layout(out: Path, role: Role) -> tuple[Path, list[str]]:
    """Where the test file goes in ``out``, and warnings about the layout.

    Cargo runs ``tests/*.rs`` and ``tests/<dir>/main.rs`` as integration tests, nothing deeper:
    inside a crate's ``tests/`` folder, ``out`` itself gets ``<stem>.rs``; in a folder under it,
    ``main.rs``. A layout cargo will not run, or a crate without a library target (which an
    integration test cannot import from), is warned about."""
    out = Path(out)
    stem = _STEMS[role]
    warnings: list[str] = []
    try:
        absolute = out.resolve()
    except OSError as e:
        raise RustGlueError(f"{out}: {e.strerror or e}") from None
    except RuntimeError:  # (a symbolic link loop, before Python 3.13)
        raise RustGlueError(f"{out}: a symbolic link loop") from None
    if absolute.name == "tests" and (absolute.parent / "Cargo.toml").is_file():
        crate: Path | None = absolute.parent
        test_file = out / f"{stem}.rs"
    elif absolute.parent.name == "tests" and (absolute.parent.parent / "Cargo.toml").is_file():
        crate = absolute.parent.parent
        test_file = out / "main.rs"
    else:
        crate = None
        test_file = out / f"{stem}.rs"
        warnings.append(
            f"{out} is not a cargo crate's tests/ folder (nor a folder directly in one): cargo "
            f"will not run {test_file.name} until it and {stem}/ are copied into one"
        )
    if crate is not None and not _has_lib_target(crate):
        warnings.append(
            f"the crate at {crate} has no library target (no src/lib.rs, no [lib]): an "
            "integration test can only use the type under test if a library exports it"
        )
    return test_file, warnings


def _has_lib_target(crate: Path) -> bool:
    if (crate / "src" / "lib.rs").is_file():
        return True
    try:  # (a regular file only: a FIFO would block the run)
        manifest = read_regular(crate / "Cargo.toml").decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[lib\]\s*$", manifest, re.M) is not None


def write_rust_tests(
    out: Path,
    cases: list[Case],
    *,
    rust_type: str = DEFAULT_RUST_TYPE,
    role: Role | None = None,
    options: Sequence[str] = (),
) -> list[Path]:
    """Write the Rust test glue for ``cases`` into ``out/``; returns the files it consists of
    (the test file first, then the case files in test order).

    ``role`` says what the type is (``"event"``, ``"request"`` or ``"batch"``); it may be left
    out only for the default type. ``options`` are the generating command's options, recorded
    in the header. Raises :class:`RustGlueError` for a type path that cannot be used, a missing
    role, two different cases sharing an id, or when none of the cases can run with the type.
    """
    role = resolve_role(rust_type, role)
    rust_type, _ = _parse_rust_type(rust_type)
    if not options:
        options = ["--rust", "<OUT>", "--rust-type", rust_type, "--rust-role", role]
    stem = _STEMS[role]
    runs = _RUNS[role]

    left_out: dict[str, list[Case]] = {}
    runnable: list[tuple[Case, bytes]] = []
    for c in _dedupe(cases):
        text = _encodable(c)
        if c.op not in runs:
            left_out.setdefault(c.op, []).append(c)
        elif text is None:
            left_out.setdefault(_UNENCODABLE, []).append(c)
        else:
            runnable.append((c, text))
    if not runnable:
        raise RustGlueError(
            f"none of the {len(cases)} cases can run with {rust_type} "
            f"(it runs {' and '.join(runs)})"
        )

    planned: list[_Planned] = []
    for op in OPS:
        of_op = [(c, t) for c, t in runnable if c.op == op]
        idents = _unique_identifiers([c.id for c, _ in of_op])
        planned += [_Planned(c, ident, t) for (c, t), ident in zip(of_op, idents, strict=True)]

    out = Path(out)
    case_root = out / stem
    test_file, _ = glue_layout(out, role)
    paths = [case_root / p.case.op / f"{p.ident}.json" for p in planned]
    _check_targets(out, [test_file, *paths])  # before anything is written
    earlier = owned_case_files(out, role)
    rendered = _render(rust_type, role, stem, planned, left_out, options)
    for p, path in zip(planned, paths, strict=True):
        write_atomic(path, p.text, skip_unchanged=True)
    _remove_stale(earlier - set(paths))
    write_atomic(test_file, rendered, skip_unchanged=True)
    return [test_file, *paths]


def _check_targets(out: Path, files: Sequence[Path]) -> None:
    """Refuse (:class:`RustGlueError`) before anything is written when one of ``files`` cannot
    be written as a regular file: it is there (links followed) and is not one, or a folder on
    its way below ``out`` is not a folder."""
    folders: set[Path] = set()
    for path in files:
        for parent in path.parents:
            if parent == out or out not in parent.parents:
                break
            folders.add(parent)
    checks = [(folder, stat.S_ISDIR, "a folder") for folder in sorted(folders)]
    checks += [(path, stat.S_ISREG, "a regular file") for path in files]
    for path, wanted, what in checks:
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue  # (to be made; a file in the way is named as that folder)
        except OSError as e:
            raise RustGlueError(f"{path}: {e.strerror or e}; nothing was written") from None
        if not wanted(mode):
            raise RustGlueError(
                f"{path}: is not {what}; nothing was written (move it out of the way)"
            )


def _remove_stale(stale: Iterable[Path]) -> None:
    """Remove case files an earlier run wrote and this one does not, and the op folders
    they leave empty."""
    for path in sorted(stale):
        path.unlink(missing_ok=True)
        if path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()


_LISTED: Final = re.compile(r'^ +run_\w+, "(?P<folder>[^"]+/)":\n(?P<names>(?: +\w+,\n)*)', re.M)
"""A ``cases!`` call of the test file (see :func:`_render`): its folder, and the case names."""


def owned_case_files(out: Path, role: Role) -> set[Path]:
    """The case files the glue now in ``out`` embeds, which an earlier run wrote: a rerun
    replaces or removes those, and never touches another file (one of the user's)."""
    test_file, _ = glue_layout(out, role)
    try:  # (a regular file only: a FIFO would block the run)
        text = read_regular(test_file).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    if "@generated by noetl-events-conformance" not in text:
        return set()
    return {
        Path(out) / m["folder"] / f"{name}.json"
        for m in _LISTED.finditer(text)
        for name in re.findall(r"\w+", m["names"])
    }
