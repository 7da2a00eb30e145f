//! The bounded pool running the multiplexed server's calls: `size` threads fed through a
//! channel; finished calls go back to the loop, woken by a [`Waker`] (once for all the calls
//! that finish before it looks: a wake-up costs a system call). With no threads, calls run one
//! at a time on the loop's own thread (Pyro5's multiplex server) and go back the same way,
//! without a wake-up: the loop itself looks for them (see [`Workers::has_finished`]).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::thread;

use crossbeam_channel::{Receiver, Sender};
use mio::Waker;

use crate::session::{Completed, Request};

/// Work for a pool thread.
enum Job {
    /// A call whose reply the connection `key` waits for.
    Call(usize, Box<Request>),
    /// A oneway call of connection `key` the oneway runner had no room for: the connection
    /// waits for it (reads nothing more) as the thread server's connection worker runs it.
    Oneway(usize, Box<dyn FnOnce() + Send>),
}

/// What a worker hands back to the loop for a connection.
pub(super) enum Done {
    /// The call's outcome, to answer.
    Reply(Completed),
    /// A oneway call ran: nothing to answer.
    Oneway,
    /// The call panicked outside the method (`run` catches a method's panic): the connection
    /// is closed rather than left waiting.
    Panicked,
}

/// The call workers of one multiplexed request loop; dropping it lets the threads end once
/// the queued work is done.
pub(super) struct Workers {
    jobs: Sender<Job>,
    finished: Receiver<(usize, Done)>,
    /// Without threads: where a call run on the loop's thread leaves its outcome.
    inline: Option<Sender<Finished>>,
    /// Set by the first worker to finish after the loop last looked: the loop was woken.
    woken: Arc<AtomicBool>,
}

/// A finished job: its connection and what came of it.
type Finished = (usize, Done);

impl Workers {
    /// Starts `size` threads (those that can be started: the request loop's caller should
    /// have at least one); with `size` 0, none: each call then runs when it is queued, on the
    /// thread queuing it.
    pub(super) fn new(size: usize, waker: Arc<Waker>) -> Workers {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        let (done, finished) = crossbeam_channel::unbounded();
        let woken = Arc::new(AtomicBool::new(false));
        if size == 0 {
            return Workers { jobs, finished, inline: Some(done), woken };
        }
        for _ in 0..size {
            let queue = queue.clone();
            let done = done.clone();
            let waker = Arc::clone(&waker);
            let woken = Arc::clone(&woken);
            let _ = thread::Builder::new().name("pyro-mux-worker".into()).spawn(move || {
                for job in queue {
                    if done.send(run(job)).is_err() {
                        return;
                    }
                    // The outcome is queued first: a loop that cleared the flag finds it.
                    fence(Ordering::SeqCst);
                    if !woken.swap(true, Ordering::SeqCst) {
                        let _ = waker.wake();
                    }
                }
            });
        }
        Workers { jobs, finished, inline: None, woken }
    }

    /// Runs `job` now if there are no threads, else queues it.
    fn submit(&self, job: Job) {
        match &self.inline {
            Some(done) => {
                let _ = done.send(run(job));
            }
            None => {
                let _ = self.jobs.send(job);
            }
        }
    }

    /// Queues the call of connection `key`.
    pub(super) fn call(&self, key: usize, request: Box<Request>) {
        self.submit(Job::Call(key, request));
    }

    /// Queues a oneway call of connection `key`.
    pub(super) fn oneway(&self, key: usize, job: Box<dyn FnOnce() + Send>) {
        self.submit(Job::Oneway(key, job));
    }

    /// Whether calls run on the thread queuing them (there are no worker threads).
    pub(super) fn is_inline(&self) -> bool {
        self.inline.is_some()
    }

    /// Whether calls run on the loop's thread finished and wait to be handed over (without
    /// threads; with threads the waker says so).
    pub(super) fn has_finished(&self) -> bool {
        self.inline.is_some() && !self.finished.is_empty()
    }

    /// The calls finished since the last look.
    pub(super) fn finished(&self) -> Vec<(usize, Done)> {
        // Cleared before looking: a call finishing from now on wakes the loop again.
        self.woken.store(false, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.finished.try_iter().collect()
    }
}

/// Runs `job`, catching a panic outside the method; the connection and its outcome.
fn run(job: Job) -> (usize, Done) {
    match job {
        Job::Call(key, request) => match catch_unwind(AssertUnwindSafe(|| request.run())) {
            Ok(completed) => (key, Done::Reply(completed)),
            Err(_) => (key, Done::Panicked),
        },
        Job::Oneway(key, job) => {
            let _ = catch_unwind(AssertUnwindSafe(job));
            (key, Done::Oneway)
        }
    }
}
