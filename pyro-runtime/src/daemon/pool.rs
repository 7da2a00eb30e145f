//! The worker pool of the thread server (Pyro5's `svr_threads.Pool`): `min` workers started,
//! growing to `max`; each accepted connection is served by one worker for its whole life.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::transport::Socket;

/// How long a worker beyond the minimum waits for work before it stops.
const IDLE_WORKER_TIMEOUT: Duration = Duration::from_secs(5);

/// What a worker does with a connection.
pub(super) type Handler = Arc<dyn Fn(Socket) + Send + Sync>;

/// Worker counts. Invariant: `workers` = workers serving a connection + `idle` + connections
/// queued for a worker (each queued connection reserved a worker when it was submitted).
#[derive(Debug, Default)]
struct Counts {
    workers: usize,
    idle: usize,
}

/// A pool of connection workers fed through a crossbeam channel.
pub(super) struct Pool {
    sender: Sender<Socket>,
    receiver: Receiver<Socket>,
    counts: Arc<Mutex<Counts>>,
    handler: Handler,
    min: usize,
    max: usize,
}

impl Pool {
    /// Starts `min` workers (at least one) that will grow to `max`.
    pub(super) fn new(min: usize, max: usize, handler: Handler) -> Pool {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let min = min.max(1);
        let pool = Pool { sender, receiver, counts: Arc::default(), handler, min, max: max.max(min) };
        for _ in 0..min {
            if pool.spawn_worker() {
                let mut counts = pool.lock();
                counts.workers += 1;
                counts.idle += 1;
            }
        }
        pool
    }

    /// Hands `socket` to an idle worker or a new one; gives it back when all `max` are busy.
    pub(super) fn try_submit(&self, socket: Socket) -> Result<(), Socket> {
        let mut counts = self.lock();
        if counts.idle > 0 {
            counts.idle -= 1;
        } else if counts.workers < self.max {
            counts.workers += 1;
            drop(counts);
            if !self.spawn_worker() {
                self.lock().workers -= 1;
                return Err(socket);
            }
        } else {
            return Err(socket);
        }
        self.sender.send(socket).map_err(|e| e.into_inner())
    }

    /// `(workers, idle workers)` right now.
    #[cfg(test)]
    pub(super) fn counts(&self) -> (usize, usize) {
        let counts = self.lock();
        (counts.workers, counts.idle)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn spawn_worker(&self) -> bool {
        let receiver = self.receiver.clone();
        let counts = Arc::clone(&self.counts);
        let handler = Arc::clone(&self.handler);
        let min = self.min;
        thread::Builder::new()
            .name("pyro-worker".into())
            .spawn(move || worker(&receiver, &counts, &handler, min))
            .is_ok()
    }
}

fn worker(receiver: &Receiver<Socket>, counts: &Mutex<Counts>, handler: &Handler, min: usize) {
    let lock = || counts.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        match receiver.recv_timeout(IDLE_WORKER_TIMEOUT) {
            Ok(socket) => {
                // The connection code does not panic; this keeps the count right if it ever does.
                let _ = catch_unwind(AssertUnwindSafe(|| handler(socket)));
                lock().idle += 1;
            }
            Err(RecvTimeoutError::Timeout) => {
                let mut counts = lock();
                if counts.workers > min && counts.idle > 0 {
                    counts.workers -= 1;
                    counts.idle -= 1;
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                let mut counts = lock();
                counts.workers = counts.workers.saturating_sub(1);
                counts.idle = counts.idle.saturating_sub(1);
                return;
            }
        }
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
}
