//! The bounded pool running the multiplexed server's calls: `size` threads fed through a
//! channel; finished calls go back to the loop, woken by a [`Waker`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::{Receiver, Sender};
use mio::Waker;

use crate::session::{Completed, Request};

/// Work for a pool thread.
enum Job {
    /// A call whose reply the connection `key` waits for.
    Call(usize, Box<Request>),
    /// A oneway call the oneway runner had no room for.
    Oneway(Box<dyn FnOnce() + Send>),
}

/// The call workers of one multiplexed request loop; dropping it lets the threads end once
/// the queued work is done.
pub(super) struct Workers {
    jobs: Sender<Job>,
    finished: Receiver<(usize, Option<Completed>)>,
}

impl Workers {
    /// Starts `size` threads (at least one that could be started, else calls run in the loop).
    pub(super) fn new(size: usize, waker: Arc<Waker>) -> Workers {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        let (done, finished) = crossbeam_channel::unbounded();
        for _ in 0..size.max(1) {
            let queue = queue.clone();
            let done = done.clone();
            let waker = Arc::clone(&waker);
            let _ = thread::Builder::new().name("pyro-mux-worker".into()).spawn(move || {
                for job in queue {
                    match job {
                        Job::Call(key, request) => {
                            // `run` catches a method's panic; `None` (it panicked anyway) closes
                            // the connection rather than leave it waiting.
                            let completed = catch_unwind(AssertUnwindSafe(|| request.run())).ok();
                            if done.send((key, completed)).is_err() {
                                return;
                            }
                            let _ = waker.wake();
                        }
                        Job::Oneway(job) => {
                            let _ = catch_unwind(AssertUnwindSafe(job));
                        }
                    }
                }
            });
        }
        Workers { jobs, finished }
    }

    /// Queues the call of connection `key`.
    pub(super) fn call(&self, key: usize, request: Request) {
        let _ = self.jobs.send(Job::Call(key, Box::new(request)));
    }

    /// Queues a oneway call.
    pub(super) fn oneway(&self, job: Box<dyn FnOnce() + Send>) {
        let _ = self.jobs.send(Job::Oneway(job));
    }

    /// The calls finished since the last look.
    pub(super) fn finished(&self) -> Vec<(usize, Option<Completed>)> {
        self.finished.try_iter().collect()
    }
}
