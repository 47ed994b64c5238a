//! Drives the built binary as the kit does: lines in on stdin, lines out on stdout, exit status.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs the adapter on `input`; returns its exit code and its stdout lines.
fn session(input: &str) -> (i32, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_noetl-events-adapter"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn adapter");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    (
        out.status.code().unwrap(),
        stdout.lines().map(str::to_owned).collect(),
    )
}

const FULL_EVENT: &str = r#"{"execution_id":478775660589088776,"event_type":"command.completed","step":"fetch_calendar","status":"COMPLETED","created_at":"2026-05-31T03:14:15Z","context":{"result":{"items":42}},"event_id":478775660589088777,"worker_id":"worker-prod-7","meta":{"attempts":3,"parent_event_id":"478775660589088770"}}"#;

#[test]
fn pipelined_session_answers_in_order() {
    let run = |seq: i64, op: &str, input: &str| {
        serde_json::json!({"cmd": "run", "seq": seq, "op": op, "input": input, "now": "2026-01-01T00:00:00Z"})
            .to_string()
    };
    let input = [
        r#"{"cmd":"start","protocol":1}"#.to_string(),
        run(1, "decode_event", FULL_EVENT),
        run(
            2,
            "decode_request",
            r#"{"execution_id":1.5,"step":"s","event_type":"e"}"#,
        ),
        run(3, "encode_check", "{}"),
        r#"{"cmd":"stop"}"#.to_string(),
    ]
    .join("\n");
    let (code, lines) = session(&input);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with(
        r#"{"ready":true,"protocol":1,"implementation":{"name":"noetl-events","language":"rust","#
    ));
    let first: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["output"], FULL_EVENT);
    if cfg!(feature = "server") {
        assert!(lines[2].starts_with(r#"{"seq":2,"ok":false,"error":{"kind":"invalid_type","#));
    } else {
        // An event-only build runs no request op.
        assert!(lines[2].starts_with(r#"{"seq":2,"skipped":true,"#));
    }
    assert!(lines[3].starts_with(r#"{"seq":3,"skipped":true,"#));
}

#[test]
fn exit_statuses() {
    assert_eq!(session(""), (0, vec![]));
    assert_eq!(
        session("{\"cmd\":\"start\",\"protocol\":2}\n{\"cmd\":\"stop\"}\n"),
        (0, vec![r#"{"ready":false,"protocol":1}"#.to_string()])
    );
    assert_eq!(session("not json\n").0, 2);
    assert_eq!(session("{\"cmd\":\"dance\"}\n").0, 2);
}
