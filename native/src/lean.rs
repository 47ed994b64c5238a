//! The lean decode: the crate's verdict on a line, without building its `serde_json::Value`s.
//!
//! Decoding into `noetl_events::ExecutorEvent` spends most of its time building the `context`
//! and `meta` trees (maps, strings, their frees), which `check` throws away. The lean decode
//! runs the same serde_json `Deserializer` over the line with a visitor that keeps nothing:
//!
//! - the envelope is read as serde's derive reads the struct (`deserialize_struct`, keys by
//!   `deserialize_identifier`, unknown keys skipped with `IgnoredAny`);
//! - each field is read by serde_json with the field's own type (`i64`, `Option<i64>`,
//!   `DateTime<Utc>` through chrono), or, for strings and the `Value`s, by a visitor that accepts
//!   exactly what `String` and `Value` accept (every token serde_json hands them) and keeps
//!   nothing; all parsing, escapes, UTF-8, number ranges and the nesting limit stay serde_json's.
//!
//! It only ever answers "valid": anything else (an error, a repeated or missing field, the
//! positional array form) returns `None`, and the crate itself decides the line.
//!
//! A `Watch` is told what the decode reads, in order (keys, strings, ids, numbers inside the
//! `Value`s): the hazard scan reads the line in the same pass through it. Watching changes
//! nothing in what is read or accepted (`created_at` is still chrono's `DateTime<Utc>`
//! reading the string, handed to it as serde_json decoded it).
//!
//! What the visitor knows of the struct is checked against the crate, not trusted: the field
//! types at compile time (`_same_fields` destructures `ExecutorEvent` without `..`), and at
//! start-up (`verified`) the names and aliases the derive itself declares, and, field by
//! field, which ones the crate requires; and that serde_json is built without the features
//! that change how a `Value` is read (arbitrary_precision, raw_value). If any of that
//! disagrees, the lean decode is off and every line goes to the crate.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use noetl_events::ExecutorEvent;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    ExecutionId,
    EventType,
    Step,
    Status,
    CreatedAt,
    Context,
    EventId,
    WorkerId,
    Meta,
}

const FIELD_COUNT: usize = 9;

/// Keys (names and aliases) of `ExecutorEvent`, and whether the field is required.
const KEYS: [(&str, Field, bool); 10] = [
    ("execution_id", Field::ExecutionId, true),
    ("event_type", Field::EventType, true),
    ("step", Field::Step, true),
    ("status", Field::Status, true),
    ("created_at", Field::CreatedAt, true),
    ("context", Field::Context, true),
    ("payload", Field::Context, true),
    ("event_id", Field::EventId, false),
    ("worker_id", Field::WorkerId, false),
    ("meta", Field::Meta, false),
];

/// The crate's keys (names and aliases), each with the name of its field.
pub fn keys() -> impl Iterator<Item = (&'static str, &'static str)> {
    KEYS.iter().map(|&(key, field, _)| {
        let name = KEYS.iter().find(|k| k.1 == field).map_or(key, |k| k.0);
        (key, name)
    })
}

/// The field types of the crate's struct, as the lean visitor reads them: this stops compiling
/// when a field is added, removed, renamed or changes type.
#[allow(dead_code)]
fn _same_fields(event: ExecutorEvent) {
    let ExecutorEvent {
        execution_id,
        event_type,
        step,
        status,
        created_at,
        context,
        event_id,
        worker_id,
        meta,
    } = event;
    let _: (i64, String, String, String, DateTime<Utc>) =
        (execution_id, event_type, step, status, created_at);
    let _: (
        serde_json::Value,
        Option<i64>,
        Option<String>,
        Option<serde_json::Value>,
    ) = (context, event_id, worker_id, meta);
}

/// What the lean decode keeps of a valid line.
pub struct Lean<'a> {
    pub event_type: Cow<'a, str>,
    pub created_at: DateTime<Utc>,
}

/// What a reader of the line learns as the lean decode reads it (the hazard scan, in
/// `scan::Fused`): every call is made before the verdict is known, so a watcher keeps what it
/// learns until it hears the line was valid. The default methods learn nothing: `()` is the
/// watcher of a decode that only wants the verdict.
pub trait Watch<'de> {
    /// A top-level key as written (`None`: with an escape); `known` when it names a field.
    fn key(&mut self, _key: Option<&'de str>, _known: bool) {}
    /// An id field (`slot` 0: `execution_id`, 1: `event_id`) read under `key` as `value`.
    fn id(&mut self, _slot: usize, _key: &'static str, _value: i64) {}
    /// A string of a string field, or inside a `Value` (decoded); `borrowed` when it was
    /// written without escapes (then `text` is the line's own bytes).
    fn text(&mut self, _text: &str, _borrowed: bool) {}
    /// `created_at` under `key`, and its text (decoded: borrowed when written without
    /// escapes).
    fn created_at(&mut self, _key: &'static str, _text: Cow<'de, str>) {}
    /// A `Value` field (`slot` 0: `context`, 1: `meta`) read under `key` begins.
    fn tree(&mut self, _slot: usize, _key: &'static str) {}
    /// A value inside a `Value`, at nesting `level` (the envelope is level 1).
    fn value(&mut self, _level: usize) {}
    /// A number inside a `Value` that serde_json reads as a float, and its value.
    fn float(&mut self, _value: f64) {}
    /// Another scalar inside a `Value`: an integer, `true`, `false` or `null`.
    fn scalar(&mut self) {}
    /// An object inside a `Value` begins: the watcher's mark, handed back to `end_object`.
    fn object(&mut self) -> (usize, usize) {
        (0, 0)
    }
    /// A member's key: the line's own text, or its decoded text when it was written with
    /// escapes.
    fn member(&mut self, _key: Cow<'de, str>) {}
    /// An array's element `index` is read next (if there is one).
    fn element(&mut self, _index: usize) {}
    /// The member or element read last is done.
    fn done(&mut self) {}
    /// The object begun at `mark` is done.
    fn end_object(&mut self, _mark: (usize, usize)) {}
}

impl Watch<'_> for () {}

/// The crate's verdict "valid" on `line`, or `None` (the crate decides).
pub fn decode(line: &[u8]) -> Option<Lean<'_>> {
    decode_watched(line, &mut ())
}

/// `decode`, telling `watch` what it reads.
pub fn decode_watched<'a, W: Watch<'a>>(line: &'a [u8], watch: &mut W) -> Option<Lean<'a>> {
    if !verified() {
        return None;
    }
    // A line that is UTF-8 as a whole is read as text: serde_json then skips checking each
    // string's UTF-8 (every string of such a line is UTF-8: it is cut at ASCII quotes and
    // backslashes, which never occur inside a multibyte sequence), and reads it otherwise
    // exactly as it reads the bytes. Any other line is read as bytes, as the crate is.
    let seed = EnvelopeSeed(watch);
    let envelope = match std::str::from_utf8(line) {
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            seed.deserialize(&mut de).and_then(|e| de.end().map(|()| e))
        }
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(line);
            seed.deserialize(&mut de).and_then(|e| de.end().map(|()| e))
        }
    };
    envelope.ok().map(|e| e.0)
}

struct Envelope<'a>(Lean<'a>);

impl<'de> de::Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        EnvelopeSeed(&mut ()).deserialize(deserializer)
    }
}

struct EnvelopeSeed<'w, W>(&'w mut W);

impl<'de, W: Watch<'de>> DeserializeSeed<'de> for EnvelopeSeed<'_, W> {
    type Value = Envelope<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_struct("ExecutorEvent", declared(), EnvelopeVisitor(self.0))
    }
}

/// The names and aliases the lean decode reads: the keys of `KEYS`.
fn declared() -> &'static [&'static str] {
    const NAMES: [&str; KEYS.len()] = {
        let mut names = [""; KEYS.len()];
        let mut i = 0;
        while i < KEYS.len() {
            names[i] = KEYS[i].0;
            i += 1;
        }
        names
    };
    &NAMES
}

struct EnvelopeVisitor<'w, W>(&'w mut W);

/// The key of a member: a field and the key naming it, or `None` (unknown: skipped); and
/// the key as written, when it was written without escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = (Option<(Field, &'static str)>, Option<&'de str>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl KeyVisitor {
    fn find(key: &[u8]) -> Option<(Field, &'static str)> {
        KEYS.iter()
            .find(|(name, _, _)| name.as_bytes() == key)
            .map(|&(name, field, _)| (field, name))
    }
}

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = (Option<(Field, &'static str)>, Option<&'de str>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok((Self::find(key.as_bytes()), Some(key))) // serde_json: written without escapes
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok((Self::find(key.as_bytes()), None))
    }

    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<Self::Value, E> {
        Ok((Self::find(key), None))
    }
}

/// A refusal of the lean visitor: the crate decides the line.
fn refuse<E: de::Error>() -> E {
    E::custom("left to the crate")
}

impl<'de, W: Watch<'de>> Visitor<'de> for EnvelopeVisitor<'_, W> {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct ExecutorEvent")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let watch = self.0;
        let mut seen = [false; FIELD_COUNT];
        let mut event_type: Option<Cow<'de, str>> = None;
        let mut created_at: Option<DateTime<Utc>> = None;
        while let Some((key, written)) = map.next_key_seed(Key)? {
            watch.key(written, key.is_some());
            let Some((field, key)) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if std::mem::replace(&mut seen[field as usize], true) {
                return Err(refuse()); // the crate: duplicate field
            }
            match field {
                Field::ExecutionId => watch.id(0, key, map.next_value::<i64>()?),
                Field::EventType => {
                    let text = map.next_value_seed(Text)?;
                    watch.text(&text, matches!(text, Cow::Borrowed(_)));
                    event_type = Some(text);
                }
                Field::Step | Field::Status => {
                    let text = map.next_value_seed(Text)?;
                    watch.text(&text, matches!(text, Cow::Borrowed(_)));
                }
                Field::CreatedAt => {
                    let (at, text) = map.next_value_seed(Timestamp)?;
                    watch.created_at(key, text);
                    created_at = Some(at);
                }
                Field::Context => {
                    watch.tree(0, key);
                    map.next_value_seed(Tree(&mut *watch, 2))?;
                }
                Field::EventId => {
                    if let Some(id) = map.next_value::<Option<i64>>()? {
                        watch.id(1, key, id);
                    }
                }
                Field::WorkerId => {
                    if let Some(text) = map.next_value_seed(Maybe(Text))? {
                        watch.text(&text, matches!(text, Cow::Borrowed(_)));
                    }
                }
                Field::Meta => {
                    watch.tree(1, key);
                    map.next_value_seed(Maybe(Tree(&mut *watch, 2)))?;
                }
            }
        }
        let required = KEYS
            .iter()
            .filter(|k| k.2)
            .all(|&(_, f, _)| seen[f as usize]);
        match (event_type, created_at) {
            (Some(event_type), Some(created_at)) if required => Ok(Envelope(Lean {
                event_type,
                created_at,
            })),
            _ => Err(refuse()), // the crate: missing field
        }
    }
}

/// A string, read as `String` reads one (`deserialize_string`), borrowed where it can be.
#[derive(Clone, Copy)]
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_string(TextVisitor)
    }
}

struct TextVisitor;

/// `String`'s visitor accepts `str`, `String`, and bytes that are UTF-8 (serde_json only ever
/// hands it strings).
impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(Cow::Owned(s.to_owned())),
            Err(_) => Err(refuse()),
        }
    }
}

/// `created_at`: the string chrono's `DateTime<Utc>` reads (`deserialize_str`), handed to
/// chrono's own `Deserialize` as serde_json decoded it; and that text.
struct Timestamp;

impl<'de> DeserializeSeed<'de> for Timestamp {
    type Value = (DateTime<Utc>, Cow<'de, str>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl TimestampVisitor {
    fn parse<E: de::Error>(text: &str) -> Result<DateTime<Utc>, E> {
        let text = de::value::StrDeserializer::<de::value::Error>::new(text);
        <DateTime<Utc> as de::Deserialize>::deserialize(text).map_err(|_| refuse())
    }
}

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = (DateTime<Utc>, Cow<'de, str>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok((Self::parse(v)?, Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((Self::parse(v)?, Cow::Owned(v.to_owned())))
    }
}

/// `Option<T>` as serde reads it (`deserialize_option`).
struct Maybe<T>(T);

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Maybe<T> {
    type Value = Option<T::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(MaybeVisitor(self.0))
    }
}

struct MaybeVisitor<T>(T);

impl<'de, T: DeserializeSeed<'de>> Visitor<'de> for MaybeVisitor<T> {
    type Value = Option<T::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

/// A `serde_json::Value` at a nesting level, read as `Value` reads one (`deserialize_any`,
/// object keys with `deserialize_str`), kept nowhere. `Value`'s visitor accepts every token
/// serde_json hands it, so this one does too.
struct Tree<'w, W>(&'w mut W, usize);

impl<'de, W: Watch<'de>> DeserializeSeed<'de> for Tree<'_, W> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.value(self.1);
        deserializer.deserialize_any(self)
    }
}

struct TreeKey;

impl<'de> DeserializeSeed<'de> for TreeKey {
    type Value = Cow<'de, str>; // serde_json: borrowed when written without escapes

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

impl<'de, W: Watch<'de>> Visitor<'de> for Tree<'_, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.0.scalar();
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.0.scalar();
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.0.scalar();
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.float(v);
        Ok(())
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.0.text(v, true);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.text(v, false);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.0.scalar();
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.scalar();
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        Tree(self.0, self.1).deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Tree(watch, level) = self;
        let mut index = 0;
        loop {
            watch.element(index);
            let more = seq
                .next_element_seed(Tree(&mut *watch, level + 1))?
                .is_some();
            watch.done();
            if !more {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Tree(watch, level) = self;
        let mark = watch.object();
        while let Some(key) = map.next_key_seed(TreeKey)? {
            watch.member(key);
            map.next_value_seed(Tree(&mut *watch, level + 1))?;
            watch.done();
        }
        watch.end_object(mark);
        Ok(())
    }
}

/// Records the field list the derive passes to `deserialize_struct`.
struct Declared;

#[derive(Debug)]
struct Stop(Vec<&'static str>);

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop(Vec::new())
    }
}

impl<'de> Deserializer<'de> for Declared {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop(Vec::new()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        Err(Stop(fields.to_vec()))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Does the crate agree with the lean decode's idea of the struct? Checked once.
pub fn verified() -> bool {
    static VERIFIED: OnceLock<bool> = OnceLock::new();
    *VERIFIED.get_or_init(|| disagreement().is_none())
}

/// The first way in which the crate and the lean decode's table disagree, if any.
pub fn disagreement() -> Option<String> {
    // 0. serde_json as the adapter builds it (default features): with arbitrary_precision, a
    //    `Value` would read numbers its own way, and `Tree` would no longer be `Value`.
    if serde_json::from_str::<serde_json::Value>("1e400").is_ok() {
        return Some("serde_json is built with arbitrary_precision".into());
    }
    //    With raw_value, an object whose key is serde_json's private token reads as its value.
    let raw = r#"{"$serde_json::private::RawValue":"1"}"#;
    if !serde_json::from_str::<serde_json::Value>(raw).is_ok_and(|v| v.is_object()) {
        return Some("serde_json is built with raw_value".into());
    }
    // 1. The derive's own list of names and aliases.
    let declared_by_crate = match <ExecutorEvent as de::Deserialize>::deserialize(Declared) {
        Err(Stop(fields)) => fields,
        Ok(_) => return Some("the crate's struct did not ask for a struct".into()),
    };
    let mut theirs = declared_by_crate.clone();
    let mut ours: Vec<&str> = declared().to_vec();
    theirs.sort_unstable();
    ours.sort_unstable();
    if theirs != ours {
        return Some(format!("the crate declares {declared_by_crate:?}"));
    }
    // 2. Which keys are required, and which name the same field: the crate's verdict on a
    //    full envelope without each key, and with each pair of keys, against the lean one's.
    let member = |key: &str| -> String {
        let value = match KEYS.iter().find(|k| k.0 == key).map(|k| k.1) {
            Some(Field::ExecutionId | Field::EventId) => "1",
            Some(Field::CreatedAt) => "\"2026-01-01T00:00:00Z\"",
            Some(Field::Context | Field::Meta) => "{}",
            _ => "\"x\"",
        };
        format!("\"{key}\":{value}")
    };
    let object = |keys: &[&str]| -> String {
        let members: Vec<String> = keys.iter().map(|k| member(k)).collect();
        format!("{{{}}}", members.join(","))
    };
    let base: Vec<&str> = KEYS
        .iter()
        .map(|k| k.0)
        .filter(|&k| k != "payload")
        .collect();
    let mut probes: Vec<String> = vec![object(&base)];
    for &(alias, field, _) in &KEYS {
        let keys: Vec<&str> = base
            .iter()
            .map(|&k| match KEYS.iter().find(|key| key.0 == k) {
                Some(key) if key.1 == field => alias,
                _ => k,
            })
            .collect();
        probes.push(object(&keys));
    }
    for skip in &base {
        let keys: Vec<&str> = base.iter().copied().filter(|k| k != skip).collect();
        probes.push(object(&keys));
    }
    for (i, a) in declared().iter().enumerate() {
        for b in &declared()[i..] {
            let mut keys: Vec<&str> = base.iter().copied().filter(|k| k != a && k != b).collect();
            keys.push(a);
            keys.push(b);
            probes.push(object(&keys));
        }
    }
    for probe in &probes {
        let crate_ok = serde_json::from_str::<ExecutorEvent>(probe).is_ok();
        let lean_ok = serde_json::from_str::<Envelope<'_>>(probe).is_ok();
        if crate_ok != lean_ok {
            return Some(format!("on {probe}: crate {crate_ok}, lean {lean_ok}"));
        }
    }
    None
}
