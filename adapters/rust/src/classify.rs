//! Maps a `serde_json::Error` to one of the wire contract's error kinds (§6).
//!
//! The rules live in `conformance/rust/classify.rs`, shared with the Rust test glue that
//! `noetl-events-conformance generate --rust` writes, so the two cannot drift.

include!("../../../conformance/rust/classify.rs");

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
