//! The operations: what the implementation under test does with one `input` text.
//!
//! `decode_event` and `canonical_value` exercise the real `noetl-events` / `serde_json` crates;
//! the request ops go through the server model (`server_model`).

use chrono::{DateTime, Utc};
use noetl_events::ExecutorEvent;
use serde::Serialize;
use serde_json::Value;

use crate::classify::classify;
use crate::protocol::Outcome;
use crate::server_model::{to_event, EventRequest};

/// The ops declared in the handshake, in the protocol's order.
pub const OPS: &[&str] = &[
    "decode_event",
    "decode_request",
    "event_to_request",
    "request_to_event",
    "canonical_value",
];

type OpResult = Result<String, (&'static str, String)>;

/// Runs `op` on `input`; `now` is only read by `request_to_event`.
pub fn run(op: &str, input: &str, now: Option<&str>) -> Outcome {
    let result = match op {
        "decode_event" => parse::<ExecutorEvent>(input).and_then(|ev| write(&ev)),
        "decode_request" => parse::<EventRequest>(input).and_then(|req| write(&req)),
        "event_to_request" => {
            parse::<ExecutorEvent>(input).and_then(|ev| write(&EventRequest::from(ev)))
        }
        "request_to_event" => {
            parse::<EventRequest>(input).and_then(|req| request_to_event(&req, now))
        }
        "canonical_value" => parse::<Value>(input).and_then(|v| write(&v)),
        _ => return Outcome::Skipped(format!("op {op:?} is not implemented by this adapter")),
    };
    match result {
        Ok(output) => Outcome::Output(output),
        Err((kind, message)) => Outcome::Error { kind, message },
    }
}

fn parse<T: serde::de::DeserializeOwned>(input: &str) -> Result<T, (&'static str, String)> {
    serde_json::from_str(input).map_err(|e| classify(&e))
}

fn write<T: Serialize>(value: &T) -> OpResult {
    serde_json::to_string(value)
        .map_err(|e| ("other", format!("serializing the output failed: {e}")))
}

fn request_to_event(req: &EventRequest, now: Option<&str>) -> OpResult {
    // The clock is read only when the request lacks `created_at`, as the server does.
    let now = match req.created_at {
        Some(created_at) => created_at,
        None => parse_now(now)?,
    };
    let event = to_event(req, now).map_err(|message| ("conversion", message))?;
    write(&event)
}

/// Reads `now` exactly as a `DateTime<Utc>` field deserializes.
fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>, (&'static str, String)> {
    let now = now.ok_or_else(|| {
        (
            "other",
            "the request has no created_at and the run gave no `now`".to_string(),
        )
    })?;
    serde_json::from_value(Value::String(now.to_string())).map_err(|e| {
        (
            "other",
            format!("the run's `now` {now:?} is not a timestamp: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(op: &str, input: &str, now: Option<&str>) -> String {
        match run(op, input, now) {
            Outcome::Output(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn request_to_event_takes_now_only_when_needed() {
        let input = r#"{"execution_id":"1","step":"s","event_type":"step.enter"}"#;
        assert_eq!(
            output(
                "request_to_event",
                input,
                Some("2026-05-31T00:00:00.25+02:00")
            ),
            r#"{"execution_id":1,"event_type":"step.enter","step":"s","status":"RUNNING","created_at":"2026-05-30T22:00:00.250Z","context":null}"#
        );
        assert!(matches!(
            run("request_to_event", input, None),
            Outcome::Error { kind: "other", .. }
        ));
        assert!(matches!(
            run("request_to_event", input, Some("nope")),
            Outcome::Error { kind: "other", .. }
        ));
        let stamped = r#"{"execution_id":"1","step":"s","event_type":"e","created_at":"2026-01-01T00:00:00Z"}"#;
        assert!(matches!(
            run("request_to_event", stamped, None),
            Outcome::Output(_)
        ));
    }

    #[test]
    fn conversion_errors_and_unknown_ops() {
        let input = r#"{"execution_id":"x","step":"s","event_type":"e","created_at":"2026-01-01T00:00:00Z"}"#;
        assert_eq!(
            run("request_to_event", input, None),
            Outcome::Error {
                kind: "conversion",
                message: r#"execution_id "x" not parseable as i64: invalid digit found in string"#
                    .into()
            }
        );
        assert!(matches!(
            run("encode_check", "{}", None),
            Outcome::Skipped(_)
        ));
    }

    #[test]
    fn canonical_value_sorts_keys() {
        assert_eq!(
            output("canonical_value", r#"{"b":1,"a":[-0,1e16]}"#, None),
            r#"{"a":[-0.0,1e+16],"b":1}"#
        );
    }
}
