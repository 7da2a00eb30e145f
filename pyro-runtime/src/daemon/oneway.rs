//! [`OnewayRunner`]: where oneway calls run, a bounded pool with a bounded queue.
//!
//! Pyro5 starts a new thread for every oneway call, without limit. Here they go to a queue of
//! [`ONEWAY_QUEUE`] calls served by up to `max_workers` threads (started as the backlog grows,
//! kept for the daemon's life). When the queue is full, [`OnewayRunner::submit`] gives the call
//! back and the connection's own worker runs it before reading that client's next request:
//! nothing is dropped, and a client flooding a daemon with oneway calls slows down only itself.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// How many oneway calls may wait for a worker.
pub(super) const ONEWAY_QUEUE: usize = 1024;

/// The most oneway workers a daemon starts (fewer if its `THREADPOOL_SIZE` is smaller).
pub(super) const ONEWAY_WORKERS: usize = 16;

/// A oneway call to run.
pub(super) type Job = Box<dyn FnOnce() + Send>;

/// The pool. Dropping it lets the workers finish the queue and stop.
pub(super) struct OnewayRunner {
    sender: Sender<Job>,
    receiver: Receiver<Job>,
    workers: AtomicUsize,
    max_workers: usize,
}

impl OnewayRunner {
    /// A runner with up to `max_workers` threads (at least one) and a queue of `capacity` calls.
    pub(super) fn new(max_workers: usize, capacity: usize) -> OnewayRunner {
        let (sender, receiver) = crossbeam_channel::bounded(capacity);
        OnewayRunner { sender, receiver, workers: AtomicUsize::new(0), max_workers: max_workers.max(1) }
    }

    /// Queues `job`, starting a worker if calls are waiting and fewer than the maximum run;
    /// gives `job` back when the queue is full (or no worker could be started at all), for the
    /// caller to run itself.
    pub(super) fn submit(&self, job: Job) -> Result<(), Job> {
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => return Err(job),
        }
        if !self.sender.is_empty() {
            self.grow();
        }
        if self.workers.load(Ordering::Acquire) == 0 {
            // No thread could be started: run what waits here rather than leave it queued.
            return match self.receiver.try_recv() {
                Ok(job) => Err(job),
                Err(_) => Ok(()),
            };
        }
        Ok(())
    }

    /// Starts one more worker, unless there are `max_workers` already.
    fn grow(&self) {
        let reserved = self
            .workers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.max_workers).then_some(n + 1))
            .is_ok();
        if !reserved {
            return;
        }
        let receiver = self.receiver.clone();
        let started = thread::Builder::new().name("pyro-oneway".into()).spawn(move || {
            while let Ok(job) = receiver.recv() {
                // The session already turns a method's panic into an error; this keeps the
                // worker alive whatever else unwinds.
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
        });
        if started.is_err() {
            self.workers.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_full_queue_gives_the_call_back_and_nothing_is_lost() {
        let runner = OnewayRunner::new(1, 2);
        let (release, gate) = mpsc::channel::<()>();
        let (done, finished) = mpsc::channel::<u32>();
        let (started, running) = mpsc::channel::<()>();
        // The one worker blocks on the gate.
        let first = done.clone();
        let blocker: Job = Box::new(move || {
            started.send(()).unwrap();
            gate.recv().unwrap();
            first.send(0).unwrap();
        });
        assert!(runner.submit(blocker).is_ok());
        running.recv_timeout(Duration::from_secs(5)).unwrap();
        // Two wait in the queue; the next is given back.
        for n in 1..=2 {
            let done = done.clone();
            assert!(runner.submit(Box::new(move || done.send(n).unwrap())).is_ok());
        }
        let done3 = done.clone();
        let Err(given_back) = runner.submit(Box::new(move || done3.send(3).unwrap())) else {
            panic!("the queue was full")
        };
        given_back();
        assert_eq!(finished.recv_timeout(Duration::from_secs(5)).unwrap(), 3);
        release.send(()).unwrap();
        let mut rest: Vec<u32> = (0..3).map(|_| finished.recv_timeout(Duration::from_secs(5)).unwrap()).collect();
        rest.sort_unstable();
        assert_eq!(rest, [0, 1, 2]);
        assert_eq!(runner.workers.load(Ordering::Acquire), 1, "never more than the maximum");
    }

    #[test]
    fn workers_grow_with_the_backlog_up_to_the_maximum() {
        let runner = OnewayRunner::new(3, 100);
        let (release, gate) = crossbeam_channel::unbounded::<()>();
        let (done, finished) = mpsc::channel::<()>();
        for _ in 0..10 {
            let (gate, done) = (gate.clone(), done.clone());
            assert!(
                runner
                    .submit(Box::new(move || {
                        gate.recv().unwrap();
                        done.send(()).unwrap();
                    }))
                    .is_ok()
            );
        }
        assert!(runner.workers.load(Ordering::Acquire) <= 3);
        for _ in 0..10 {
            release.send(()).unwrap();
        }
        for _ in 0..10 {
            finished.recv_timeout(Duration::from_secs(5)).unwrap();
        }
    }
}
