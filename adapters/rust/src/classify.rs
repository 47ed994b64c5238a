//! Maps a `serde_json::Error` to one of the wire contract's error kinds (§6).
//!
//! The kind follows serde_json's own category; within a category the message prefix decides.
//! Messages are passed through unchanged (they end in ` at line L column C`).

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

/// Data messages, by prefix: serde's own, then chrono's parse errors (only `created_at` yields them).
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

#[cfg(test)]
mod tests {
    use super::*;
    use noetl_events::ExecutorEvent;

    fn kind_of_value(input: &str) -> &'static str {
        classify(&serde_json::from_str::<serde_json::Value>(input).unwrap_err()).0
    }

    fn kind_of_event(input: &str) -> &'static str {
        classify(&serde_json::from_str::<ExecutorEvent>(input).unwrap_err()).0
    }

    const EVENT_HEAD: &str = r#""execution_id":1,"event_type":"e","step":"s","status":"S""#;

    #[test]
    fn syntax_family() {
        assert_eq!(kind_of_value(""), "syntax");
        assert_eq!(kind_of_value("[1,]"), "syntax");
        assert_eq!(kind_of_value("1 2"), "syntax");
        assert_eq!(kind_of_value("NaN"), "syntax");
        assert_eq!(kind_of_value(r#""\ud800"#), "syntax"); // EOF inside the escape sequence
        assert_eq!(kind_of_value(r#""\ud800""#), "invalid_string");
        assert_eq!(kind_of_value(r#""\q""#), "invalid_string");
        assert_eq!(kind_of_value("\"a\u{1}\""), "invalid_string");
        assert_eq!(kind_of_value("1e400"), "number_out_of_range");
        assert_eq!(kind_of_value(&"[".repeat(200)), "recursion_limit");
    }

    #[test]
    fn data_family() {
        assert_eq!(kind_of_event("{}"), "missing_field");
        assert_eq!(
            kind_of_event(r#"{"step":"a","step":"b"}"#),
            "duplicate_field"
        );
        assert_eq!(kind_of_event(r#"{"execution_id":"1"}"#), "invalid_type");
        assert_eq!(kind_of_event("[1]"), "invalid_length");
        assert_eq!(
            kind_of_event(r#"{"execution_id":18446744073709551615}"#),
            "invalid_value"
        );
        let no_offset =
            format!(r#"{{{EVENT_HEAD},"created_at":"2026-05-31T00:00:00","context":1}}"#);
        assert_eq!(kind_of_event(&no_offset), "invalid_timestamp");
        let feb_30 = format!(r#"{{{EVENT_HEAD},"created_at":"2026-02-30T00:00:00Z","context":1}}"#);
        assert_eq!(kind_of_event(&feb_30), "invalid_timestamp");
    }
}
