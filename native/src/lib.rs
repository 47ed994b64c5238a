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
//! (plain keys, no escapes in keys, nesting well below the reported depth, nothing that could be
//! a secret); every other valid line is "handed back": Python scans it with the reference
//! scanner. The native scanner never guesses: when in doubt, it hands the line back.

use std::borrow::Cow;
use std::collections::HashMap;

mod helpers;
mod lean;

use chrono::{DateTime, Timelike, Utc};
use noetl_events::ExecutorEvent;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

include!("../../conformance/rust/classify.rs");

/// FxHash (as in rustc): the engine's maps are keyed by short byte strings from the input,
/// where SipHash's cost showed in the profile; nothing here needs its flood resistance (a map
/// grows to at most 100,000 keys per block).
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// The top-level keys the hazard scan reads, with their roles (a handful: a scan beats a map).
struct Roles(Vec<(Vec<u8>, Field)>);

impl Roles {
    fn get(&self, key: &[u8]) -> Field {
        self.0
            .iter()
            .find(|(k, _)| k.as_slice() == key)
            .map_or(Field::Other, |&(_, f)| f)
    }
}

const SAFE_INTEGER: i128 = (1 << 53) - 1;
/// Nesting (the envelope is level 1) from which lines are handed back: the reported hazard
/// starts at 100, and deeper parsing is left to the reference scanner.
const HAND_BACK_DEPTH: usize = 90;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    ExecutionId,
    EventId,
    EventIds,
    Value,
    Meta,
    CreatedAt,
    Other,
}

/// The few fields of a record the engine reads after decoding.
struct Decoded<'a> {
    event_type: Cow<'a, str>,
    /// Nanoseconds of `created_at` (>= 1e9 on a leap second), when present.
    nanos: Option<u32>,
}

fn nanos(created_at: &DateTime<Utc>) -> u32 {
    created_at.nanosecond()
}

/// Bytes as serde_json reads them (`from_slice`: bad UTF-8 is an error inside the strings it
/// reads, and skipped inside the values of unknown keys, as the reference does).
fn decode(mode_event: bool, text: &[u8]) -> Result<Decoded<'_>, &'static str> {
    if mode_event {
        if let Some(lean) = lean::decode(text) {
            return Ok(Decoded {
                nanos: Some(nanos(&lean.created_at)),
                event_type: lean.event_type,
            });
        }
        match serde_json::from_slice::<ExecutorEvent>(text) {
            Ok(ev) => Ok(Decoded {
                nanos: Some(nanos(&ev.created_at)),
                event_type: Cow::Owned(ev.event_type),
            }),
            Err(e) => Err(classify(&e).0),
        }
    } else {
        Err("other")
    }
}

type Found = Vec<(&'static str, String, String)>;

/// Why the native scanner gives a line back to the reference scanner.
struct HandBack;

type Scan<T> = Result<T, HandBack>;

/// Value strings or keys that could be redacted by the server's rules (a superset: whatever
/// might match is handed back).
struct SecretFilter {
    key_parts: Vec<Vec<u8>>,
}

impl SecretFilter {
    fn key_suspect(&self, key: &[u8]) -> bool {
        if !key.is_ascii() {
            return true;
        }
        let folded: Vec<u8> = key
            .iter()
            .map(|&b| {
                if b == b'-' {
                    b'_'
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect();
        self.key_parts
            .iter()
            .any(|part| folded.windows(part.len()).any(|w| w == part.as_slice()))
    }

    /// `raw`: a string's bytes between the quotes; escapes are decoded as serde_json does.
    fn value_suspect(raw: &[u8]) -> bool {
        if !raw.contains(&b'\\') {
            return Self::text_suspect(raw);
        }
        let mut quoted = Vec::with_capacity(raw.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(raw);
        quoted.push(b'"');
        match serde_json::from_slice::<String>(&quoted) {
            Ok(text) => Self::text_suspect(text.as_bytes()),
            Err(_) => true,
        }
    }

    /// Could the server's rules redact this string (UTF-8 text, decoded)? A superset.
    fn text_suspect(raw: &[u8]) -> bool {
        let starts = |prefix: &[u8]| {
            raw.len() >= prefix.len() && raw[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        // Lowercasing never turns a non-ASCII character into the ASCII letters of these
        // prefixes in place (U+0130 becomes two characters, U+212A a `k`), so an ASCII
        // comparison of the raw bytes decides them.
        if starts(b"bearer ")
            || starts(b"basic ")
            || starts(b"eyj")
            || raw
                .windows(10)
                .any(|w| w.eq_ignore_ascii_case(b"-----begin"))
        {
            return true;
        }
        raw.len() >= 40
            && raw
                .iter()
                .all(|&b| !b.is_ascii() || b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    }
}

fn is_identifier(key: &[u8]) -> bool {
    match key.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
            key.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        }
        _ => false,
    }
}

/// The reference's path of `key` under `path` (keys with escapes or non-ASCII are handed back).
fn key_path(path: &str, key: &[u8]) -> Scan<String> {
    if !key.is_ascii() {
        return Err(HandBack);
    }
    let key = std::str::from_utf8(key).map_err(|_| HandBack)?;
    if is_identifier(key.as_bytes()) {
        Ok(format!("{path}.{key}"))
    } else {
        Ok(format!("{path}[\"{key}\"]"))
    }
}

/// serde_json's spelling of a number literal, when it differs from the literal.
fn respelled(literal: &str) -> Scan<Option<String>> {
    let is_int = !literal.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
    if is_int
        && literal != "-0"
        && (literal.parse::<i64>().is_ok() || literal.parse::<u64>().is_ok())
    {
        return Ok(None);
    }
    // A float (or an integer past u64/i64) in a `Value` is an f64: read and written back by
    // serde_json as `Value` does (a non-finite one is no line of a valid envelope).
    let value: f64 = serde_json::from_str(literal).map_err(|_| HandBack)?;
    let mut text = Vec::with_capacity(32);
    serde_json::to_writer(&mut text, &value).map_err(|_| HandBack)?;
    if text == literal.as_bytes() {
        return Ok(None);
    }
    String::from_utf8(text).map(Some).map_err(|_| HandBack)
}

struct Scanner<'a, 'c> {
    s: &'a [u8],
    i: usize,
    secrets: &'c SecretFilter,
    /// Key verdicts of the secret screen, for the block (keys repeat from line to line).
    keys: &'c mut FxMap<&'a [u8], bool>,
    /// Write the paths and details (false: only the kinds are counted).
    texts: bool,
    /// The keys of the objects being walked, innermost last.
    key_stack: Vec<&'a [u8]>,
}

impl<'a, 'c> Scanner<'a, 'c> {
    fn key_suspect(&mut self, key: &'a [u8]) -> bool {
        if let Some(&v) = self.keys.get(key) {
            return v;
        }
        let v = self.secrets.key_suspect(key);
        if self.keys.len() < 100_000 {
            self.keys.insert(key, v);
        }
        v
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Scan<u8> {
        self.ws();
        self.s.get(self.i).copied().ok_or(HandBack)
    }

    fn eat(&mut self, c: u8) -> Scan<()> {
        if self.peek()? == c {
            self.i += 1;
            Ok(())
        } else {
            Err(HandBack)
        }
    }

    /// A string's raw bytes (between the quotes).
    fn string(&mut self) -> Scan<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        let s = self.s;
        loop {
            let rest = s.get(self.i..).ok_or(HandBack)?;
            let at = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .ok_or(HandBack)?;
            self.i += at;
            if s[self.i] == b'"' {
                let raw = &s[start..self.i];
                self.i += 1;
                return Ok(raw);
            }
            self.i += 2; // an escape: the next byte never ends the string
        }
    }

    fn number(&mut self) -> Scan<&'a str> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
            )
        {
            self.i += 1;
        }
        if self.i == start {
            return Err(HandBack);
        }
        std::str::from_utf8(&self.s[start..self.i]).map_err(|_| HandBack)
    }

    fn literal(&mut self) -> Scan<()> {
        self.ws();
        for word in [&b"true"[..], b"false", b"null"] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(());
            }
        }
        Err(HandBack)
    }

    /// Skips a value outside the walked fields, screening its keys and strings for secrets.
    fn skip(&mut self, depth: usize) -> Scan<()> {
        if depth >= HAND_BACK_DEPTH {
            return Err(HandBack);
        }
        match self.peek()? {
            b'"' => {
                let raw = self.string()?;
                if SecretFilter::value_suspect(raw) {
                    return Err(HandBack);
                }
            }
            b'{' => {
                self.i += 1;
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    let key = self.string()?;
                    if key.contains(&b'\\') || self.key_suspect(key) {
                        return Err(HandBack);
                    }
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(HandBack),
                    }
                }
            }
            b'[' => {
                self.i += 1;
                if self.peek()? == b']' {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(HandBack),
                    }
                }
            }
            b't' | b'f' | b'n' => self.literal()?,
            _ => {
                self.number()?;
            }
        }
        Ok(())
    }

    /// The reference's `_walk_value`: hazards of the value at `path`, nesting `level`, in the
    /// reference's order (an object's own findings, then its members'). Returns the deepest
    /// nesting reached. A repeated key is handed back (the reference keeps the last value).
    fn walk(&mut self, path: &mut Vec<Seg<'a>>, level: usize, found: &mut Found) -> Scan<usize> {
        if level >= HAND_BACK_DEPTH {
            return Err(HandBack);
        }
        match self.peek()? {
            b'"' => {
                let raw = self.string()?;
                if SecretFilter::value_suspect(raw) {
                    return Err(HandBack);
                }
                Ok(level)
            }
            b'{' => {
                self.i += 1;
                let mut deepest = level;
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Ok(deepest);
                }
                let own_at = found.len();
                // This object's keys, on the scanner's shared stack (no allocation per object).
                let base = self.key_stack.len();
                let mut inversion: Option<(&'a [u8], &'a [u8])> = None;
                loop {
                    let key = self.string()?;
                    if key.contains(&b'\\') || !key.is_ascii() || self.key_suspect(key) {
                        return Err(HandBack);
                    }
                    if self.key_stack.len() > base {
                        let last = self.key_stack[self.key_stack.len() - 1];
                        if inversion.is_none() && key < last {
                            inversion = Some((last, key));
                        }
                    }
                    self.key_stack.push(key);
                    self.eat(b':')?;
                    path.push(Seg::Key(key));
                    deepest = deepest.max(self.walk(path, level + 1, found)?);
                    path.pop();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        _ => return Err(HandBack),
                    }
                }
                let keys = &self.key_stack[base..];
                let repeated = if inversion.is_none() {
                    keys.windows(2).any(|w| w[0] == w[1]) // sorted: repeats are neighbours
                } else if keys.len() <= 16 {
                    (1..keys.len()).any(|j| keys[..j].contains(&keys[j]))
                } else {
                    let mut sorted = keys.to_vec();
                    sorted.sort_unstable();
                    sorted.windows(2).any(|w| w[0] == w[1])
                };
                self.key_stack.truncate(base);
                if repeated {
                    return Err(HandBack);
                }
                if let Some((a, b)) = inversion {
                    if !self.texts {
                        found.insert(own_at, ("key_order", String::new(), String::new()));
                        return Ok(deepest);
                    }
                    let a = std::str::from_utf8(a).map_err(|_| HandBack)?;
                    let b = std::str::from_utf8(b).map_err(|_| HandBack)?;
                    found.insert(
                        own_at,
                        (
                            "key_order",
                            render(path),
                            format!(
                                "key \"{b}\" follows \"{a}\": serde_json writes object keys sorted"
                            ),
                        ),
                    );
                }
                Ok(deepest)
            }
            b'[' => {
                self.i += 1;
                let mut deepest = level;
                if self.peek()? == b']' {
                    self.i += 1;
                    return Ok(deepest);
                }
                let mut k = 0usize;
                loop {
                    path.push(Seg::Index(k));
                    deepest = deepest.max(self.walk(path, level + 1, found)?);
                    path.pop();
                    k += 1;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Ok(deepest);
                        }
                        _ => return Err(HandBack),
                    }
                }
            }
            b't' | b'f' | b'n' => {
                self.literal()?;
                Ok(level)
            }
            _ => {
                let literal = self.number()?;
                if let Some(text) = respelled(literal)? {
                    if !self.texts {
                        found.push(("float_respelled", String::new(), String::new()));
                        return Ok(level);
                    }
                    found.push((
                        "float_respelled",
                        render(path),
                        format!("{literal} is written back as {text}"),
                    ));
                }
                Ok(level)
            }
        }
    }
}

/// A step of a JSON path: an object key (plain ASCII, no escapes) or an array index.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a [u8]),
    Index(usize),
}

/// The reference's path text: `$`, then `.key`, `["key"]` or `[i]` per step.
fn render(path: &[Seg<'_>]) -> String {
    let mut out = String::from("$");
    for seg in path {
        match seg {
            Seg::Key(key) => {
                let key = std::str::from_utf8(key).unwrap_or_default();
                if is_identifier(key.as_bytes()) {
                    out.push('.');
                    out.push_str(key);
                } else {
                    out.push_str("[\"");
                    out.push_str(key);
                    out.push_str("\"]");
                }
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// The reference's `_check_id` for one value (a number literal, or anything else: no hazard).
/// `path` is only written for a hazard.
fn check_id(
    sc: &mut Scanner<'_, '_>,
    path: impl FnOnce() -> Scan<String>,
    found: &mut Found,
) -> Scan<()> {
    match sc.peek()? {
        b'-' | b'0'..=b'9' => {
            let literal = sc.number()?;
            if literal.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                return Ok(());
            }
            if literal.len() > 30 {
                return Err(HandBack);
            }
            let value: i128 = literal.parse().map_err(|_| HandBack)?;
            if value.abs() > SAFE_INTEGER {
                if !sc.texts {
                    found.push(("unsafe_integer", String::new(), String::new()));
                    return Ok(());
                }
                let as_double = value as f64 as i128;
                found.push((
                    "unsafe_integer",
                    path()?,
                    format!("{literal} is beyond 2^53 - 1: JavaScript reads {as_double}"),
                ));
            }
            Ok(())
        }
        _ => sc.skip(2),
    }
}

struct Hazards {
    found: Found,
}

/// The reference's hazard scan of a valid line, or `HandBack`.
fn scan<'a>(
    line: &'a [u8],
    keys: &mut FxMap<&'a [u8], bool>,
    fields: &Roles,
    secrets: &SecretFilter,
    nanos: Option<u32>,
    texts: bool,
) -> Scan<Hazards> {
    let mut sc = Scanner {
        s: line,
        i: 0,
        secrets,
        keys,
        texts,
        key_stack: Vec::new(),
    };
    sc.eat(b'{')?; // the positional (array) form is handed back
    let mut ids: [Found; 2] = [Found::new(), Found::new()];
    let mut event_ids = Found::new();
    let mut walked: [Found; 2] = [Found::new(), Found::new()];
    let mut deepest = 1usize;
    let mut created_at: Option<(&[u8], &[u8])> = None;
    let mut seen = [false; 7];
    if sc.peek()? == b'}' {
        sc.i += 1;
    } else {
        loop {
            let key = sc.string()?;
            if key.contains(&b'\\') {
                return Err(HandBack);
            }
            sc.eat(b':')?;
            let mut field = fields.get(key);
            if field != Field::Other && seen[field as usize] {
                field = Field::Other; // first occurrence wins
            }
            seen[field as usize] = true;
            match field {
                Field::ExecutionId => check_id(&mut sc, || key_path("$", key), &mut ids[0])?,
                Field::EventId => check_id(&mut sc, || key_path("$", key), &mut ids[1])?,
                Field::EventIds => {
                    let path = key_path("$", key)?;
                    if sc.peek()? == b'[' {
                        sc.i += 1;
                        if sc.peek()? == b']' {
                            sc.i += 1;
                        } else {
                            let mut k = 0usize;
                            loop {
                                check_id(&mut sc, || Ok(format!("{path}[{k}]")), &mut event_ids)?;
                                k += 1;
                                match sc.peek()? {
                                    b',' => sc.i += 1,
                                    b']' => {
                                        sc.i += 1;
                                        break;
                                    }
                                    _ => return Err(HandBack),
                                }
                            }
                        }
                    } else {
                        sc.skip(2)?;
                    }
                }
                Field::Value | Field::Meta => {
                    if !key.is_ascii() {
                        return Err(HandBack);
                    }
                    let slot = usize::from(field == Field::Meta);
                    let mut path = vec![Seg::Key(key)];
                    deepest = deepest.max(sc.walk(&mut path, 2, &mut walked[slot])?);
                }
                Field::CreatedAt => {
                    if sc.peek()? == b'"' {
                        let raw = sc.string()?;
                        if raw.contains(&b'\\') {
                            return Err(HandBack);
                        }
                        created_at = Some((key, raw));
                    } else {
                        sc.skip(2)?;
                    }
                }
                Field::Other => sc.skip(2)?,
            }
            match sc.peek()? {
                b',' => sc.i += 1,
                b'}' => {
                    sc.i += 1;
                    break;
                }
                _ => return Err(HandBack),
            }
        }
    }
    if deepest >= HAND_BACK_DEPTH || sc.i > line.len() {
        return Err(HandBack);
    }
    let [execution_id, event_id] = ids;
    let mut found = execution_id;
    found.extend(event_id);
    found.extend(event_ids);
    let [value, meta] = walked;
    found.extend(value);
    found.extend(meta);
    if let (Some((key, raw)), Some(ns)) = (created_at, nanos) {
        let text = std::str::from_utf8(raw).map_err(|_| HandBack)?;
        let path = || key_path("$", key); // written only for a hazard
        if !texts {
            if ns >= 1_000_000_000 {
                found.push(("leap_second", String::new(), String::new()));
            } else if ns % 1000 != 0 {
                found.push(("sub_microsecond", String::new(), String::new()));
            }
        } else if ns >= 1_000_000_000 {
            found.push((
                "leap_second",
                path()?,
                format!("{text}: PostgreSQL has no leap seconds"),
            ));
        } else if ns % 1000 != 0 {
            found.push((
                "sub_microsecond",
                path()?,
                format!("{text}: the database keeps microseconds only"),
            ));
        }
    }
    Ok(Hazards { found })
}

/// Checks blocks of lines of one mode (`event` or `request`).
#[pyclass(frozen, module = "noetl_events_native")]
struct Engine {
    mode_event: bool,
    hazards: bool,
    fields: Roles,
    secrets: SecretFilter,
    /// The threads that share a block with the caller's.
    helpers: helpers::Helpers<BlockOut>,
}

/// What a block gave, before it is handed to Python.
#[derive(Default)]
struct BlockOut {
    valid: usize,
    types: HashMap<String, u64>,
    invalid: Vec<(usize, &'static str)>,
    hazard_lines: usize,
    hazard_counts: HashMap<&'static str, u64>,
    hazards: Vec<(usize, &'static str, String, String)>,
    handed_back: Vec<usize>,
}

/// Lines below which a block is not split across threads (a thread costs more than it gives).
const MIN_LINES_PER_THREAD: usize = 256;

impl BlockOut {
    /// Adds `part`, the block's lines from `offset` on, checked after these.
    fn append(&mut self, part: BlockOut, offset: usize, room: Option<usize>) {
        self.valid += part.valid;
        for (t, n) in part.types {
            *self.types.entry(t).or_insert(0) += n;
        }
        self.invalid
            .extend(part.invalid.into_iter().map(|(k, kind)| (k + offset, kind)));
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
            .extend(part.handed_back.into_iter().map(|k| k + offset));
    }
}

impl Engine {
    /// `run` on the engine's threads (this one and its helpers), each on a contiguous part of
    /// the block; the parts' outputs are joined in line order, so the result is `run`'s on the
    /// whole block.
    fn run_parts(&self, lines: &[&[u8]], room: Option<usize>) -> BlockOut {
        let threads = self
            .helpers
            .threads()
            .min(lines.len() / MIN_LINES_PER_THREAD);
        if threads <= 1 {
            return self.run(lines, room);
        }
        let size = lines.len().div_ceil(threads);
        let parts: Vec<&[&[u8]]> = lines.chunks(size).collect();
        let mut outs = self
            .helpers
            .run(&parts, &|part: &[&[u8]]| self.run(part, room))
            .into_iter();
        let mut out = outs.next().unwrap_or_default();
        for (i, part) in outs.enumerate() {
            out.append(part, (i + 1) * size, room);
        }
        out
    }

    fn run<'a>(&self, lines: &[&'a [u8]], room: Option<usize>) -> BlockOut {
        let mut out = BlockOut::default();
        let mut keys: FxMap<&'a [u8], bool> = FxMap::default();
        for (k, line) in lines.iter().enumerate() {
            let decoded = match decode(self.mode_event, line) {
                Ok(d) => d,
                Err(kind) => {
                    out.invalid.push((k, kind));
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
            let texts = room.is_none_or(|r| out.hazards.len() < r);
            match scan(
                line,
                &mut keys,
                &self.fields,
                &self.secrets,
                decoded.nanos,
                texts,
            ) {
                Ok(h) => {
                    if h.found.is_empty() {
                        continue;
                    }
                    out.hazard_lines += 1;
                    for (kind, path, detail) in h.found {
                        *out.hazard_counts.entry(kind).or_insert(0) += 1;
                        if room.is_none_or(|r| out.hazards.len() < r) {
                            out.hazards.push((k, kind, path, detail));
                        }
                    }
                }
                Err(HandBack) => out.handed_back.push(k),
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
    #[pyo3(signature = (mode, hazards, fields, key_parts, threads=1))]
    fn new(
        mode: &str,
        hazards: bool,
        fields: Option<HashMap<String, String>>,
        key_parts: Vec<String>,
        threads: usize,
    ) -> PyResult<Self> {
        let mode_event = match mode {
            "event" => true,
            // The server's request type lives in the server library, which this module does not
            // link: request streams are checked by the Python engine.
            _ => return Err(PyValueError::new_err(format!("unknown mode {mode:?}"))),
        };
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
            mode_event,
            hazards,
            fields: Roles(roles),
            helpers: helpers::Helpers::new(threads.max(1) - 1),
            secrets: SecretFilter {
                key_parts: key_parts
                    .into_iter()
                    .map(|p| p.to_ascii_lowercase().replace('-', "_").into_bytes())
                    .collect(),
            },
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

    /// `check` of the lines of `text` (bytes: lines joined by newlines, as `bytes.split`
    /// reads them), split here.
    #[pyo3(signature = (text, room=None, max_line=None))]
    fn check_text<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyBytes>,
        room: Option<usize>,
        max_line: Option<usize>,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        // The bytes object is immutable and held by `text` while the lock is released.
        let data = text.as_bytes();
        let out = py.allow_threads(|| {
            let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            if max_line.is_some_and(|max| lines.iter().any(|l| l.len() > max)) {
                return None;
            }
            Some(self.run_parts(&lines, room))
        });
        out.map(|out| answer(py, out)).transpose()
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
    let invalid = PyList::new(py, out.invalid)?;
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
    m.add_function(wrap_pyfunction!(versions, m)?)?;
    m.add_function(wrap_pyfunction!(lean_disagreement, m)?)?;
    m.add_function(wrap_pyfunction!(lean_verdicts, m)?)?;
    Ok(())
}
