"""The Rust adapter runs the NoETL crates' own code: no hand copy of a NoETL type, conversion,
redaction rule or extractor text may come back into ``adapters/rust``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ADAPTER = REPO / "adapters" / "rust"

# Types of noetl-events and of the server's event handlers, and the server functions behind the
# request ops (found in the published crates' sources when cargo has them, see below).
TYPES = {
    "ExecutorEvent",
    "EventRequest",
    "BatchEventRequest",
    "BatchEventItem",
    "EventResponse",
    "BatchEventResponse",
}
FUNCTIONS = {
    "sanitize_sensitive_data",
    "sanitize_recursive",
    "is_sensitive_key",
    "is_sensitive_value",
    "event_status_from_name",
    "status_from_event_type",
    "deserialize_string_or_i64",
    "deserialize_optional_string_or_i64",
}
# Texts only a copy of the server's code would spell out.
TEXTS = (
    "representing a snowflake id",
    "[REDACTED]",
    "not parseable as i64",
    "Failed to deserialize the JSON body",
    "Failed to parse the request body",
    '"password"',
)


def _registry_sources(crate: str) -> list[Path]:
    root = Path.home() / ".cargo" / "registry" / "src"
    return sorted(root.glob(f"*/{crate}/src"))


def _published_names() -> tuple[set[str], set[str]]:
    """The public types and the functions of the published crates, when cargo has fetched them."""
    types, functions = set(TYPES), set(FUNCTIONS)
    for src in _registry_sources("noetl-events-0.1.0"):
        for f in src.rglob("*.rs"):
            types |= set(re.findall(r"pub (?:struct|enum) (\w+)", f.read_text("utf-8")))
    for src in _registry_sources("noetl-server-3.54.0"):
        events = (src / "handlers" / "events.rs").read_text("utf-8")
        types |= set(re.findall(r"pub struct (\w+)", events))
        functions |= set(re.findall(r"\bfn (\w+)", (src / "sanitize.rs").read_text("utf-8")))
    functions -= {"tests", "main"}
    return types, {f for f in functions if not f.startswith("test_")}


def _without_tests(text: str) -> str:
    """The source without its `#[cfg(test)]` module (expected texts there are not code)."""
    cut = text.find("#[cfg(test)]\nmod tests")
    return text if cut < 0 else text[:cut]


def copies(text: str, types: set[str], functions: set[str]) -> list[str]:
    """What in ``text`` (Rust source) re-declares a NoETL type or function or spells its texts."""
    code = _without_tests(text)
    found = [
        f"declares {kind} {name}"
        for kind, name in re.findall(r"\b(struct|enum|type|trait)\s+(\w+)", code)
        if name in types
    ]
    found += [
        f"defines fn {name}" for name in re.findall(r"\bfn\s+(\w+)", code) if name in functions
    ]
    found += [f"spells {t!r}" for t in TEXTS if t in code]
    found += [
        f"implements {m}"
        for m in re.findall(r"impl\s+(?:\w+<[^>]*>\s+)?for\s+\w+", code)
        if any(t in m for t in types)
    ]
    return found


def test_the_adapter_holds_no_hand_copy() -> None:
    types, functions = _published_names()
    sources = [*sorted((ADAPTER / "src").rglob("*.rs")), ADAPTER / "build.rs"]
    assert len(sources) >= 4
    found = {
        str(f.relative_to(REPO)): hits
        for f in sources
        if (hits := copies(f.read_text("utf-8"), types, functions))
    }
    assert found == {}


def test_the_adapter_depends_on_the_published_server() -> None:
    manifest = (ADAPTER / "Cargo.toml").read_text("utf-8")
    assert re.search(r'^noetl-server = \{ version = "=3\.54\.0"', manifest, re.M)
    assert re.search(r'^default = \["server"\]', manifest, re.M)
    ops = (ADAPTER / "src" / "ops.rs").read_text("utf-8")
    assert "use noetl_server::handlers::events::{BatchEventRequest, EventRequest};" in ops
    assert "use noetl_server::sanitize::sanitize_sensitive_data;" in ops


@pytest.mark.parametrize(
    "planted",
    [
        "pub struct EventRequest {\n    pub step: String,\n}\n",
        "struct BatchEventItem;\n",
        'fn status_from_event_type(t: &str) -> &\'static str { "RUNNING" }\n',
        'const R: &str = "[REDACTED]";\n',
        "impl From<ExecutorEvent> for EventRequest {}\n",
    ],
)
def test_a_planted_copy_is_found(planted: str) -> None:
    types, functions = _published_names()
    assert copies("use x;\n" + planted, types, functions)
    # ... but not inside the unit tests, where expected texts belong.
    assert not copies("use x;\n#[cfg(test)]\nmod tests {\n" + planted + "}\n", types, functions)
