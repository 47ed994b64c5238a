//! The native hazard scan: the reference's hazards (`conformance.audit._hazards`) of a line
//! the crate accepted, for the lines whose shape it reads exactly (nesting well below the
//! reported depth, nothing that could be a secret, strings that decode; keys are read decoded,
//! and of a repeated key only the last value counts); every other line is handed back to the
//! reference's scanner. It never guesses: when in doubt, it hands the line back.
//!
//! Two ways to the same hazards: `Fused`, which rides on the lean decode (`lean::Watch`) and
//! scans a line in the same pass that decides it; and `scan`, a pass of its own over the
//! line's bytes, for the lines `Fused` leaves (and for the lines the crate decided).

use std::borrow::Cow;
use std::collections::HashMap;

/// FxHash (as in rustc): the engine's maps are keyed by short byte strings from the input,
/// where SipHash's cost showed in the profile; nothing here needs its flood resistance (a map
/// grows to at most 100,000 keys per block).
#[derive(Default, Clone, Copy)]
pub struct Fx(u64);

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

pub type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// The top-level keys the hazard scan reads, with their roles (a handful: a scan beats a map).
pub struct Roles(pub Vec<(Vec<u8>, Field)>);

impl Roles {
    pub fn get(&self, key: &[u8]) -> Field {
        self.0
            .iter()
            .find(|(k, _)| k.len() == key.len() && k.first() == key.first() && k == key)
            .map_or(Field::Other, |&(_, f)| f)
    }
}

const SAFE_INTEGER: i128 = (1 << 53) - 1;
/// Nesting (the envelope is level 1) from which lines are handed back: the reported hazard
/// starts at 100, and deeper parsing is left to the reference scanner.
const HAND_BACK_DEPTH: usize = 90;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Field {
    ExecutionId,
    EventId,
    EventIds,
    Value,
    Meta,
    CreatedAt,
    Other,
}

/// A hazard: its kind, and its path and detail when they are written (`texts`). Past the
/// report's room only the kind counts: such a hazard is 24 bytes, not 64 (a line of a million
/// of them held 130 MB).
pub struct Hazard {
    pub kind: &'static str,
    pub texts: Option<Box<(String, String)>>,
}

impl Hazard {
    /// A hazard whose texts are not written.
    pub fn bare(kind: &'static str) -> Self {
        Hazard { kind, texts: None }
    }

    pub fn new(kind: &'static str, path: String, detail: String) -> Self {
        Hazard {
            kind,
            texts: Some(Box::new((path, detail))),
        }
    }

    /// `(kind, path, detail)`, the texts empty when they were not written.
    pub fn into_parts(self) -> (&'static str, String, String) {
        let (path, detail) = self.texts.map_or_else(Default::default, |texts| *texts);
        (self.kind, path, detail)
    }
}

pub type Found = Vec<Hazard>;

/// Which of a line's hazards get their texts (path and detail) written: those placed below
/// this position among the line's hazards in its bucket (the report lists only its first ones;
/// the others are counted). Hazards are mostly placed at the end, and those put before others
/// (an object's repeated keys, its key order) by their place, so a hazard with no texts is
/// rarely moved into the listed ones: when one is (`complete`), the line is handed back.
#[derive(Clone, Copy)]
pub struct Texts(pub usize);

impl Texts {
    pub const ALL: Texts = Texts(usize::MAX);
    pub const NONE: Texts = Texts(0);

    /// Whether a hazard placed at `position` gets its texts.
    pub fn at(self, position: usize) -> bool {
        position < self.0
    }

    /// Whether every hazard that is listed (below the limit) in `found` has its texts.
    fn complete(self, found: &Found) -> bool {
        found
            .iter()
            .take(self.0)
            .all(|hazard| hazard.texts.is_some())
    }
}

/// Why the native scanner gives a line back to the reference scanner.
pub struct HandBack;

/// The index of the first `"` or `\\` in `s`, eight bytes at a time (the zero-byte test of
/// each word XOR the byte repeated: its lowest set bit marks the first match exactly).
fn quote_or_backslash(s: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = LO * b'"' as u64;
    const BACKSLASH: u64 = LO * b'\\' as u64;
    let mut words = s.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        let (q, b) = (w ^ QUOTE, w ^ BACKSLASH);
        let found = ((q.wrapping_sub(LO) & !q) | (b.wrapping_sub(LO) & !b)) & HI;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| at + p)
}

type Scan<T> = Result<T, HandBack>;

/// Value strings or keys that could be redacted by the server's rules (a superset: whatever
/// might match is handed back).
pub struct SecretFilter {
    pub key_parts: Vec<Vec<u8>>,
    /// The non-ASCII chars whose lowercase holds ASCII chars, and that lowercase (the
    /// reference's table of the server's `to_lowercase`); without it, any key outside ASCII is
    /// suspect.
    folds: Option<Vec<(char, String)>>,
}

/// Stands for a non-ASCII char in a folded key: it can only break a match of the ASCII parts.
const NOT_ASCII: u8 = 0x80;

impl SecretFilter {
    /// The filter of keys holding one of `key_parts` (compared folded: lowercase, `-` as `_`),
    /// non-ASCII chars folded by `folds` (code point -> lowercase) when it is given.
    pub fn new(key_parts: Vec<String>, folds: Option<Vec<(u32, String)>>) -> Self {
        SecretFilter {
            key_parts: key_parts
                .into_iter()
                .map(|p| p.to_ascii_lowercase().replace('-', "_").into_bytes())
                .collect(),
            folds: folds.map(|folds| {
                folds
                    .into_iter()
                    .filter_map(|(code, lower)| Some((char::from_u32(code)?, lower)))
                    .collect()
            }),
        }
    }

    /// Does `key` hold a sensitive part once folded as the reference folds it (ASCII chars
    /// lowercased, a non-ASCII char as its lowercase from the table or as a char that matches
    /// nothing, `-` as `_`)?
    fn key_suspect(&self, key: &[u8]) -> bool {
        let fold = |b: u8| match b {
            b'-' => b'_',
            b if b.is_ascii() => b.to_ascii_lowercase(),
            _ => NOT_ASCII,
        };
        let folded: Vec<u8> = if key.is_ascii() {
            key.iter().map(|&b| fold(b)).collect()
        } else {
            let (Some(folds), Ok(text)) = (&self.folds, std::str::from_utf8(key)) else {
                return true;
            };
            let mut folded = Vec::with_capacity(key.len());
            for c in text.chars() {
                if c.is_ascii() {
                    folded.push(fold(c as u8));
                } else if let Some((_, lower)) = folds.iter().find(|(from, _)| *from == c) {
                    folded.extend(lower.bytes().map(fold));
                } else {
                    folded.push(NOT_ASCII);
                }
            }
            folded
        };
        self.key_parts
            .iter()
            .any(|part| folded.windows(part.len()).any(|w| w == part.as_slice()))
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
            || raw.iter().position(|&b| b == b'-').is_some_and(|dash| {
                raw[dash..]
                    .windows(10)
                    .any(|w| w.eq_ignore_ascii_case(b"-----begin"))
            })
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
    let digits = literal.strip_prefix('-').unwrap_or(literal);
    if digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) && literal != "-0" {
        return Ok(None); // an i64, written back as it is read
    }
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

/// The `float_respelled` hazard of a number in a `Value` at `path`, written as `literal`, if
/// it has one.
fn float_hazard(
    literal: &str,
    texts: Texts,
    path: impl FnOnce() -> Scan<String>,
    found: &mut Found,
) -> Scan<()> {
    if let Some(text) = respelled(literal)? {
        if !texts.at(found.len()) {
            found.push(Hazard::bare("float_respelled"));
            return Ok(());
        }
        found.push(Hazard::new(
            "float_respelled",
            path()?,
            format!("{literal} is written back as {text}"),
        ));
    }
    Ok(())
}

struct Scanner<'a, 'c> {
    s: &'a [u8],
    i: usize,
    secrets: &'c SecretFilter,
    /// Key verdicts of the secret screen, for the block (keys repeat from line to line).
    keys: &'c mut FxMap<&'a [u8], bool>,
    /// Write the paths and details (false: only the kinds are counted).
    texts: Texts,
    /// The members of the objects being walked, innermost last: the key (decoded: a key
    /// written with escapes is held as its text), and where its value's hazards start.
    key_stack: &'c mut Vec<(Cow<'a, [u8]>, usize)>,
}

/// What a block's scans reuse: the keys' verdicts of the secret screen (keys repeat from line
/// to line), and buffers (a line's hazards are sorted into the reference's order).
#[derive(Default)]
pub struct Scratch<'a> {
    keys: FxMap<&'a [u8], bool>,
    ids: [Found; 2],
    event_ids: Found,
    walked: [Found; 2],
    key_stack: Vec<(Cow<'a, [u8]>, usize)>,
    path: Vec<Seg<'a>>,
    /// The fused scan's keys of the objects being read (decoded), and its path.
    held: Vec<Cow<'a, [u8]>>,
    steps: Vec<Step>,
}

/// The secret screen's verdict on an object key, through the block's cache of verdicts.
fn key_suspect<'a>(
    keys: &mut FxMap<&'a [u8], bool>,
    secrets: &SecretFilter,
    key: &'a [u8],
) -> bool {
    if key.len() < 3 && key.is_ascii() {
        return false; // shorter than any sensitive part
    }
    if let Some(&v) = keys.get(key) {
        return v;
    }
    let v = secrets.key_suspect(key);
    if keys.len() < 100_000 {
        keys.insert(key, v);
    }
    v
}

/// Two neighbouring keys of an object out of code point order.
type Inversion<'k> = Option<(&'k [u8], &'k [u8])>;

/// The keys of an object (`key(i)`, `count` of them), in input order: the first pair out of
/// code point order, if any, and whether a key is repeated.
fn key_order<'k>(count: usize, key: impl Fn(usize) -> &'k [u8]) -> (Inversion<'k>, bool) {
    let inversion = (1..count)
        .find(|&j| key(j) < key(j - 1))
        .map(|j| (key(j - 1), key(j)));
    let repeated = if inversion.is_none() {
        (1..count).any(|j| key(j) == key(j - 1)) // sorted: repeats are neighbours
    } else if count <= 16 {
        (1..count).any(|j| (0..j).any(|i| key(i) == key(j)))
    } else {
        let mut sorted: Vec<&[u8]> = (0..count).map(&key).collect();
        sorted.sort_unstable();
        sorted.windows(2).any(|w| w[0] == w[1])
    };
    (inversion, repeated)
}

/// Removes from `found` the hazards of the members whose key comes again later in their
/// object (`members`: each key, and where its value's hazards start in `found`): the
/// reference walks only the value serde_json keeps, the last.
fn drop_repeated(members: &[(Cow<'_, [u8]>, usize)], found: &mut Found) -> Scan<()> {
    if members.len() > 64 {
        return Err(HandBack); // (rare: not worth more than a quadratic search)
    }
    let mut end = found.len();
    for (j, (key, start)) in members.iter().enumerate().rev() {
        if members[j + 1..].iter().any(|(k, _)| k == key) {
            found.drain(*start..end);
        }
        end = *start;
    }
    Ok(())
}

/// The `duplicate_key` hazards of the object at `path` (one per repeat, in input order), put
/// before its other hazards (at `own_at` in `found`).
fn repeats(
    members: &[(Cow<'_, [u8]>, usize)],
    own_at: usize,
    texts: Texts,
    path: &[Seg<'_>],
    found: &mut Found,
) -> Scan<()> {
    let mut hazards = Vec::new();
    for (j, (key, _)) in members.iter().enumerate() {
        if !members[..j].iter().any(|(k, _)| k == key) {
            continue;
        }
        if !texts.at(own_at + hazards.len()) {
            hazards.push(Hazard::bare("duplicate_key"));
            continue;
        }
        let text = std::str::from_utf8(key).map_err(|_| HandBack)?;
        let at = render(
            path.iter()
                .cloned()
                .chain([Seg::Key(Cow::Borrowed(&**key))]),
        )?;
        hazards.push(Hazard::new(
            "duplicate_key",
            at,
            format!("key \"{text}\" repeated: serde_json keeps the last value"),
        ));
    }
    found.splice(own_at..own_at, hazards);
    Ok(())
}

/// The `key_order` hazard of the object at `path` whose keys `a`, `b` are out of order, put
/// before its members' hazards (from `own_at` in `found`).
fn order_hazard(
    found: &mut Found,
    own_at: usize,
    texts: Texts,
    path: impl FnOnce() -> Scan<String>,
    (a, b): (&[u8], &[u8]),
) -> Scan<()> {
    if !texts.at(own_at) {
        found.insert(own_at, Hazard::bare("key_order"));
        return Ok(());
    }
    let a = std::str::from_utf8(a).map_err(|_| HandBack)?;
    let b = std::str::from_utf8(b).map_err(|_| HandBack)?;
    found.insert(
        own_at,
        Hazard::new(
            "key_order",
            path()?,
            format!("key \"{b}\" follows \"{a}\": serde_json writes object keys sorted"),
        ),
    );
    Ok(())
}

/// The `unsafe_integer` hazard of an id `value` written as `literal`, if it has one.
fn id_hazard(
    literal: impl FnOnce() -> String,
    value: i128,
    texts: Texts,
    path: impl FnOnce() -> Scan<String>,
    found: &mut Found,
) -> Scan<()> {
    if value.abs() <= SAFE_INTEGER {
        return Ok(());
    }
    if !texts.at(found.len()) {
        found.push(Hazard::bare("unsafe_integer"));
        return Ok(());
    }
    let as_double = value as f64 as i128;
    found.push(Hazard::new(
        "unsafe_integer",
        path()?,
        format!(
            "{} is beyond 2^53 - 1: JavaScript reads {as_double}",
            literal()
        ),
    ));
    Ok(())
}

impl<'a, 'c> Scanner<'a, 'c> {
    /// The secret screen's verdict on a key from `key`: the line's own bytes through the
    /// block's cache, a decoded key on its own (hence a `Cow`, not its bytes).
    #[allow(clippy::ptr_arg)]
    fn key_suspect(&mut self, key: &Cow<'a, [u8]>) -> bool {
        match key {
            Cow::Borrowed(key) => key_suspect(self.keys, self.secrets, key),
            Cow::Owned(key) => self.secrets.key_suspect(key),
        }
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

    /// A string (a key or a value): the line's own bytes between the quotes, or, for one
    /// written with escapes, its text as serde_json decodes it (one it would not decode is
    /// handed back).
    fn string(&mut self) -> Scan<Cow<'a, [u8]>> {
        self.eat(b'"')?;
        let start = self.i;
        let s = self.s;
        let mut escaped = false;
        loop {
            let rest = s.get(self.i..).ok_or(HandBack)?;
            let at = quote_or_backslash(rest).ok_or(HandBack)?;
            self.i += at;
            if s[self.i] == b'"' {
                break;
            }
            escaped = true;
            self.i += 2; // an escape: the next byte never ends the string
        }
        self.i += 1;
        if !escaped {
            return Ok(Cow::Borrowed(&s[start..self.i - 1]));
        }
        serde_json::from_slice::<String>(&s[start - 1..self.i])
            .map(|text| Cow::Owned(text.into_bytes()))
            .map_err(|_| HandBack)
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

    /// Just past an opening bracket: true when a member follows, false (and past `close`)
    /// when the object or array is empty.
    fn opens(&mut self, close: u8) -> Scan<bool> {
        if self.peek()? == close {
            self.i += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// Just past a member: true (and past the `,`) when another follows, false (and past
    /// `close`) at the end.
    fn more(&mut self, close: u8) -> Scan<bool> {
        match self.peek()? {
            b',' => self.i += 1,
            c if c == close => {
                self.i += 1;
                return Ok(false);
            }
            _ => return Err(HandBack),
        }
        Ok(true)
    }

    /// Skips a value outside the walked fields, screening its keys and strings for secrets.
    fn skip(&mut self, depth: usize) -> Scan<()> {
        if depth >= HAND_BACK_DEPTH {
            return Err(HandBack);
        }
        match self.peek()? {
            b'"' => {
                if SecretFilter::text_suspect(&self.string()?) {
                    return Err(HandBack);
                }
            }
            b'{' => {
                self.i += 1;
                let mut more = self.opens(b'}')?;
                while more {
                    let key = self.string()?;
                    if self.key_suspect(&key) {
                        return Err(HandBack);
                    }
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    more = self.more(b'}')?;
                }
            }
            b'[' => {
                self.i += 1;
                let mut more = self.opens(b']')?;
                while more {
                    self.skip(depth + 1)?;
                    more = self.more(b']')?;
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
    /// nesting reached. The hazards of a repeated key's earlier values are dropped: the
    /// reference walks only the last, which serde_json keeps.
    fn walk(&mut self, path: &mut Vec<Seg<'a>>, level: usize, found: &mut Found) -> Scan<usize> {
        if level >= HAND_BACK_DEPTH {
            return Err(HandBack);
        }
        match self.peek()? {
            b'"' => {
                if SecretFilter::text_suspect(&self.string()?) {
                    return Err(HandBack);
                }
                Ok(level)
            }
            b'{' => {
                self.i += 1;
                let mut deepest = level;
                if !self.opens(b'}')? {
                    return Ok(deepest);
                }
                let own_at = found.len();
                // This object's keys, on the scanner's shared stack (no allocation per object).
                let base = self.key_stack.len();
                loop {
                    let key = self.string()?;
                    if self.key_suspect(&key) {
                        return Err(HandBack);
                    }
                    self.key_stack.push((key.clone(), found.len()));
                    self.eat(b':')?;
                    path.push(Seg::Key(key));
                    deepest = deepest.max(self.walk(path, level + 1, found)?);
                    path.pop();
                    if !self.more(b'}')? {
                        break;
                    }
                }
                let members = &self.key_stack[base..];
                let (inversion, repeated) = key_order(members.len(), |i| &members[i].0);
                let ordered = (|| {
                    if repeated {
                        drop_repeated(members, found)?;
                    }
                    if let Some(pair) = inversion {
                        let path = || render(path.iter().cloned());
                        order_hazard(found, own_at, self.texts, path, pair)?;
                    }
                    if repeated {
                        repeats(members, own_at, self.texts, path, found)?;
                    }
                    Ok(())
                })();
                self.key_stack.truncate(base);
                ordered?;
                Ok(deepest)
            }
            b'[' => {
                self.i += 1;
                let mut deepest = level;
                let mut more = self.opens(b']')?;
                let mut k = 0usize;
                while more {
                    path.push(Seg::Index(k));
                    deepest = deepest.max(self.walk(path, level + 1, found)?);
                    path.pop();
                    k += 1;
                    more = self.more(b']')?;
                }
                Ok(deepest)
            }
            b't' | b'f' | b'n' => {
                self.literal()?;
                Ok(level)
            }
            _ => {
                let literal = self.number()?;
                float_hazard(literal, self.texts, || render(path.iter().cloned()), found)?;
                Ok(level)
            }
        }
    }
}

/// A step of a JSON path: an object key (decoded) or an array index.
#[derive(Clone)]
enum Seg<'a> {
    Key(Cow<'a, [u8]>),
    Index(usize),
}

/// The reference's path text: `$`, then `.key`, `["key"]` or `[i]` per step. A key outside
/// ASCII (is it a Python identifier?) or one its JSON text would escape hands the line back.
fn render<'k>(path: impl IntoIterator<Item = Seg<'k>>) -> Scan<String> {
    let mut out = String::from("$");
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if key
                    .iter()
                    .any(|&b| !b.is_ascii() || b < 0x20 || b == b'"' || b == b'\\')
                {
                    return Err(HandBack);
                }
                let key = std::str::from_utf8(&key).map_err(|_| HandBack)?;
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
    Ok(out)
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
            let digits = literal.strip_prefix('-').unwrap_or(literal);
            let plain = digits.bytes().all(|b| b.is_ascii_digit());
            if plain && digits.len() <= 15 {
                return Ok(()); // at most 999,999,999,999,999: below 2^53
            }
            if !plain && literal.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                return Ok(());
            }
            if literal.len() > 30 {
                return Err(HandBack);
            }
            let value: i128 = if plain && digits.len() <= 19 {
                // (a snowflake id has 18 digits: u64 arithmetic, not i128's)
                let magnitude = digits
                    .bytes()
                    .fold(0u64, |v, b| v * 10 + u64::from(b - b'0'));
                let magnitude = i128::from(magnitude);
                if digits.len() < literal.len() {
                    -magnitude
                } else {
                    magnitude
                }
            } else {
                literal.parse().map_err(|_| HandBack)?
            };
            id_hazard(|| literal.to_owned(), value, sc.texts, path, found)
        }
        _ => sc.skip(2),
    }
}

/// The reference's hazard scan of a valid line, or `HandBack`.
pub fn scan<'a>(
    line: &'a [u8],
    fields: &Roles,
    secrets: &SecretFilter,
    nanos: u32,
    texts: Texts,
    scratch: &mut Scratch<'a>,
    found: &mut Found,
) -> Scan<()> {
    let Scratch {
        keys,
        ids,
        event_ids,
        walked,
        key_stack,
        path,
        ..
    } = scratch;
    for bucket in ids
        .iter_mut()
        .chain([&mut *event_ids])
        .chain(walked.iter_mut())
    {
        bucket.clear();
    }
    key_stack.clear();
    let mut sc = Scanner {
        s: line,
        i: 0,
        secrets,
        keys,
        texts,
        key_stack,
    };
    sc.eat(b'{')?; // the positional (array) form is handed back
    let mut deepest = 1usize;
    let mut created_at: Option<(Cow<'_, [u8]>, Cow<'_, str>)> = None;
    let mut seen = [false; 7];
    let mut more = sc.opens(b'}')?;
    while more {
        let key = sc.string()?;
        sc.eat(b':')?;
        let mut field = fields.get(&key);
        if field != Field::Other && seen[field as usize] {
            field = Field::Other; // first occurrence wins
        }
        seen[field as usize] = true;
        match field {
            Field::ExecutionId => check_id(&mut sc, || key_path("$", &key), &mut ids[0])?,
            Field::EventId => check_id(&mut sc, || key_path("$", &key), &mut ids[1])?,
            Field::EventIds => {
                let path = key_path("$", &key)?;
                if sc.peek()? == b'[' {
                    sc.i += 1;
                    let mut more = sc.opens(b']')?;
                    let mut k = 0usize;
                    while more {
                        check_id(&mut sc, || Ok(format!("{path}[{k}]")), event_ids)?;
                        k += 1;
                        more = sc.more(b']')?;
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
                path.clear();
                path.push(Seg::Key(key));
                deepest = deepest.max(sc.walk(path, 2, &mut walked[slot])?);
            }
            Field::CreatedAt => {
                if sc.peek()? == b'"' {
                    // As serde_json decoded it (the hazard's detail quotes the text).
                    let text = match sc.string()? {
                        Cow::Borrowed(raw) => {
                            Cow::Borrowed(std::str::from_utf8(raw).map_err(|_| HandBack)?)
                        }
                        Cow::Owned(text) => {
                            Cow::Owned(String::from_utf8(text).map_err(|_| HandBack)?)
                        }
                    };
                    created_at = Some((key, text));
                } else {
                    sc.skip(2)?;
                }
            }
            Field::Other => sc.skip(2)?,
        }
        more = sc.more(b'}')?;
    }
    if deepest >= HAND_BACK_DEPTH || sc.i > line.len() {
        return Err(HandBack);
    }
    let created_at = created_at.as_ref().map(|(key, text)| (&**key, &**text));
    gather(ids, event_ids, walked, created_at, nanos, texts, found)?;
    if !texts.complete(found) {
        return Err(HandBack); // (a hazard without texts was moved into the listed ones)
    }
    Ok(())
}

/// A scanned line's hazards into `found`, in the reference's order: the ids, then the walked
/// values, then the timestamp (`created_at`: its key and text).
// (`u32::is_multiple_of` would need Rust 1.87; the dependencies build with 1.71.)
#[allow(clippy::manual_is_multiple_of)]
fn gather(
    ids: &mut [Found; 2],
    event_ids: &mut Found,
    walked: &mut [Found; 2],
    created_at: Option<(&[u8], &str)>,
    nanos: u32,
    texts: Texts,
    found: &mut Found,
) -> Scan<()> {
    for bucket in ids
        .iter_mut()
        .chain([&mut *event_ids])
        .chain(walked.iter_mut())
    {
        if found.is_empty() {
            std::mem::swap(found, bucket); // (no copy: a line's hazards may be a million)
        } else {
            found.append(bucket);
        }
    }
    if let Some((key, text)) = created_at {
        let path = || key_path("$", key); // written only for a hazard
        if !texts.at(found.len()) {
            if nanos >= 1_000_000_000 {
                found.push(Hazard::bare("leap_second"));
            } else if nanos % 1000 > 0 {
                found.push(Hazard::bare("sub_microsecond"));
            }
        } else if nanos >= 1_000_000_000 {
            found.push(Hazard::new(
                "leap_second",
                path()?,
                format!("{text}: PostgreSQL has no leap seconds"),
            ));
        } else if nanos % 1000 > 0 {
            found.push(Hazard::new(
                "sub_microsecond",
                path()?,
                format!("{text}: the database keeps microseconds only"),
            ));
        }
    }
    Ok(())
}

/// The hazard scan fused with the lean decode: a `lean::Watch` that screens and records what
/// the lean decode reads of a line as `scan` would, in one pass. What it cannot settle as
/// `scan` does (an unknown or escaped key, a float, anything the secret screen or the depth
/// rule would hand back) marks the line for `scan`, which then reads it again on its own:
/// the fused pass only ever settles lines whose hazards it finds exactly as `scan` finds them
/// (the tests hold the two to each other).
pub struct Fused<'a, 'c> {
    line: &'a [u8],
    /// Where the line's next token starts, once the structure before it (whitespace, `,`,
    /// `:`, brackets) is passed, when that is known: set after each key or string written
    /// without escapes (its bytes are the line's own), moved past each scalar, lost after a
    /// string written with escapes. A float's literal is read there, and checked to read back
    /// as the value serde_json read.
    cursor: Option<usize>,
    secrets: &'c SecretFilter,
    keys: &'c mut FxMap<&'a [u8], bool>,
    texts: Texts,
    /// The line is left to `scan`: nothing more is recorded.
    rescan: bool,
    /// The walked value (0: `context`, 1: `meta`).
    slot: usize,
    ids: &'c mut [Found; 2],
    walked: &'c mut [Found; 2],
    /// (The old pass's stack, for the screen of an unknown key's value.)
    key_stack: &'c mut Vec<(Cow<'a, [u8]>, usize)>,
    /// The keys of the objects being read, innermost last (decoded: a key written with
    /// escapes is held as its text).
    held: &'c mut Vec<Cow<'a, [u8]>>,
    /// The path of the value being read.
    steps: &'c mut Vec<Step>,
    created_at: Option<(&'static str, Cow<'a, str>)>,
}

/// A step of the fused scan's path: the field's key, a held key (its index), an index.
#[derive(Clone, Copy)]
enum Step {
    Field(&'static str),
    Key(usize),
    Index(usize),
}

/// The reference's text of the fused scan's path.
fn steps_path(steps: &[Step], held: &[Cow<'_, [u8]>]) -> Scan<String> {
    render(steps.iter().map(|step| match *step {
        Step::Field(key) => Seg::Key(Cow::Borrowed(key.as_bytes())),
        Step::Key(j) => Seg::Key(Cow::Borrowed(&held[j])),
        Step::Index(i) => Seg::Index(i),
    }))
}

impl<'a> Scratch<'a> {
    /// A fused scan of one line, with this block's buffers and key verdicts.
    pub fn fused<'c>(
        &'c mut self,
        line: &'a [u8],
        secrets: &'c SecretFilter,
        texts: Texts,
    ) -> Fused<'a, 'c> {
        for bucket in self.ids.iter_mut().chain(self.walked.iter_mut()) {
            bucket.clear();
        }
        self.key_stack.clear();
        self.held.clear();
        self.steps.clear();
        Fused {
            line,
            cursor: None,
            secrets,
            keys: &mut self.keys,
            texts,
            rescan: false,
            slot: 0,
            ids: &mut self.ids,
            walked: &mut self.walked,
            key_stack: &mut self.key_stack,
            held: &mut self.held,
            steps: &mut self.steps,
            created_at: None,
        }
    }
}

impl<'a> Fused<'a, '_> {
    /// The offset in the line just past `text` and its closing quote (`text`: the line's own
    /// bytes).
    fn past(&self, text: &str) -> Option<usize> {
        let start = (text.as_ptr() as usize).checked_sub(self.line.as_ptr() as usize)?;
        let end = start + text.len();
        (self.line.get(end) == Some(&b'"')).then_some(end + 1)
    }

    /// The next token from the cursor (start, end), and the cursor moved past it: a number's
    /// characters, or `true`, `false`, `null`.
    fn token(&mut self) -> Option<(usize, usize)> {
        let line = self.line;
        let mut at = self.cursor.take()?;
        while line.get(at).is_some_and(|b| {
            matches!(
                b,
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'[' | b']' | b'{' | b'}'
            )
        }) {
            at += 1;
        }
        let start = at;
        match line.get(at)? {
            b'-' | b'0'..=b'9' => {
                while line
                    .get(at)
                    .is_some_and(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    at += 1;
                }
            }
            b't' | b'n' => at += 4,
            b'f' => at += 5,
            _ => return None,
        }
        let word = line.get(start..at)?;
        if matches!(word[0], b't' | b'n' | b'f') && !matches!(word, b"true" | b"null" | b"false") {
            return None;
        }
        self.cursor = Some(at);
        Some((start, at))
    }

    /// The line's hazards into `found` (the lean decode found it valid; `nanos`: of its
    /// `created_at`), or false: `scan` decides them.
    pub fn finish(self, nanos: u32, found: &mut Found) -> bool {
        if self.rescan {
            return false;
        }
        let created_at = self
            .created_at
            .as_ref()
            .map(|(key, text)| (key.as_bytes(), text.as_ref()));
        let mut event_ids = Found::new();
        let texts = self.texts;
        let gathered = gather(
            self.ids,
            &mut event_ids,
            self.walked,
            created_at,
            nanos,
            texts,
            found,
        );
        if gathered.is_err() || !texts.complete(found) {
            found.clear();
            return false;
        }
        true
    }
}

impl<'a> crate::lean::Watch<'a> for Fused<'a, '_> {
    fn key(&mut self, key: Option<&'a str>, known: bool) {
        self.cursor = None;
        if self.rescan {
            return;
        }
        let Some(key) = key else {
            // A key written with escapes: a field's is read by its name (the cursor is lost
            // until the next key); an unknown one's value is left to `scan`.
            self.rescan |= !known;
            return;
        };
        let Some(past) = self.past(key) else {
            self.rescan = true;
            return;
        };
        if known {
            self.cursor = Some(past);
            return;
        }
        // An unknown key's value, skipped by the decode: screened as `scan` screens it, from
        // the line's bytes.
        let mut sc = Scanner {
            s: self.line,
            i: past,
            secrets: self.secrets,
            keys: self.keys,
            texts: self.texts,
            key_stack: self.key_stack,
        };
        if sc.eat(b':').and_then(|()| sc.skip(2)).is_err() {
            self.rescan = true;
        }
    }

    fn id(&mut self, slot: usize, key: &'static str, value: i64) {
        if self.rescan {
            return;
        }
        // A valid id is a JSON integer: its literal is the value's decimal text.
        let path = || key_path("$", key.as_bytes());
        let literal = || value.to_string();
        let found = &mut self.ids[slot];
        if id_hazard(literal, i128::from(value), self.texts, path, found).is_err() {
            self.rescan = true;
        }
    }

    fn text(&mut self, text: &str, borrowed: bool) {
        self.cursor = if borrowed { self.past(text) } else { None };
        if !self.rescan && SecretFilter::text_suspect(text.as_bytes()) {
            self.rescan = true;
        }
    }

    fn created_at(&mut self, key: &'static str, text: Cow<'a, str>) {
        self.cursor = None;
        self.created_at = Some((key, text));
    }

    fn tree(&mut self, slot: usize, key: &'static str) {
        self.slot = slot;
        self.held.clear();
        self.steps.clear();
        self.steps.push(Step::Field(key));
    }

    fn value(&mut self, level: usize) {
        if level >= HAND_BACK_DEPTH {
            self.rescan = true;
        }
    }

    fn float(&mut self, value: f64) {
        if self.rescan {
            return;
        }
        let literal = self
            .token()
            .and_then(|(start, end)| std::str::from_utf8(&self.line[start..end]).ok());
        // The literal must be the one serde_json read: it reads back as the same value.
        let literal = literal.filter(|literal| {
            serde_json::from_str::<f64>(literal).is_ok_and(|v| v.to_bits() == value.to_bits())
        });
        let Some(literal) = literal else {
            self.rescan = true;
            return;
        };
        let (steps, held) = (&*self.steps, &*self.held);
        let path = || steps_path(steps, held);
        if float_hazard(literal, self.texts, path, &mut self.walked[self.slot]).is_err() {
            self.rescan = true;
        }
    }

    fn scalar(&mut self) {
        self.token();
    }

    fn object(&mut self) -> (usize, usize) {
        (self.walked[self.slot].len(), self.held.len())
    }

    fn member(&mut self, key: Cow<'a, str>) {
        if self.rescan {
            return;
        }
        let (suspect, key) = match key {
            Cow::Borrowed(key) => {
                self.cursor = self.past(key);
                let key = key.as_bytes();
                (
                    key_suspect(self.keys, self.secrets, key),
                    Cow::Borrowed(key),
                )
            }
            Cow::Owned(key) => {
                self.cursor = None;
                (
                    self.secrets.key_suspect(key.as_bytes()),
                    Cow::Owned(key.into_bytes()),
                )
            }
        };
        if suspect {
            self.rescan = true;
            return;
        }
        self.steps.push(Step::Key(self.held.len()));
        self.held.push(key);
    }

    fn element(&mut self, index: usize) {
        if !self.rescan {
            self.steps.push(Step::Index(index));
        }
    }

    fn done(&mut self) {
        if !self.rescan {
            self.steps.pop();
        }
    }

    fn end_object(&mut self, (own_at, base): (usize, usize)) {
        if self.rescan {
            return;
        }
        let (steps, held) = (&*self.steps, &*self.held);
        let keys = &held[base..];
        // (A repeated key is left to `scan`, which drops the hazards of the values that
        // serde_json does not keep.)
        let ordered = match key_order(keys.len(), |i| &keys[i]) {
            (_, true) => Err(HandBack),
            (Some(pair), false) => {
                let path = || steps_path(steps, held);
                order_hazard(&mut self.walked[self.slot], own_at, self.texts, path, pair)
            }
            (None, false) => Ok(()),
        };
        self.held.truncate(base);
        if ordered.is_err() {
            self.rescan = true;
        }
    }
}
