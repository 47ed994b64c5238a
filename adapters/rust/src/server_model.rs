//! A MODEL of noetl-server 3.83.1's request types, not the server's own code.
//!
//! The real `EventRequest` / `BatchEventRequest` / `BatchEventItem` live in the `noetl-server`
//! crate, which cannot be built here: it pulls in a database driver and a web framework. This
//! module re-declares them field for field with the same serde attributes, the same lax id
//! decoders and the same `From` / `TryFrom` conversions, as described in the wire contract
//! (§2, §3). `ExecutorEvent` itself is NOT modelled: it is the real type from the published
//! `noetl-events` crate.
//!
//! Field declaration order is serialization order, so it must not be rearranged.

use std::fmt;

use chrono::{DateTime, Utc};
use noetl_events::ExecutorEvent;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The server's `POST /api/events` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRequest {
    /// Snowflake id, kept as a string; accepts a JSON string or integer.
    #[serde(deserialize_with = "lax_id")]
    pub execution_id: String,
    pub step: String,
    #[serde(alias = "name")]
    pub event_type: String,
    #[serde(default, alias = "context")]
    pub payload: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default = "default_result_kind")]
    pub result_kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<i64>>,
    #[serde(default = "default_true")]
    pub actionable: bool,
    #[serde(default = "default_true")]
    pub informative: bool,
    /// Snowflake id, kept as a string; accepts null, a JSON string or integer.
    #[serde(
        default,
        deserialize_with = "lax_optional_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// The server's batched ingestion body. No op uses it yet; modelled for completeness.
#[allow(dead_code, reason = "no op decodes batches yet")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchEventRequest {
    #[serde(deserialize_with = "lax_id")]
    pub execution_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    pub events: Vec<BatchEventItem>,
}

/// One event of a [`BatchEventRequest`]. Note `actionable` defaults to `false` here.
#[allow(dead_code, reason = "no op decodes batches yet")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchEventItem {
    pub step: String,
    #[serde(alias = "name")]
    pub event_type: String,
    #[serde(default, alias = "context")]
    pub payload: Value,
    #[serde(default)]
    pub actionable: bool,
    #[serde(default = "default_true")]
    pub informative: bool,
}

fn default_result_kind() -> String {
    "data".to_string()
}

fn default_true() -> bool {
    true
}

/// Lax snowflake id: a JSON string verbatim, or an integer as its decimal string.
struct LaxId;

impl<'de> Visitor<'de> for LaxId {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or signed/unsigned integer representing a snowflake id")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Optional lax snowflake id: null → None, otherwise as [`LaxId`].
struct LaxOptionalId;

impl<'de> Visitor<'de> for LaxOptionalId {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "null, a string, or a signed/unsigned integer representing an optional snowflake id",
        )
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    // serde_json's `deserialize_any` never calls this; kept because the server's visitor has it.
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        lax_id(d).map(Some)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        LaxId.visit_str(v).map(Some)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        LaxId.visit_string(v).map(Some)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        LaxId.visit_i64(v).map(Some)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        LaxId.visit_u64(v).map(Some)
    }
}

fn lax_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(LaxId)
}

fn lax_optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(LaxOptionalId)
}

/// The server's status for an event that carries none (case-sensitive substring tests, in order).
pub fn status_from_event_type(event_type: &str) -> &'static str {
    if ["done", "exit", "completed"]
        .iter()
        .any(|s| event_type.contains(s))
    {
        "COMPLETED"
    } else if ["error", "failed"].iter().any(|s| event_type.contains(s)) {
        "FAILED"
    } else {
        "RUNNING"
    }
}

impl From<ExecutorEvent> for EventRequest {
    fn from(ev: ExecutorEvent) -> Self {
        Self {
            execution_id: ev.execution_id.to_string(),
            step: ev.step,
            event_type: ev.event_type,
            payload: ev.context,
            meta: ev.meta,
            worker_id: ev.worker_id,
            result_kind: default_result_kind(),
            result_uri: None,
            event_ids: None,
            actionable: true,
            informative: true,
            event_id: ev.event_id.map(|id| id.to_string()),
            status: Some(ev.status),
            created_at: Some(ev.created_at),
        }
    }
}

/// The server's `TryFrom<&EventRequest> for ExecutorEvent`, with its clock passed in: a missing
/// `created_at` becomes `now`. The error is the server's message text.
pub fn to_event(req: &EventRequest, now: DateTime<Utc>) -> Result<ExecutorEvent, String> {
    let execution_id = req.execution_id.parse::<i64>().map_err(|e| {
        format!(
            "execution_id {:?} not parseable as i64: {}",
            req.execution_id, e
        )
    })?;
    let event_id = req
        .event_id
        .as_deref()
        .map(str::parse::<i64>)
        .transpose()
        .map_err(|e| format!("event_id {:?} not parseable as i64: {}", req.event_id, e))?;
    let status = req
        .status
        .clone()
        .unwrap_or_else(|| status_from_event_type(&req.event_type).to_string());
    Ok(ExecutorEvent {
        execution_id,
        event_type: req.event_type.clone(),
        step: req.step.clone(),
        status,
        created_at: req.created_at.unwrap_or(now),
        context: req.payload.clone(),
        event_id,
        worker_id: req.worker_id.clone(),
        meta: req.meta.clone(),
    })
}

/// The server's own signature: the wall clock fills a missing `created_at`.
impl TryFrom<&EventRequest> for ExecutorEvent {
    type Error = String;

    fn try_from(req: &EventRequest) -> Result<Self, Self::Error> {
        to_event(req, Utc::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &str) -> Result<EventRequest, String> {
        serde_json::from_str(input).map_err(|e| e.to_string())
    }

    fn round_trip(input: &str) -> String {
        serde_json::to_string(&decode(input).unwrap()).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn lax_id_takes_strings_verbatim_and_integers_as_decimal() {
        let out = round_trip(r#"{"execution_id":"abc","step":"s","event_type":"e"}"#);
        assert!(out.starts_with(r#"{"execution_id":"abc","#), "{out}");
        let out = round_trip(r#"{"execution_id":-7,"step":"s","event_type":"e"}"#);
        assert!(out.starts_with(r#"{"execution_id":"-7","#), "{out}");
        let out =
            round_trip(r#"{"execution_id":18446744073709551615,"step":"s","event_type":"e"}"#);
        assert!(
            out.starts_with(r#"{"execution_id":"18446744073709551615","#),
            "{out}"
        );
    }

    #[test]
    fn lax_id_rejects_a_float_with_its_expecting_text() {
        let err = decode(r#"{"execution_id":1.5,"step":"s","event_type":"e"}"#).unwrap_err();
        assert_eq!(
            err,
            "invalid type: floating point `1.5`, expected a string or signed/unsigned integer \
             representing a snowflake id at line 1 column 19"
        );
        let err = decode(r#"{"execution_id":1,"step":"s","event_type":"e","event_id":true}"#)
            .unwrap_err();
        assert!(
            err.starts_with(
                "invalid type: boolean `true`, expected null, a string, or a signed/unsigned \
                 integer representing an optional snowflake id"
            ),
            "{err}"
        );
    }

    #[test]
    fn defaults_fill_the_server_only_fields() {
        assert_eq!(
            round_trip(r#"{"execution_id":1,"step":"s","event_type":"e"}"#),
            r#"{"execution_id":"1","step":"s","event_type":"e","payload":null,"result_kind":"data","actionable":true,"informative":true}"#
        );
    }

    #[test]
    fn event_id_null_and_absent_are_none_and_integers_become_strings() {
        let req =
            decode(r#"{"execution_id":1,"step":"s","event_type":"e","event_id":null}"#).unwrap();
        assert_eq!(req.event_id, None);
        let req =
            decode(r#"{"execution_id":1,"step":"s","event_type":"e","event_id":42}"#).unwrap();
        assert_eq!(req.event_id.as_deref(), Some("42"));
    }

    #[test]
    fn name_alias_and_duplicate_payload_context() {
        let req = decode(r#"{"execution_id":1,"step":"s","name":"call.done"}"#).unwrap();
        assert_eq!(req.event_type, "call.done");
        let err =
            decode(r#"{"execution_id":1,"step":"s","event_type":"e","payload":1,"context":2}"#)
                .unwrap_err();
        assert!(err.starts_with("duplicate field `payload`"), "{err}");
        let err =
            decode(r#"{"execution_id":1,"step":"s","event_type":"e","name":"x"}"#).unwrap_err();
        assert!(err.starts_with("duplicate field `event_type`"), "{err}");
    }

    #[test]
    fn null_is_an_error_for_defaulted_plain_fields() {
        let err = decode(r#"{"execution_id":1,"step":"s","event_type":"e","actionable":null}"#)
            .unwrap_err();
        assert!(
            err.starts_with("invalid type: null, expected a boolean"),
            "{err}"
        );
        let err = decode(r#"{"step":"s","event_type":"e"}"#).unwrap_err();
        assert!(err.starts_with("missing field `execution_id`"), "{err}");
    }

    #[test]
    fn conversion_error_messages() {
        let req = decode(r#"{"execution_id":"abc","step":"s","event_type":"e"}"#).unwrap();
        assert_eq!(
            to_event(&req, now()).unwrap_err(),
            r#"execution_id "abc" not parseable as i64: invalid digit found in string"#
        );
        let req =
            decode(r#"{"execution_id":1,"step":"s","event_type":"e","event_id":"abc"}"#).unwrap();
        assert_eq!(
            to_event(&req, now()).unwrap_err(),
            r#"event_id Some("abc") not parseable as i64: invalid digit found in string"#
        );
        let req = decode(r#"{"execution_id":"","step":"s","event_type":"e"}"#).unwrap();
        assert_eq!(
            to_event(&req, now()).unwrap_err(),
            r#"execution_id "" not parseable as i64: cannot parse integer from empty string"#
        );
    }

    #[test]
    fn status_derivation() {
        assert_eq!(status_from_event_type("step.enter"), "RUNNING");
        assert_eq!(status_from_event_type("x.failed.done"), "COMPLETED");
        assert_eq!(status_from_event_type("call.error"), "FAILED");
        assert_eq!(status_from_event_type("step.exit"), "COMPLETED");
        assert_eq!(status_from_event_type("Call.DONE"), "RUNNING");
    }

    #[test]
    fn to_event_fills_status_and_created_at() {
        let req = decode(
            r#"{"execution_id":"+5","step":"s","event_type":"call.error","context":{"b":1,"a":2}}"#,
        )
        .unwrap();
        let ev = to_event(&req, now()).unwrap();
        assert_eq!(
            serde_json::to_string(&ev).unwrap(),
            r#"{"execution_id":5,"event_type":"call.error","step":"s","status":"FAILED","created_at":"2026-01-02T03:04:05Z","context":{"a":2,"b":1}}"#
        );
    }

    #[test]
    fn from_executor_event() {
        let ev: ExecutorEvent = serde_json::from_str(
            r#"{"execution_id":9,"event_type":"e","step":"s","status":"OK","created_at":"2026-01-02T03:04:05.5Z","context":null,"event_id":10}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&EventRequest::from(ev)).unwrap(),
            r#"{"execution_id":"9","step":"s","event_type":"e","payload":null,"result_kind":"data","actionable":true,"informative":true,"event_id":"10","status":"OK","created_at":"2026-01-02T03:04:05.500Z"}"#
        );
    }

    #[test]
    fn batch_item_actionable_defaults_to_false() {
        let batch: BatchEventRequest =
            serde_json::from_str(r#"{"execution_id":3,"events":[{"step":"s","name":"e"}]}"#)
                .unwrap();
        assert_eq!(
            serde_json::to_string(&batch).unwrap(),
            r#"{"execution_id":"3","events":[{"step":"s","event_type":"e","payload":null,"actionable":false,"informative":true}]}"#
        );
    }
}
