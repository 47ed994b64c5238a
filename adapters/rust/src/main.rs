//! `noetl-events-adapter`: runner protocol v1 over stdin/stdout for the real `noetl-events` crate.
//!
//! Exit status: 0 after `stop`, end of input, or a declined handshake; 1 if stdout cannot be
//! written; 2 on a protocol break (a line that is not a known request).

mod classify;
mod ops;
mod protocol;

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use protocol::{Ready, Request, RunResponse};

/// Writes one response line and flushes it, so a pipelining kit sees it at once.
fn send<T: serde::Serialize>(out: &mut impl Write, message: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, message)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn serve() -> Result<ExitCode, io::Error> {
    let mut out = BufWriter::new(io::stdout().lock());
    for (number, line) in io::stdin().lock().lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!(
                    "noetl-events-adapter: cannot read request line {}: {e}",
                    number + 1
                );
                return Ok(ExitCode::from(2));
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Request>(&line) {
            Ok(Request::Start { protocol }) => {
                let ready = Ready::answer(protocol, ops::OPS);
                send(&mut out, &ready)?;
                if !ready.ready {
                    return Ok(ExitCode::SUCCESS);
                }
            }
            Ok(Request::Run(run)) => {
                let outcome = ops::run(&run.op, &run.input, run.now.as_deref());
                send(&mut out, &RunResponse::new(run.seq, outcome))?;
            }
            Ok(Request::Stop) => return Ok(ExitCode::SUCCESS),
            Err(e) => {
                eprintln!(
                    "noetl-events-adapter: protocol break on request line {}: {e}: {line}",
                    number + 1
                );
                return Ok(ExitCode::from(2));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    serve().unwrap_or_else(|e| {
        eprintln!("noetl-events-adapter: cannot write a response: {e}");
        ExitCode::from(1)
    })
}
