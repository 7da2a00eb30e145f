//! The async proxy's bounded pool of connections, with the blocking pool's rules: a call leases
//! an idle connection, or opens a new one while fewer than the maximum are open, or else waits
//! (here on a semaphore, which is cancellation safe: a waiter that is dropped loses its place
//! and nothing else). A lease dropped without [`Lease::give_back`] closes its connection: that
//! is how a call whose future was dropped mid-exchange never leaves a connection with a
//! half-read reply in the pool. [`Pool::clear`] starts a new generation, so connections busy at
//! that moment close when they come back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::connection::Connection;

/// The pool, shared (a stream being dropped closes its remote iterator from a task of its own).
#[derive(Debug)]
pub(crate) struct Pool {
    state: Mutex<State>,
    /// One permit per connection that may be open.
    permits: Arc<Semaphore>,
    /// Connections open (idle or leased).
    open: AtomicUsize,
}

#[derive(Debug)]
struct State {
    /// (Boxed: a connection is large, and is moved in and out of the pool at every call.)
    #[allow(clippy::vec_box)]
    idle: Vec<Box<Connection>>,
    max: usize,
    generation: u64,
    /// Permits to take out of circulation as they come back (the maximum was lowered while
    /// they were leased).
    owed: usize,
}

impl Pool {
    /// An empty pool allowing up to `max` connections (at least 1).
    pub(crate) fn new(max: usize) -> Pool {
        let max = max.max(1);
        Pool {
            state: Mutex::new(State { idle: Vec::new(), max, generation: 0, owed: 0 }),
            permits: Arc::new(Semaphore::new(max)),
            open: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The maximum number of connections.
    pub(crate) fn max(&self) -> usize {
        self.lock().max
    }

    /// Changes the maximum (at least 1); surplus connections close as they come back.
    pub(crate) fn set_max(&self, max: usize) {
        let max = max.max(1);
        let mut state = self.lock();
        if max > state.max {
            let mut more = max - state.max;
            let repaid = more.min(state.owed);
            state.owed -= repaid;
            more -= repaid;
            self.permits.add_permits(more);
        } else {
            let fewer = state.max - max;
            // Permits not leased go now; leased ones as their leases end.
            let taken = self.permits.forget_permits(fewer);
            state.owed += fewer - taken;
            // Idle connections beyond the new maximum close now.
            while state.idle.len() > max {
                if state.idle.pop().is_some() {
                    self.open.fetch_sub(1, Ordering::Relaxed);
                }
            }
        }
        state.max = max;
    }

    /// An idle connection, or a reservation to open a new one, waiting while the pool is full.
    pub(crate) async fn lease(self: &Arc<Pool>) -> Lease {
        // A permit free now is taken without the waiting machinery; the semaphore is never
        // closed.
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => Arc::clone(&self.permits).acquire_owned().await.ok(),
        };
        let (conn, generation) = {
            let mut state = self.lock();
            (state.idle.pop(), state.generation)
        };
        Lease { pool: Arc::clone(self), conn, generation, permit, held: true }
    }

    /// An idle connection now, if there is one.
    pub(crate) fn try_lease_idle(self: &Arc<Pool>) -> Option<Lease> {
        let permit = Arc::clone(&self.permits).try_acquire_owned().ok()?;
        let mut state = self.lock();
        let conn = state.idle.pop()?;
        let generation = state.generation;
        Some(Lease { pool: Arc::clone(self), conn: Some(conn), generation, permit: Some(permit), held: true })
    }

    /// Closes the idle connections; busy ones close when they are given back.
    pub(crate) fn clear(&self) {
        let idle = {
            let mut state = self.lock();
            state.generation += 1;
            std::mem::take(&mut state.idle)
        };
        self.open.fetch_sub(idle.len(), Ordering::Relaxed);
        drop(idle);
    }

    /// The number of connections open (busy or idle).
    pub(crate) fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    fn give_back(&self, conn: Box<Connection>, permit: Option<OwnedSemaphorePermit>) {
        let mut state = self.lock();
        let owed = state.owed > 0;
        if owed {
            state.owed -= 1;
            if let Some(permit) = permit {
                permit.forget();
            }
        }
        if conn.generation == state.generation && !owed {
            state.idle.push(conn);
        } else {
            drop(state);
            self.open.fetch_sub(1, Ordering::Relaxed);
            drop(conn);
        }
    }

    fn forget(&self, had_connection: bool, permit: Option<OwnedSemaphorePermit>) {
        if had_connection {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        let mut state = self.lock();
        if state.owed > 0 {
            state.owed -= 1;
            if let Some(permit) = permit {
                permit.forget();
            }
        }
    }
}

/// A leased connection (or a reserved slot for one). Dropping it without
/// [`give_back`](Lease::give_back) (an error, a dropped future) closes the connection and frees
/// the slot.
#[derive(Debug)]
pub(crate) struct Lease {
    pool: Arc<Pool>,
    conn: Option<Box<Connection>>,
    /// The pool generation when the lease was taken; a new connection belongs to it.
    pub(crate) generation: u64,
    permit: Option<OwnedSemaphorePermit>,
    /// Whether the lease still holds its slot (not given back yet).
    held: bool,
}

impl Lease {
    /// The leased connection; `None` for a reservation not yet filled.
    pub(crate) fn connection(&mut self) -> Option<&mut Connection> {
        self.conn.as_deref_mut()
    }

    /// Fills a reservation with a newly opened connection.
    pub(crate) fn fill(&mut self, conn: Connection) -> &mut Connection {
        if self.conn.is_none() {
            self.pool.open.fetch_add(1, Ordering::Relaxed);
        }
        self.conn.insert(Box::new(conn))
    }

    /// Returns the connection to the pool for reuse (or frees the slot if there is none).
    pub(crate) fn give_back(mut self) {
        self.held = false;
        let permit = self.permit.take();
        match self.conn.take() {
            Some(conn) => self.pool.give_back(conn, permit),
            None => self.pool.forget(false, permit),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.held {
            let had = self.conn.take().is_some();
            self.pool.forget(had, self.permit.take());
        }
    }
}
