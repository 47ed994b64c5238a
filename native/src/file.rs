//! A plain file the engine reads itself: `Engine.check_file`.
//!
//! The file is cut into blocks of `block` bytes, at fixed offsets. A line belongs to the block
//! its first byte is in: a block reads from one byte before its offset (to see whether a line
//! starts there) to the newline that ends its last line, past its end. So each block is read
//! and checked on its own, by whichever of the run's threads takes it: every thread reads (with
//! `pread` on a duplicate of the caller's descriptor) and checks, and no thread waits for
//! another to find where its block begins. The blocks' answers are handed to the caller in
//! file order, a part (at most `PART_LINES` lines) at a time. Memory stays a few blocks
//! whatever the file: a thread takes a new block only while the blocks read and not yet taken
//! weigh less than `window`, a block weighing one, and one more for each `PART_LINES` entries
//! of its lists (invalid lines, lines handed back, and listed hazards, which count 16 each: a
//! block of a million short invalid lines weighs 16).
//!
//! A run stops at the first block that cannot go on: a line longer than a block (its offset is
//! given: the caller reads from there), a last line without a newline (the caller checks the
//! file's size before reading it), a file that holds less than its size, or a read error.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::os::unix::fs::FileExt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::{BlockOut, Checker};

/// Lines per part of a block: what a part hands back grows with its lines (a block of a
/// million empty lines would otherwise come back as a million findings at once).
pub const PART_LINES: usize = 1 << 16;

/// How much more is read at a time to find the newline that ends a block's last line.
const EXTEND: u64 = 64 << 10;

/// How a block ends the run, or does not.
pub enum End {
    /// The next block goes on.
    Next,
    /// From this offset on, the lines are the caller's to read: one is longer than a block.
    Long(u64),
    /// The file's last line, from this offset, has no newline.
    Tail(u64),
    /// The file held less than its size: the lines from this offset on were not checked.
    Short(u64),
    /// A read failed: the lines from this offset on were not checked.
    Failed(u64, io::Error),
    /// The check panicked (a defect of the engine).
    Panicked(String),
}

impl End {
    fn last(&self) -> bool {
        !matches!(self, End::Next)
    }
}

/// A part of a block: its count of lines, what they gave, and their text's range in the
/// block's text.
pub type Part = (usize, BlockOut, usize, usize);

/// A block, checked.
pub struct Block {
    /// Its lines, checked in parts of at most `PART_LINES`.
    pub parts: Vec<Part>,
    /// The buffer and the range of the lines' text in it (joined by newlines), kept when a
    /// part has lines the caller needs to read (invalid ones, those handed back).
    pub text: Option<(Vec<u8>, usize, usize)>,
    /// The offset after the block's last line (its newline included).
    pub done: u64,
    pub end: End,
}

impl Block {
    fn empty(done: u64, end: End) -> Self {
        Block {
            parts: Vec::new(),
            text: None,
            done,
            end,
        }
    }

    /// How many lines the block holds.
    pub fn lines(&self) -> usize {
        self.parts.iter().map(|part| part.0).sum()
    }

    /// What the block weighs against the window: one, and one more for each `PART_LINES`
    /// entries of its lists, a listed hazard (with its path and detail, about 150 bytes)
    /// counting as 16 (an invalid line is 8 bytes, a line handed back 4).
    fn weight(&self) -> usize {
        let entries: usize = self
            .parts
            .iter()
            .map(|(_, out, _, _)| {
                out.invalid.len() + 16 * out.hazards.len() + out.handed_back.len()
            })
            .sum();
        1 + entries / PART_LINES
    }
}

struct State {
    /// The next block a thread takes.
    claim: usize,
    /// How many blocks the caller took.
    taken: usize,
    /// The weight of the blocks taken by a thread and not yet by the caller (one each while
    /// being read).
    load: usize,
    /// Blocks from here on are not read (the file's count, or one past a block that ends the
    /// run).
    last: usize,
    done: HashMap<usize, Block>,
    stop: bool,
}

struct Shared {
    checker: Arc<Checker>,
    file: File,
    size: u64,
    block: u64,
    /// How many hazards the report has room for (`usize::MAX`: all): the caller lowers it as
    /// the blocks' hazards fill the report, and a block takes it when its check begins.
    room: AtomicUsize,
    /// Lines are read and split, not checked (the figure of reading alone, for the benchmark).
    read_only: bool,
    window: usize,
    state: Mutex<State>,
    /// A block is done (the caller waits on it).
    ready: Condvar,
    /// The caller took a block, or the run stops (the threads wait on it).
    space: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A thread of the run: takes the next block while the window has room, reads and checks it.
    fn work(&self) {
        let mut buf = Vec::new();
        loop {
            let k = {
                let mut state = self.lock();
                loop {
                    if state.stop || state.claim >= state.last {
                        return;
                    }
                    // (The block the caller waits for is always taken first: blocks are taken
                    // in order, so a full window never holds it back.)
                    if state.load < self.window {
                        break;
                    }
                    state = self.space.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                state.claim += 1;
                state.load += 1;
                state.claim - 1
            };
            let block = panic::catch_unwind(AssertUnwindSafe(|| self.read(k, &mut buf)))
                .unwrap_or_else(|payload| {
                    let why = payload
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".to_owned());
                    Block::empty(0, End::Panicked(why))
                });
            let mut state = self.lock();
            if block.end.last() {
                state.last = state.last.min(k + 1);
                state.done.retain(|&i, _| i <= k);
            }
            if k < state.last {
                state.load += block.weight() - 1;
                state.done.insert(k, block);
            } else {
                state.load -= 1;
            }
            self.ready.notify_all();
        }
    }

    /// Block `k`, read into `buf` and checked.
    fn read(&self, k: usize, buf: &mut Vec<u8>) -> Block {
        let lo = k as u64 * self.block;
        let hi = (lo + self.block).min(self.size);
        // One byte before the block tells whether a line starts at its first byte.
        let base = lo.saturating_sub(1);
        // (the buffer's bytes are written over by the read: only a longer one is zeroed first)
        buf.resize((hi - base) as usize, 0);
        let got = match read_full(&self.file, buf, base) {
            Ok(got) => got,
            Err(e) => return Block::empty(lo, End::Failed(lo, e)),
        };
        // The file holds less than its size: its lines read whole are checked, as Python's
        // reading checks them, and the run ends there.
        let short = got < buf.len();
        buf.truncate(got);
        let next = || if short { End::Short(lo) } else { End::Next };
        let first = if k == 0 {
            0
        } else {
            match memchr::memchr(b'\n', buf) {
                Some(i) => i + 1,
                None => return Block::empty(hi, next()), // inside a line of an earlier block
            }
        };
        if first == buf.len() {
            return Block::empty(hi, next()); // the next block's first byte starts a line
        }
        if short {
            let stop = memchr::memrchr(b'\n', &buf[first..]).map(|i| first + i);
            return self.checked(buf, first, stop, base + got as u64, End::Short(lo));
        }
        // The lines' text is buf[first..stop] (without the newline that ends the last one),
        // or there are none (`stop` is None).
        let (stop, done, end) = if buf.last() == Some(&b'\n') {
            (Some(buf.len() - 1), hi, End::Next)
        } else {
            // The last line goes on past the block: read on to its newline.
            let start = memchr::memrchr(b'\n', &buf[first..]).map_or(first, |i| first + i + 1);
            let before = (start > first).then(|| start - 1);
            // A line is read here when it ends within a block's bytes of its start (no longer
            // than a block, and so not over the caller's maximum item size).
            let start_at = base + start as u64;
            let limit = self.size.min(start_at + self.block);
            let mut at = hi;
            let mut newline = None;
            while newline.is_none() && at < limit {
                let n = EXTEND.min(limit - at) as usize;
                let from = buf.len();
                buf.resize(from + n, 0);
                let got = match read_full(&self.file, &mut buf[from..], at) {
                    Ok(got) => got,
                    Err(e) => {
                        buf.truncate(from); // the lines before `start` were read whole
                        return self.checked(buf, first, before, start_at, End::Failed(at, e));
                    }
                };
                buf.truncate(from + got);
                newline = memchr::memchr(b'\n', &buf[from..]).map(|i| from + i);
                if newline.is_none() && got < n {
                    // the file ends inside the line: the lines before it were read whole
                    return self.checked(buf, first, before, start_at, End::Short(start_at));
                }
                at += n as u64;
            }
            match newline {
                Some(i) => (Some(i), base + i as u64 + 1, End::Next),
                None if at == self.size => (before, start_at, End::Tail(start_at)),
                None => (before, start_at, End::Long(start_at)),
            }
        };
        self.checked(buf, first, stop, done, end)
    }

    /// The block whose lines are `buf[first..stop]`, checked.
    fn checked(
        &self,
        buf: &mut Vec<u8>,
        first: usize,
        stop: Option<usize>,
        done: u64,
        end: End,
    ) -> Block {
        let Some(stop) = stop else {
            return Block::empty(done, end);
        };
        let room = self.room.load(Ordering::Relaxed);
        let room = (room != usize::MAX).then_some(room);
        // The lines of buf[first..stop], a part at a time (no list of a million lines).
        let text = &buf[first..stop];
        let mut parts: Vec<Part> = Vec::new();
        let mut lines: Vec<&[u8]> = Vec::with_capacity(PART_LINES.min(text.len() / 64 + 1));
        let (mut start, mut part_start) = (0, 0);
        let mut newlines = memchr::memchr_iter(b'\n', text);
        loop {
            let newline = newlines.next();
            let line_end = newline.unwrap_or(text.len());
            lines.push(&text[start..line_end]);
            start = line_end + 1;
            if lines.len() == PART_LINES || newline.is_none() {
                let out = match self.read_only {
                    true => BlockOut::default(),
                    false => self.checker.run(&lines, room),
                };
                parts.push((lines.len(), out, part_start, line_end));
                lines.clear();
                part_start = start;
            }
            if newline.is_none() {
                break;
            }
        }
        let read_back = parts
            .iter()
            .any(|(_, out, _, _)| !out.invalid.is_empty() || !out.handed_back.is_empty());
        let text = read_back.then(|| (std::mem::take(buf), first, stop));
        Block {
            parts,
            text,
            done,
            end,
        }
    }
}

/// Reads into `buf` from `offset` until it is full or the file ends: how many bytes it read.
fn read_full(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// A run over a file: its threads, and the blocks they checked.
pub struct Run {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Run {
    /// Starts `threads` threads on the file open at `fd` (duplicated: the caller may close its
    /// own), `size` bytes of it, in blocks of `block` bytes (`read_only`: lines not checked).
    pub fn start(
        checker: Arc<Checker>,
        fd: RawFd,
        size: u64,
        block: u64,
        room: Option<usize>,
        threads: usize,
        read_only: bool,
    ) -> io::Result<Self> {
        // SAFETY: the caller's descriptor is open for the duration of this call.
        let file = File::from(unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()?);
        let block = block.max(1);
        let blocks = size.div_ceil(block) as usize;
        let threads = threads.max(1).min(blocks.max(1));
        let shared = Arc::new(Shared {
            checker,
            file,
            size,
            block,
            room: AtomicUsize::new(room.unwrap_or(usize::MAX)),
            read_only,
            window: 2 * threads + 1,
            state: Mutex::new(State {
                claim: 0,
                taken: 0,
                load: 0,
                last: blocks,
                done: HashMap::new(),
                stop: false,
            }),
            ready: Condvar::new(),
            space: Condvar::new(),
        });
        let mut started = Vec::new();
        for i in 0..threads {
            let mine = Arc::clone(&shared);
            let spawned = thread::Builder::new()
                .name(format!("noetl-events-file-{}", i + 1))
                .spawn(move || mine.work());
            match spawned {
                Ok(handle) => started.push(handle),
                Err(e) if started.is_empty() => return Err(e),
                Err(_) => break, // fewer threads: the same blocks, the same answers
            }
        }
        Ok(Run {
            shared,
            threads: started,
        })
    }

    /// The next block in file order, waiting at most `wait` for it: `Ok(None)` when there is
    /// none left, `Err(())` when the wait ran out.
    pub fn next(&self, wait: Duration) -> Result<Option<Block>, ()> {
        let mut state = self.shared.lock();
        loop {
            let k = state.taken;
            if k >= state.last {
                return Ok(None); // (blocks read past one that ends the run are not handed)
            }
            if let Some(block) = state.done.remove(&k) {
                state.taken += 1;
                state.load -= block.weight();
                self.shared.space.notify_all();
                return Ok(Some(block));
            }
            let (again, waited) = self
                .shared
                .ready
                .wait_timeout(state, wait)
                .unwrap_or_else(|e| e.into_inner());
            state = again;
            if waited.timed_out() && !state.done.contains_key(&state.taken) {
                return Err(());
            }
        }
    }

    /// The report's room for hazards now: the blocks whose check begins later write the
    /// texts of that many at most.
    pub fn set_room(&self, room: usize) {
        self.shared.room.store(room, Ordering::Relaxed);
    }

    /// Stops the threads (each ends after the block it is reading) and waits for them.
    pub fn stop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.space.notify_all();
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.stop();
    }
}
