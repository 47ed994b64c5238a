//! Runner protocol v1 messages: the requests the kit sends and the responses this adapter writes.
//!
//! Every response is built by serde_json from a struct, so escaping is serde_json's own and the
//! key order is the one the protocol shows.

use serde::{Deserialize, Serialize};

/// The only protocol version this adapter speaks.
pub const PROTOCOL: u64 = 1;

/// One request line from the kit.
#[derive(Debug, Deserialize)]
#[serde(tag = "cmd", rename_all = "lowercase")]
pub enum Request {
    Start { protocol: u64 },
    Run(RunRequest),
    Stop,
}

#[derive(Debug, Deserialize)]
pub struct RunRequest {
    pub seq: i64,
    pub op: String,
    /// Raw JSON text, handed to the implementation as is.
    pub input: String,
    /// RFC 3339 "now" for conversions that need a clock.
    #[serde(default)]
    pub now: Option<String>,
}

/// The handshake answer. `implementation` and `ops` are present only when ready.
#[derive(Debug, Serialize)]
pub struct Ready {
    pub ready: bool,
    pub protocol: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<Implementation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops: Option<&'static [&'static str]>,
}

#[derive(Debug, Serialize)]
pub struct Implementation {
    pub name: &'static str,
    pub language: &'static str,
    pub version: &'static str,
    pub versions: Versions,
}

/// Resolved versions of the crates under test, read from `Cargo.lock` by `build.rs`.
#[derive(Debug, Serialize)]
pub struct Versions {
    #[serde(rename = "noetl-events")]
    pub noetl_events: &'static str,
    pub serde_json: &'static str,
    pub chrono: &'static str,
    pub serde: &'static str,
    /// Present only in a build with the `server` feature.
    #[cfg(feature = "server")]
    #[serde(rename = "noetl-server")]
    pub noetl_server: &'static str,
}

pub const VERSIONS: Versions = Versions {
    noetl_events: env!("NOETL_ADAPTER_VERSION_NOETL_EVENTS"),
    serde_json: env!("NOETL_ADAPTER_VERSION_SERDE_JSON"),
    chrono: env!("NOETL_ADAPTER_VERSION_CHRONO"),
    serde: env!("NOETL_ADAPTER_VERSION_SERDE"),
    #[cfg(feature = "server")]
    noetl_server: env!("NOETL_ADAPTER_VERSION_NOETL_SERVER"),
};

impl Ready {
    /// The answer to `start`: ready with our identity and ops if the versions match.
    pub fn answer(requested: u64, ops: &'static [&'static str]) -> Self {
        let ready = requested == PROTOCOL;
        Self {
            ready,
            protocol: PROTOCOL,
            implementation: ready.then_some(Implementation {
                name: "noetl-events",
                language: "rust",
                version: VERSIONS.noetl_events,
                versions: VERSIONS,
            }),
            ops: ready.then_some(ops),
        }
    }
}

/// What one `run` produced.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Output(String),
    Error { kind: &'static str, message: String },
    Skipped(String),
}

/// The answer to `run`, in the protocol's key order.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum RunResponse {
    Output {
        seq: i64,
        ok: bool,
        output: String,
    },
    Error {
        seq: i64,
        ok: bool,
        error: ErrorBody,
    },
    Skipped {
        seq: i64,
        skipped: bool,
        reason: String,
    },
}

#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub kind: &'static str,
    pub message: String,
}

impl RunResponse {
    pub fn new(seq: i64, outcome: Outcome) -> Self {
        match outcome {
            Outcome::Output(output) => Self::Output {
                seq,
                ok: true,
                output,
            },
            Outcome::Error { kind, message } => Self::Error {
                seq,
                ok: false,
                error: ErrorBody { kind, message },
            },
            Outcome::Skipped(reason) => Self::Skipped {
                seq,
                skipped: true,
                reason,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse() {
        let r: Request =
            serde_json::from_str(r#"{"cmd":"run","seq":3,"op":"x","input":"{}"}"#).unwrap();
        assert!(matches!(
            r,
            Request::Run(RunRequest {
                seq: 3,
                now: None,
                ..
            })
        ));
        assert!(matches!(
            serde_json::from_str(r#"{"cmd":"stop"}"#).unwrap(),
            Request::Stop
        ));
        assert!(serde_json::from_str::<Request>(r#"{"cmd":"dance"}"#).is_err());
    }

    #[test]
    fn responses_serialize_in_protocol_order() {
        let ok = RunResponse::new(1, Outcome::Output("{\"a\":1}".into()));
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"seq":1,"ok":true,"output":"{\"a\":1}"}"#
        );
        let err = RunResponse::new(
            2,
            Outcome::Error {
                kind: "syntax",
                message: "m".into(),
            },
        );
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"seq":2,"ok":false,"error":{"kind":"syntax","message":"m"}}"#
        );
        let skipped = RunResponse::new(3, Outcome::Skipped("r".into()));
        assert_eq!(
            serde_json::to_string(&skipped).unwrap(),
            r#"{"seq":3,"skipped":true,"reason":"r"}"#
        );
        assert_eq!(
            serde_json::to_string(&Ready::answer(2, &[])).unwrap(),
            r#"{"ready":false,"protocol":1}"#
        );
    }
}
