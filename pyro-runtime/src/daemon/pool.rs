//! The worker pool of the thread server (Pyro5's `svr_threads.Pool`): `min` workers started,
//! growing to `max`; each accepted connection is served by one worker for its whole life.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::transport::Socket;

/// How long a worker beyond the minimum waits for work before it stops.
const IDLE_WORKER_TIMEOUT: Duration = Duration::from_secs(5);

/// What a worker does with a connection.
pub(super) type Handler = Arc<dyn Fn(Socket) + Send + Sync>;

/// The queue and the worker counts. Invariant: `workers` = workers serving a connection +
/// `idle` + connections queued for a worker (each queued connection reserved a worker when it
/// was submitted).
#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Socket>,
    workers: usize,
    idle: usize,
    /// The pool was dropped: workers finish the queue and stop.
    closed: bool,
}

/// What the pool and its workers share. A mutex and a condition variable rather than a
/// channel: a worker waiting for a connection sleeps in the kernel at once, where a channel's
/// receiver spins and yields the CPU a few times first (a system call and often a context
/// switch each, for every connection, on a busy machine).
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled for each queued connection, and for all when the pool closes.
    work: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A pool of connection workers fed through a queue.
pub(super) struct Pool {
    shared: Arc<Shared>,
    handler: Handler,
    min: usize,
    max: usize,
}

impl Pool {
    /// Starts `min` workers (at least one) that will grow to `max`.
    pub(super) fn new(min: usize, max: usize, handler: Handler) -> Pool {
        let min = min.max(1);
        let pool = Pool { shared: Arc::default(), handler, min, max: max.max(min) };
        for _ in 0..min {
            if pool.spawn_worker() {
                let mut state = pool.shared.lock();
                state.workers += 1;
                state.idle += 1;
            }
        }
        pool
    }

    /// Hands `socket` to an idle worker or a new one; gives it back when all `max` are busy.
    pub(super) fn try_submit(&self, socket: Socket) -> Result<(), Socket> {
        let mut state = self.shared.lock();
        if state.idle > 0 {
            state.idle -= 1;
        } else if state.workers < self.max {
            state.workers += 1;
            drop(state);
            if !self.spawn_worker() {
                self.shared.lock().workers -= 1;
                return Err(socket);
            }
            state = self.shared.lock();
        } else {
            return Err(socket);
        }
        state.queue.push_back(socket);
        drop(state);
        self.shared.work.notify_one();
        Ok(())
    }

    /// `(workers, idle workers)` right now.
    #[cfg(test)]
    pub(super) fn counts(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.workers, state.idle)
    }

    fn spawn_worker(&self) -> bool {
        let shared = Arc::clone(&self.shared);
        let handler = Arc::clone(&self.handler);
        let min = self.min;
        thread::Builder::new().name("pyro-worker".into()).spawn(move || worker(&shared, &handler, min)).is_ok()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_all();
    }
}

fn worker(shared: &Shared, handler: &Handler, min: usize) {
    let mut state = shared.lock();
    let mut idle_since = Instant::now();
    loop {
        if let Some(socket) = state.queue.pop_front() {
            drop(state);
            // The connection code does not panic; this keeps the count right if it ever does.
            let _ = catch_unwind(AssertUnwindSafe(|| handler(socket)));
            state = shared.lock();
            state.idle += 1;
            idle_since = Instant::now();
            continue;
        }
        if state.closed {
            state.workers = state.workers.saturating_sub(1);
            state.idle = state.idle.saturating_sub(1);
            return;
        }
        let waited = idle_since.elapsed();
        if waited >= IDLE_WORKER_TIMEOUT {
            if state.workers > min && state.idle > 0 {
                state.workers -= 1;
                state.idle -= 1;
                return;
            }
            idle_since = Instant::now();
            continue;
        }
        state = shared.work.wait_timeout(state, IDLE_WORKER_TIMEOUT - waited).unwrap_or_else(PoisonError::into_inner).0;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::sync::mpsc;

    fn sockets(n: usize) -> Vec<Socket> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        (0..n)
            .map(|_| {
                let _client = TcpStream::connect(addr).unwrap();
                Socket::Tcp(listener.accept().unwrap().0)
            })
            .collect()
    }

    #[test]
    fn grows_to_max_then_refuses_and_recovers() {
        let (release_tx, release_rx) = crossbeam_channel::unbounded::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let started_tx = Mutex::new(started_tx);
        let handler: Handler = Arc::new(move |_socket| {
            started_tx.lock().unwrap().send(()).unwrap();
            release_rx.recv().unwrap();
        });
        let pool = Pool::new(1, 2, handler);
        assert_eq!(pool.counts(), (1, 1));
        let mut socks = sockets(3).into_iter();
        assert!(pool.try_submit(socks.next().unwrap()).is_ok());
        assert!(pool.try_submit(socks.next().unwrap()).is_ok());
        started_rx.recv().unwrap();
        started_rx.recv().unwrap();
        assert_eq!(pool.counts(), (2, 0));
        let third = pool.try_submit(socks.next().unwrap()).unwrap_err();
        release_tx.send(()).unwrap();
        // A worker is idle again once its handler returned.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while pool.counts().1 == 0 && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert!(pool.try_submit(third).is_ok());
        release_tx.send(()).unwrap();
        release_tx.send(()).unwrap();
    }

    #[test]
    fn workers_beyond_the_minimum_stop_when_idle_and_a_dropped_pool_serves_its_queue() {
        let (release_tx, release_rx) = crossbeam_channel::unbounded::<()>();
        let (served_tx, served_rx) = mpsc::channel::<()>();
        let served_tx = Mutex::new(served_tx);
        let handler: Handler = Arc::new(move |_socket| {
            release_rx.recv().unwrap();
            served_tx.lock().unwrap().send(()).unwrap();
        });
        let pool = Pool::new(1, 3, handler);
        for socket in sockets(3) {
            assert!(pool.try_submit(socket).is_ok());
        }
        assert_eq!(pool.counts(), (3, 0));
        for _ in 0..3 {
            release_tx.send(()).unwrap();
            served_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        }
        // The two beyond the minimum stop after IDLE_WORKER_TIMEOUT without work.
        let deadline = std::time::Instant::now() + IDLE_WORKER_TIMEOUT + Duration::from_secs(5);
        while pool.counts() != (1, 1) && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(pool.counts(), (1, 1));
        // A connection queued when the pool goes is still served.
        assert!(pool.try_submit(sockets(1).pop().unwrap()).is_ok());
        drop(pool);
        release_tx.send(()).unwrap();
        served_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    }
}
