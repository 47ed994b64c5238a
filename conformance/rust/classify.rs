// The wire contract's error kind (section 6) for a `serde_json::Error`, and its message.
//
// One source for every Rust side of the kit: the adapter in adapters/rust includes it, and
// `noetl-events-conformance generate --rust` embeds it in the test file it writes. The kind
// follows serde_json's own category; within a category the message prefix decides. Messages
// are passed through unchanged (they end in ` at line L column C`).

use serde_json::error::Category;

/// Syntax/Eof messages that are not plain `syntax`, by prefix.
const SYNTAX_RULES: &[(&str, &str)] = &[
    ("recursion limit exceeded", "recursion_limit"),
    ("number out of range", "number_out_of_range"),
    ("lone leading surrogate in hex escape", "invalid_string"),
    ("unexpected end of hex escape", "invalid_string"),
    ("invalid escape", "invalid_string"),
    ("invalid unicode code point", "invalid_string"),
    (
        "control character (\\u0000-\\u001F) found while parsing a string",
        "invalid_string",
    ),
];

/// Data messages, by prefix: serde's own, then chrono's parse errors (only timestamps yield them).
const DATA_RULES: &[(&str, &str)] = &[
    ("missing field", "missing_field"),
    ("duplicate field", "duplicate_field"),
    ("invalid type", "invalid_type"),
    ("invalid value", "invalid_value"),
    ("invalid length", "invalid_length"),
    ("input is out of range", "invalid_timestamp"),
    (
        "no possible date and time matching input",
        "invalid_timestamp",
    ),
    (
        "input is not enough for unique date and time",
        "invalid_timestamp",
    ),
    ("input contains invalid characters", "invalid_timestamp"),
    ("premature end of input", "invalid_timestamp"),
    ("trailing input", "invalid_timestamp"),
    ("bad or unsupported format string", "invalid_timestamp"),
];

fn by_prefix(
    message: &str,
    rules: &[(&str, &'static str)],
    fallback: &'static str,
) -> &'static str {
    rules
        .iter()
        .find(|(prefix, _)| message.starts_with(prefix))
        .map_or(fallback, |(_, kind)| kind)
}

/// The error kind for a serde_json error, and its message.
pub fn classify(err: &serde_json::Error) -> (&'static str, String) {
    let message = err.to_string();
    let kind = match err.classify() {
        Category::Syntax | Category::Eof => by_prefix(&message, SYNTAX_RULES, "syntax"),
        Category::Data => by_prefix(&message, DATA_RULES, "other"),
        Category::Io => "other",
    };
    (kind, message)
}
