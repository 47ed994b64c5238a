//! The native engine of `noetl-events-conformance check`.
//!
//! Each line gets the verdict of the real type, `noetl_events::ExecutorEvent` from the
//! published crate, with serde_json pinned like the adapter (request streams, whose type lives
//! in the server library, are left to the Python engine). A line the lean decode (`lean.rs`:
//! serde_json's own parsing, the crate's fields, no `Value` built) accepts is valid; every other
//! line is decoded into the crate's type, which gives the verdict and the error. Python
//! receives per block only the summary: how many lines are valid, the event types counted, the
//! invalid lines (index and the kit's error kind), and the hazards.
//!
//! Hazards are computed here for the lines whose shape the native scanner handles exactly
//! (nesting well below the reported depth, nothing that could be a secret, strings that
//! decode); every other valid line is "handed back": Python scans it with the reference
//! scanner. The native scanner never guesses: when in doubt, it hands the line back.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

mod file;
mod helpers;
mod lean;
mod scan;

use chrono::{DateTime, Timelike, Utc};
use noetl_events::ExecutorEvent;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

include!("../../conformance/rust/classify.rs");

use scan::{Field, FxMap, HandBack, Roles, SecretFilter, Texts};

/// The few fields of a record the engine reads after decoding.
struct Decoded<'a> {
    event_type: Cow<'a, str>,
    /// Nanoseconds of `created_at` (>= 1e9 on a leap second).
    nanos: u32,
}

fn nanos(created_at: &DateTime<Utc>) -> u32 {
    created_at.nanosecond()
}

/// Bytes as serde_json reads them (`from_slice`: bad UTF-8 is an error inside the strings it
/// reads, and skipped inside the values of unknown keys, as the reference does).
fn decode(text: &[u8]) -> Result<Decoded<'_>, &'static str> {
    lean::decode(text).map_or_else(|| decode_by_crate(text), |lean| Ok(lean.into()))
}

impl<'a> From<lean::Lean<'a>> for Decoded<'a> {
    fn from(lean: lean::Lean<'a>) -> Self {
        Decoded {
            nanos: nanos(&lean.created_at),
            event_type: lean.event_type,
        }
    }
}

/// The lean decode of `line` with the fused hazard scan riding on it: the record, and whether
/// the scan settled the line (its hazards are then in `found`); None when the lean decode
/// leaves the line to the crate.
fn decode_fused<'a>(
    line: &'a [u8],
    scratch: &mut scan::Scratch<'a>,
    secrets: &SecretFilter,
    texts: Texts,
    found: &mut scan::Found,
) -> Option<(Decoded<'a>, bool)> {
    let mut fused = scratch.fused(line, secrets, texts);
    let decoded = Decoded::from(lean::decode_watched(line, &mut fused)?);
    let settled = fused.finish(decoded.nanos, found);
    Some((decoded, settled))
}

/// `decode` by the crate itself.
fn decode_by_crate(text: &[u8]) -> Result<Decoded<'_>, &'static str> {
    match serde_json::from_slice::<ExecutorEvent>(text) {
        Ok(ev) => Ok(Decoded {
            nanos: nanos(&ev.created_at),
            event_type: Cow::Owned(ev.event_type),
        }),
        Err(e) => Err(classify(&e).0),
    }
}

/// Checks blocks of event lines.
#[pyclass(frozen, module = "noetl_events_native")]
struct Engine {
    checker: Arc<Checker>,
    /// The threads that share a block with the caller's.
    helpers: helpers::Helpers<Vec<(usize, Part)>>,
    /// How many threads check a file the engine reads itself (`check_file`).
    threads: usize,
}

/// What checks lines: the verdicts, and the hazards when asked for.
struct Checker {
    hazards: bool,
    /// The hazard scan rides on the lean decode (`scan::Fused`): the fields' roles are the
    /// crate's own.
    fused: bool,
    fields: Roles,
    secrets: SecretFilter,
}

/// An error kind of `classify`, as its place in `Kind::names()`.
#[derive(Clone, Copy)]
struct Kind(u8);

impl Kind {
    /// Every kind `classify` gives: its two fallbacks, then its rules' (first occurrence).
    fn names() -> impl Iterator<Item = &'static str> {
        ["syntax", "other"]
            .into_iter()
            .chain(SYNTAX_RULES.iter().chain(DATA_RULES).map(|&(_, kind)| kind))
    }

    fn of(kind: &'static str) -> Kind {
        let at = Kind::names().position(|name| name == kind);
        Kind(at.and_then(|at| u8::try_from(at).ok()).unwrap_or(1)) // (every kind is named)
    }

    fn name(self) -> &'static str {
        Kind::names().nth(usize::from(self.0)).unwrap_or("other")
    }
}

/// A line's index in its block, as the block's lists hold it (a block is at most 2^32 lines:
/// `check` takes 65,536 at a time, and a file's blocks are a few MiB).
fn index(k: usize) -> u32 {
    u32::try_from(k).expect("a block's lines are counted in u32")
}

/// What a block gave, before it is handed to Python.
#[derive(Default)]
struct BlockOut {
    valid: usize,
    types: FxMap<String, u64>,
    /// The invalid lines: index and kind (`Kind`: 8 bytes a line, a block may hold a million).
    invalid: Vec<(u32, Kind)>,
    hazard_lines: usize,
    hazard_counts: FxMap<&'static str, u64>,
    hazards: Vec<(usize, &'static str, String, String)>,
    handed_back: Vec<u32>,
}

/// What a part of a block gave: its count of lines and its output, or None when it holds a
/// line over the maximum (then the block is not checked).
type Part = Option<(usize, BlockOut)>;

/// Lines below which a block is not split across threads (a thread costs more than it gives).
const MIN_LINES_PER_THREAD: usize = 256;

/// The parts a shared block is cut into, per thread: the threads take them in turn, so a thread
/// held up (by a reader thread, or another process) leaves the rest of its share to the others.
const PARTS_PER_THREAD: usize = 8;

/// The outputs of consecutive parts of a block, each with its count of lines, as one.
fn join(outs: impl IntoIterator<Item = (usize, BlockOut)>, room: Option<usize>) -> BlockOut {
    let mut outs = outs.into_iter();
    let (mut offset, mut out) = outs.next().unwrap_or_default();
    for (lines, part) in outs {
        out.append(part, offset, room);
        offset += lines;
    }
    out
}

impl BlockOut {
    /// Adds `part`, the block's lines from `offset` on, checked after these.
    fn append(&mut self, part: BlockOut, offset: usize, room: Option<usize>) {
        self.valid += part.valid;
        for (t, n) in part.types {
            *self.types.entry(t).or_insert(0) += n;
        }
        let offset32 = index(offset);
        self.invalid.extend(
            part.invalid
                .into_iter()
                .map(|(k, kind)| (k + offset32, kind)),
        );
        self.hazard_lines += part.hazard_lines;
        for (kind, n) in part.hazard_counts {
            *self.hazard_counts.entry(kind).or_insert(0) += n;
        }
        let keep = room.map_or(usize::MAX, |r| r.saturating_sub(self.hazards.len()));
        self.hazards.extend(
            part.hazards
                .into_iter()
                .take(keep)
                .map(|(k, kind, path, detail)| (k + offset, kind, path, detail)),
        );
        self.handed_back
            .extend(part.handed_back.into_iter().map(|k| k + offset32));
    }
}

impl Engine {
    /// `run` on the engine's threads (this one and its helpers), which take contiguous parts
    /// of the block in turn; the parts' outputs are joined in line order, so the result is
    /// `run`'s on the whole block.
    fn run_parts(&self, lines: &[&[u8]], room: Option<usize>) -> BlockOut {
        let threads = self
            .helpers
            .threads()
            .min(lines.len() / MIN_LINES_PER_THREAD);
        if threads <= 1 {
            return self.checker.run(lines, room);
        }
        let size = lines.len().div_ceil(threads * PARTS_PER_THREAD);
        let parts: Vec<&[&[u8]]> = lines.chunks(size).collect();
        let outs = self.share(threads, parts.len(), &|i| {
            Some((parts[i].len(), self.checker.run(parts[i], room)))
        });
        join(outs.into_iter().flatten(), room)
    }

    /// `work(i)` for each part `i` below `parts`, on `threads` of the engine's threads, each
    /// taking the next part not yet taken; the answers in the order of the parts.
    fn share(
        &self,
        threads: usize,
        parts: usize,
        work: &(dyn Fn(usize) -> Part + Sync),
    ) -> Vec<Part> {
        let next = AtomicUsize::new(0);
        let taken = self.helpers.run(threads, &|_| {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= parts {
                    return mine;
                }
                mine.push((i, work(i)));
            }
        });
        let mut outs: Vec<(usize, Part)> = taken.into_iter().flatten().collect();
        outs.sort_unstable_by_key(|&(i, _)| i);
        outs.into_iter().map(|(_, out)| out).collect()
    }
}

impl Checker {
    /// The verdicts (and hazards) of `lines`, at most `room` hazards with their texts.
    fn run<'a>(&self, lines: &[&'a [u8]], room: Option<usize>) -> BlockOut {
        let mut out = BlockOut::default();
        let mut scratch = scan::Scratch::<'a>::default();
        let mut found = scan::Found::new();
        for (k, line) in lines.iter().enumerate() {
            let texts = room.map_or(Texts::ALL, |r| Texts(r.saturating_sub(out.hazards.len())));
            found.clear();
            // With hazards, the fused scan reads the line with the lean decode; a line it does
            // not settle is scanned again below.
            let mut settled = false;
            let decoded = if self.hazards && self.fused {
                match decode_fused(line, &mut scratch, &self.secrets, texts, &mut found) {
                    Some((decoded, done)) => {
                        settled = done;
                        Ok(decoded)
                    }
                    None => decode_by_crate(line),
                }
            } else {
                decode(line)
            };
            let decoded = match decoded {
                Ok(d) => d,
                Err(kind) => {
                    out.invalid.push((index(k), Kind::of(kind)));
                    continue;
                }
            };
            out.valid += 1;
            match out.types.get_mut(decoded.event_type.as_ref()) {
                Some(n) => *n += 1,
                None => {
                    out.types.insert(decoded.event_type.into_owned(), 1);
                }
            }
            if !self.hazards {
                continue;
            }
            let scanned = if settled {
                Ok(())
            } else {
                scan::scan(
                    line,
                    &self.fields,
                    &self.secrets,
                    decoded.nanos,
                    texts,
                    &mut scratch,
                    &mut found,
                )
            };
            match scanned {
                Ok(()) => {
                    if found.is_empty() {
                        continue;
                    }
                    out.hazard_lines += 1;
                    for hazard in found.drain(..) {
                        let (kind, path, detail) = hazard.into_parts();
                        *out.hazard_counts.entry(kind).or_insert(0) += 1;
                        if room.is_none_or(|r| out.hazards.len() < r) {
                            out.hazards.push((k, kind, path, detail));
                        }
                    }
                }
                Err(HandBack) => out.handed_back.push(index(k)),
            }
        }
        out
    }
}

#[pymethods]
impl Engine {
    /// `mode`: "event" (the only one); `fields`: top-level key (names and aliases) -> role
    /// ("execution_id", "event_id", "event_ids", "value", "meta", "created_at"), or None: the
    /// crate's keys (the lean decode's table, checked against the crate); `key_parts`: the
    /// parts that make a key sensitive.
    #[new]
    /// `threads`: how many threads share each block (the answers are the same).
    /// `folds`: the non-ASCII chars whose lowercase holds ASCII chars, and that lowercase (the
    /// reference's table); None: any key outside ASCII may be a secret.
    #[pyo3(signature = (mode, hazards, fields, key_parts, threads=1, folds=None))]
    fn new(
        mode: &str,
        hazards: bool,
        fields: Option<HashMap<String, String>>,
        key_parts: Vec<String>,
        threads: usize,
        folds: Option<HashMap<u32, String>>,
    ) -> PyResult<Self> {
        if mode != "event" {
            // The server's request type lives in the server library, which this module does not
            // link: request streams are checked by the Python engine.
            return Err(PyValueError::new_err(format!("unknown mode {mode:?}")));
        }
        let fused = fields.is_none();
        let fields = match fields {
            Some(fields) => fields,
            None => lean::keys()
                .filter_map(|(key, field)| {
                    let role = match field {
                        "context" => "value",
                        "execution_id" | "event_id" | "meta" | "created_at" => field,
                        _ => return None,
                    };
                    Some((key.to_owned(), role.to_owned()))
                })
                .collect(),
        };
        let mut roles = Vec::new();
        for (key, role) in fields {
            let field = match role.as_str() {
                "execution_id" => Field::ExecutionId,
                "event_id" => Field::EventId,
                "event_ids" => Field::EventIds,
                "value" => Field::Value,
                "meta" => Field::Meta,
                "created_at" => Field::CreatedAt,
                _ => return Err(PyValueError::new_err(format!("unknown role {role:?}"))),
            };
            roles.push((key.into_bytes(), field));
        }
        Ok(Engine {
            checker: Arc::new(Checker {
                hazards,
                fused: fused && lean::verified(),
                fields: Roles(roles),
                secrets: SecretFilter::new(key_parts, folds.map(|f| f.into_iter().collect())),
            }),
            helpers: helpers::Helpers::new(threads.max(1) - 1),
            threads: threads.max(1),
        })
    }

    /// Checks `lines` (a list of bytes). Returns `(valid, types, invalid, hazard_lines,
    /// hazard_counts, hazards, handed_back)`: `types` maps event types to counts, `invalid` is a
    /// list of `(index, kind)`, `hazards` at most `room` (None: all) tuples `(index, kind, path,
    /// detail)` in line order, `handed_back` the valid lines to scan with the reference.
    /// With `max_line`, a block holding a longer line is not checked: None is returned.
    #[pyo3(signature = (lines, room=None, max_line=None))]
    fn check<'py>(
        &self,
        py: Python<'py>,
        lines: &Bound<'py, PyList>,
        room: Option<usize>,
        max_line: Option<usize>,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        // Owned references: the lines stay alive while the lock is released, whatever
        // another thread does to the list.
        let owned: Vec<Bound<'py, PyBytes>> = lines
            .iter()
            .map(|item| item.downcast_into::<PyBytes>().map_err(PyErr::from))
            .collect::<PyResult<_>>()?;
        let views: Vec<&[u8]> = owned.iter().map(|b| b.as_bytes()).collect();
        if let Some(max) = max_line {
            if views.iter().any(|v| v.len() > max) {
                return Ok(None);
            }
        }
        let out = py.allow_threads(|| self.run_parts(&views, room));
        answer(py, out).map(Some)
    }

    /// Starts checking `size` bytes of the plain file open at `fd`, which this engine reads
    /// itself, in blocks of `block` bytes, on the engine's threads (see `file.rs`): `FileRun`
    /// hands the blocks' answers in file order. `room` is as for `check`. With `read_only`,
    /// the lines are read and counted, not checked (every answer is empty): reading alone.
    #[pyo3(signature = (fd, size, room=None, block=1 << 20, read_only=false))]
    fn check_file(
        &self,
        fd: i32,
        size: u64,
        room: Option<usize>,
        block: u64,
        read_only: bool,
    ) -> PyResult<FileRun> {
        let checker = Arc::clone(&self.checker);
        let run = file::Run::start(checker, fd, size, block, room, self.threads, read_only)?;
        Ok(FileRun {
            run: std::sync::Mutex::new(Some(run)),
            parts: std::sync::Mutex::new(std::collections::VecDeque::new()),
        })
    }
}

/// The blocks of a file being checked (`Engine.check_file`), in file order.
#[pyclass(frozen, module = "noetl_events_native")]
struct FileRun {
    run: std::sync::Mutex<Option<file::Run>>,
    /// The parts of the block `next` gave that `part` has not given yet.
    parts: std::sync::Mutex<std::collections::VecDeque<file::Part>>,
}

#[pymethods]
impl FileRun {
    /// The next block: `(parts, text, lines, done, end, at, error)`, or None after the last.
    /// `parts` is how many parts `part` then gives (the block's lines in order, at most 65,536
    /// a part); `text` is the block's lines joined by newlines when a part needs them read
    /// (invalid lines, lines handed back), else None; `done` is the offset after the block;
    /// `end` says whether the run goes on: "next", or "long" (the lines from offset `at` on are
    /// the caller's to read), "tail" (the last line, from `at`, has no newline), "short" (the
    /// file held less than its size from `at` on), "failed" (a read failed; `error` is
    /// `(errno, message)`). Waits with the lock released, and lets Python's signal handlers run
    /// (Ctrl-C) while it waits.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.parts.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let block = loop {
            let got = py.allow_threads(|| {
                let guard = self.run.lock().unwrap_or_else(|e| e.into_inner());
                match guard.as_ref() {
                    Some(run) => run.next(std::time::Duration::from_millis(50)),
                    None => Ok(None),
                }
            });
            match got {
                Ok(block) => break block,
                Err(()) => py.check_signals()?,
            }
        };
        let Some(block) = block else {
            return Ok(None);
        };
        let lines = block.lines();
        let count = block.parts.len();
        let text = block
            .text
            .map(|(buf, first, stop)| PyBytes::new(py, &buf[first..stop]));
        let (end, at, error): (&str, Option<u64>, Option<(i32, String)>) = match block.end {
            file::End::Next => ("next", None, None),
            file::End::Long(at) => ("long", Some(at), None),
            file::End::Tail(at) => ("tail", Some(at), None),
            file::End::Short(at) => ("short", Some(at), None),
            file::End::Failed(at, e) => (
                "failed",
                Some(at),
                Some((e.raw_os_error().unwrap_or(0), e.to_string())),
            ),
            file::End::Panicked(why) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "the native engine failed: {why}"
                )))
            }
        };
        *self.parts.lock().unwrap_or_else(|e| e.into_inner()) = block.parts.into();
        (count, text, lines, block.done, end, at, error)
            .into_pyobject(py)
            .map(Some)
    }

    /// The next part of the block `next` gave: `(lines, answer, start, end)`, `answer` as
    /// `check` gives it and `text[start:end]` its lines; None after the last.
    fn part<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let part = self
            .parts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        let Some((count, out, start, end)) = part else {
            return Ok(None);
        };
        (count, answer(py, out)?, start, end)
            .into_pyobject(py)
            .map(Some)
    }

    /// The report's room for hazards now (`check_file`'s `room`): the blocks whose check
    /// begins later write the texts of that many hazards at most.
    fn set_room(&self, room: usize) {
        if let Some(run) = self.run.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            run.set_room(room);
        }
    }

    /// Stops the run's threads (each ends after the block it is reading) and waits for them.
    fn close(&self, py: Python<'_>) {
        self.parts.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let run = self.run.lock().unwrap_or_else(|e| e.into_inner()).take();
        py.allow_threads(|| drop(run));
    }
}

/// The tuple `check` answers (`out` as Python objects).
fn answer<'py>(py: Python<'py>, out: BlockOut) -> PyResult<Bound<'py, PyTuple>> {
    let types = PyDict::new(py);
    for (t, n) in out.types {
        types.set_item(t, n)?;
    }
    let counts = PyDict::new(py);
    for (t, n) in out.hazard_counts {
        counts.set_item(t, n)?;
    }
    let invalid = PyList::new(
        py,
        out.invalid.into_iter().map(|(k, kind)| (k, kind.name())),
    )?;
    let hazards = PyList::new(py, out.hazards)?;
    let handed = PyList::new(py, out.handed_back)?;
    (
        out.valid,
        types,
        invalid,
        out.hazard_lines,
        counts,
        hazards,
        handed,
    )
        .into_pyobject(py)
}

/// Why the lean decode is off (the crate's struct is not what it reads), or None: it is on.
#[pyfunction]
fn lean_disagreement() -> Option<String> {
    lean::disagreement()
}

/// For the tests: per line, `(lean, crate)`, whether the lean decode and the crate accept it.
#[pyfunction]
fn lean_verdicts(lines: Vec<Vec<u8>>) -> Vec<(bool, bool)> {
    lines
        .iter()
        .map(|line| {
            (
                lean::decode(line).is_some(),
                serde_json::from_slice::<ExecutorEvent>(line).is_ok(),
            )
        })
        .collect()
}

/// A hazard as Python reads it: `(kind, path, detail)`.
type Listed = (&'static str, String, String);

/// The fused scan's hazards of each line, `(kind, path, detail)` (paths and details empty
/// without `texts`), or None where it leaves the line to the scanner's own pass (or the lean
/// decode does not accept it): for the tests that hold the two passes to each other.
#[pyfunction]
#[pyo3(signature = (lines, key_parts, folds, texts))]
fn fused_hazards(
    lines: Vec<Vec<u8>>,
    key_parts: Vec<String>,
    folds: Option<HashMap<u32, String>>,
    texts: bool,
) -> Vec<Option<Vec<Listed>>> {
    let secrets = SecretFilter::new(key_parts, folds.map(|f| f.into_iter().collect()));
    let mut scratch = scan::Scratch::default();
    lines
        .iter()
        .map(|line| {
            let mut found = scan::Found::new();
            let texts = if texts { Texts::ALL } else { Texts::NONE };
            let (_, settled) = decode_fused(line, &mut scratch, &secrets, texts, &mut found)?;
            settled.then(|| found.into_iter().map(scan::Hazard::into_parts).collect())
        })
        .collect()
}

/// The versions of the crates the engine was built with (from its lock file).
#[pyfunction]
fn versions() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("noetl-events", "0.1.0"),
        ("serde", "1.0.228"),
        ("serde_json", "1.0.150"),
        ("chrono", "0.4.45"),
    ])
}

#[pymodule]
fn noetl_events_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<FileRun>()?;
    m.add_function(wrap_pyfunction!(versions, m)?)?;
    m.add_function(wrap_pyfunction!(lean_disagreement, m)?)?;
    m.add_function(wrap_pyfunction!(lean_verdicts, m)?)?;
    m.add_function(wrap_pyfunction!(fused_hazards, m)?)?;
    Ok(())
}
