//! The operations: what the implementation under test does with one `input` text.
//!
//! `decode_event` and `canonical_value` exercise the real `noetl-events` / `serde_json` crates.
//! With the `server` feature (on by default) every request op runs the published server
//! library's own code: its `EventRequest` / `BatchEventRequest` types, its `From` / `TryFrom`
//! conversions, its redaction (`sanitize_sensitive_data`) and the JSON extractor its handlers
//! use (axum's `Json`). No type of the server or of `noetl-events` is re-declared here.

use noetl_events::ExecutorEvent;
use serde::Serialize;
use serde_json::Value;

use crate::classify::classify;
use crate::protocol::Outcome;

/// The ops declared in the handshake, in the protocol's order: only what this build can run.
#[cfg(feature = "server")]
pub const OPS: &[&str] = &[
    "decode_event",
    "decode_request",
    "event_to_request",
    "request_to_event",
    "canonical_value",
    "decode_batch",
    "sanitize_value",
    "post_events",
    "post_batch",
];

/// The ops declared in the handshake by an event-only build (`--no-default-features`).
#[cfg(not(feature = "server"))]
pub const OPS: &[&str] = &["decode_event", "canonical_value"];

type OpResult = Result<String, (&'static str, String)>;

/// Runs `op` on `input`; `now` is only read by `request_to_event`.
pub fn run(op: &str, input: &str, now: Option<&str>) -> Outcome {
    let result = match op {
        "decode_event" => parse::<ExecutorEvent>(input).and_then(|ev| write(&ev)),
        "canonical_value" => parse::<Value>(input).and_then(|v| write(&v)),
        _ => match server::run(op, input, now) {
            Some(result) => result,
            None => {
                return Outcome::Skipped(format!("op {op:?} is not implemented by this adapter"))
            }
        },
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

#[cfg(not(feature = "server"))]
mod server {
    /// An event-only build runs no server op.
    pub fn run(_op: &str, _input: &str, _now: Option<&str>) -> Option<super::OpResult> {
        None
    }
}

#[cfg(feature = "server")]
mod server {
    use axum::Json;
    use chrono::{DateTime, Utc};
    use noetl_events::ExecutorEvent;
    use noetl_server::handlers::events::{BatchEventRequest, EventRequest};
    use noetl_server::sanitize::sanitize_sensitive_data;
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use serde_json::Value;

    use super::{parse, write, OpResult};

    /// Runs a server op, or `None` when `op` is not one.
    pub fn run(op: &str, input: &str, now: Option<&str>) -> Option<OpResult> {
        Some(match op {
            "decode_request" => parse::<EventRequest>(input).and_then(|req| write(&req)),
            "event_to_request" => {
                parse::<ExecutorEvent>(input).and_then(|ev| write(&EventRequest::from(ev)))
            }
            "request_to_event" => {
                parse::<EventRequest>(input).and_then(|req| request_to_event(req, now))
            }
            "decode_batch" => parse::<BatchEventRequest>(input).and_then(|b| write(&b)),
            "sanitize_value" => {
                parse::<Value>(input).and_then(|v| write(&sanitize_sensitive_data(&v)))
            }
            "post_events" => post::<EventRequest>(input),
            "post_batch" => post::<BatchEventRequest>(input),
            _ => return None,
        })
    }

    /// The server's `TryFrom<&EventRequest>`, with the run's `now` standing in for its wall
    /// clock: `created_at` is filled from `now` only when the request has none.
    fn request_to_event(mut req: EventRequest, now: Option<&str>) -> OpResult {
        if req.created_at.is_none() {
            req.created_at = Some(parse_now(now)?);
        }
        let event = ExecutorEvent::try_from(&req).map_err(|e| ("conversion", e.to_string()))?;
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

    /// The server's answer to a body: `{"status":N,"body":TEXT}`.
    #[derive(Serialize)]
    struct Answer {
        status: u16,
        body: String,
    }

    /// What the handler's `Json<T>` extractor answers to `input` as a request body.
    fn post<T: DeserializeOwned + Serialize>(input: &str) -> OpResult {
        let answer = match Json::<T>::from_bytes(input.as_bytes()) {
            Ok(Json(body)) => Answer {
                status: 200,
                body: write(&body)?,
            },
            Err(rejection) => Answer {
                status: rejection.status().as_u16(),
                body: rejection.body_text(),
            },
        };
        write(&answer)
    }
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
    fn canonical_value_sorts_keys() {
        assert_eq!(
            output("canonical_value", r#"{"b":1,"a":[-0,1e16]}"#, None),
            r#"{"a":[-0.0,1e+16],"b":1}"#
        );
    }

    #[test]
    fn unknown_ops_are_skipped() {
        assert!(matches!(
            run("encode_check", "{}", None),
            Outcome::Skipped(_)
        ));
    }

    #[cfg(not(feature = "server"))]
    #[test]
    fn an_event_only_build_declares_and_runs_no_server_op() {
        assert_eq!(OPS, &["decode_event", "canonical_value"]);
        assert!(matches!(
            run("decode_request", "{}", None),
            Outcome::Skipped(_)
        ));
    }

    #[cfg(feature = "server")]
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

    #[cfg(feature = "server")]
    #[test]
    fn conversion_errors_carry_the_servers_text() {
        let input = r#"{"execution_id":"x","step":"s","event_type":"e","created_at":"2026-01-01T00:00:00Z"}"#;
        assert_eq!(
            run("request_to_event", input, None),
            Outcome::Error {
                kind: "conversion",
                message: r#"execution_id "x" not parseable as i64: invalid digit found in string"#
                    .into()
            }
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn array_form_needs_all_fourteen_elements() {
        // The server's Option fields carry no `default`, so a short array is an invalid length.
        let err = run("decode_request", r#"["1","s","e"]"#, None);
        assert!(
            matches!(&err, Outcome::Error { kind: "invalid_length", message } if message.starts_with("invalid length 4, expected struct EventRequest with 14 elements")),
            "{err:?}"
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn batch_items_default_actionable_to_false() {
        assert_eq!(
            output(
                "decode_batch",
                r#"{"execution_id":3,"events":[{"step":"s","name":"e"}]}"#,
                None
            ),
            r#"{"execution_id":"3","events":[{"step":"s","event_type":"e","payload":null,"actionable":false,"informative":true}]}"#
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn sanitize_value_redacts_keys_and_values() {
        assert_eq!(
            output(
                "sanitize_value",
                r#"{"Password":"x","note":"Bearer abc","n":1}"#,
                None
            ),
            r#"{"Password":"[REDACTED]","n":1,"note":"[REDACTED]"}"#
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn post_answers_with_status_and_body() {
        assert_eq!(
            output("post_events", r#"{"execution_id":1,"step":"s","event_type":"e"}"#, None),
            r#"{"status":200,"body":"{\"execution_id\":\"1\",\"step\":\"s\",\"event_type\":\"e\",\"payload\":null,\"result_kind\":\"data\",\"actionable\":true,\"informative\":true}"}"#
        );
        assert_eq!(
            output("post_events", r#"{"execution_id":1.5}"#, None),
            r#"{"status":422,"body":"Failed to deserialize the JSON body into the target type: execution_id: invalid type: floating point `1.5`, expected a string or signed/unsigned integer representing a snowflake id at line 1 column 19"}"#
        );
        assert_eq!(
            output("post_batch", "{", None),
            r#"{"status":400,"body":"Failed to parse the request body as JSON: EOF while parsing an object at line 1 column 1"}"#
        );
    }
}
