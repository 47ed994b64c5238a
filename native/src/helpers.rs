//! Helper threads kept for an engine's life, that share the check of a block with its caller.
//!
//! Starting threads per block cost more than they gave on 1 MiB blocks (their stacks and
//! allocator arenas are new each time), and a work-stealing pool's idle workers spin, taking
//! the time the caller needs to read the next block on a small machine. These helpers sleep on
//! a channel between blocks.
//!
//! The work is lent to a helper, not moved: `Helpers::run` sends a borrowed closure as a raw
//! pointer, with the index of the part it is to do, and does not return (not even by
//! unwinding) before every helper it sent a part to has answered, so the borrow outlives its use.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Mutex;
use std::thread;

/// What a helper runs: `work(part)`, lent by the caller for the duration of the job.
type Work<'a, T> = dyn Fn(usize) -> T + Sync + 'a;

struct Job<T> {
    work: *const Work<'static, T>,
    part: usize,
}

// SAFETY: a job's pointer is dereferenced only while the caller of `Helpers::run`, which owns
// what it points to, waits for the answer (see `run`); `Work` is `Sync`.
unsafe impl<T> Send for Job<T> {}

struct Helper<T> {
    jobs: Sender<Job<T>>,
    answers: Receiver<thread::Result<T>>,
}

impl<T: Send + 'static> Helper<T> {
    fn start(name: String) -> Option<Self> {
        let (jobs, inbox) = mpsc::channel::<Job<T>>();
        let (outbox, answers) = mpsc::channel();
        thread::Builder::new()
            .name(name)
            .spawn(move || {
                for job in inbox {
                    let answer = panic::catch_unwind(AssertUnwindSafe(|| {
                        // SAFETY: see `Job`: the caller waits for this answer.
                        let work = unsafe { &*job.work };
                        work(job.part)
                    }));
                    if outbox.send(answer).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Helper { jobs, answers })
    }
}

/// Up to `count` helpers, started on first use; the engine's lock keeps one block at a time.
pub struct Helpers<T> {
    count: usize,
    started: Mutex<Vec<Helper<T>>>,
    /// The process the helpers belong to: a child made by `fork` has none of them (and may
    /// have inherited the lock held), so there every part runs on the calling thread.
    owner: u32,
}

impl<T: Send + 'static> Helpers<T> {
    pub fn new(count: usize) -> Self {
        Helpers {
            count,
            started: Mutex::new(Vec::new()),
            owner: std::process::id(),
        }
    }

    /// How many threads share a block: the helpers and the caller.
    pub fn threads(&self) -> usize {
        self.count + 1
    }

    /// `work(i)` for each part `i` below `parts`, the first on this thread and the others on
    /// helpers (or here, when a helper cannot be had); the answers in the order of the parts.
    pub fn run(&self, parts: usize, work: &(dyn Fn(usize) -> T + Sync)) -> Vec<T> {
        if std::process::id() != self.owner {
            return (0..parts).map(work).collect();
        }
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        while started.len() < self.count.min(parts.saturating_sub(1)) {
            match Helper::start(format!("noetl-events-check-{}", started.len() + 1)) {
                Some(helper) => started.push(helper),
                None => break,
            }
        }
        // SAFETY: the lifetime is erased only for the helpers' channel; every job sent below
        // is answered before this function returns or unwinds (`Waiting`).
        let lent: *const Work<'static, T> =
            unsafe { std::mem::transmute::<*const Work<'_, T>, *const Work<'static, T>>(work) };
        let mut sent: Vec<(usize, &Helper<T>)> = Vec::new();
        let mut here: Vec<usize> = (0..parts.min(1)).collect();
        let mut helpers = started.iter();
        for part in 1..parts {
            match helpers.next() {
                Some(helper) if helper.jobs.send(Job { work: lent, part }).is_ok() => {
                    sent.push((part, helper))
                }
                _ => here.push(part),
            }
        }
        let waiting = Waiting(&sent);
        let mut answers: Vec<Option<T>> = (0..parts).map(|_| None).collect();
        for &i in &here {
            answers[i] = Some(work(i));
        }
        std::mem::forget(waiting);
        let mut failure = None;
        for &(i, helper) in &sent {
            match helper.answers.recv() {
                Ok(Ok(answer)) => answers[i] = Some(answer),
                Ok(Err(payload)) => failure = Some(payload),
                Err(_) => failure = Some(Box::new("a helper thread of the check engine stopped")),
            }
        }
        if let Some(payload) = failure {
            panic::resume_unwind(payload);
        }
        answers.into_iter().flatten().collect()
    }
}

/// Waits for the answers of the jobs sent, should the caller's own part unwind.
struct Waiting<'h, T>(&'h [(usize, &'h Helper<T>)]);

impl<T> Drop for Waiting<'_, T> {
    fn drop(&mut self) {
        for (_, helper) in self.0 {
            let _ = helper.answers.recv();
        }
    }
}
