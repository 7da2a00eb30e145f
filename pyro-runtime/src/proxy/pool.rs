//! A small bounded pool of connections, so that one proxy serves many threads at once.
//!
//! A call leases an idle connection, or reserves a slot and opens a new one while fewer than the
//! maximum are open, or else waits until a connection is given back. A lease that is dropped
//! without [`Lease::give_back`] (an error, a panic) closes its connection and frees the slot.
//! [`Pool::clear`] closes the idle connections and starts a new generation, so connections that
//! are busy at that moment are closed when they come back instead of being reused.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::connection::Connection;

/// The pool. `max` is at least 1.
#[derive(Debug)]
pub(crate) struct Pool {
    state: Mutex<State>,
    available: Condvar,
}

#[derive(Debug)]
struct State {
    idle: Vec<Connection>,
    /// Connections open or being opened (idle, leased and reserved).
    open: usize,
    max: usize,
    generation: u64,
    /// Threads waiting in [`Pool::lease`]; notifying only when there are some saves a futex
    /// system call per call in the common case.
    waiting: usize,
}

impl Pool {
    /// An empty pool allowing up to `max` connections (at least 1).
    pub(crate) fn new(max: usize) -> Pool {
        Pool {
            state: Mutex::new(State { idle: Vec::new(), open: 0, max: max.max(1), generation: 0, waiting: 0 }),
            available: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a thread panicked while holding the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The maximum number of connections.
    pub(crate) fn max(&self) -> usize {
        self.lock().max
    }

    /// Changes the maximum (at least 1); surplus connections close as they come back.
    pub(crate) fn set_max(&self, max: usize) {
        let surplus = {
            let mut state = self.lock();
            state.max = max.max(1);
            let keep = state.max.saturating_sub(state.open - state.idle.len());
            let surplus: Vec<Connection> =
                if state.idle.len() > keep { state.idle.drain(keep..).collect() } else { Vec::new() };
            state.open -= surplus.len();
            surplus
        };
        drop(surplus);
        self.available.notify_all();
    }

    /// An idle connection, or a reservation to open a new one, waiting while the pool is full.
    pub(crate) fn lease(&self) -> Lease<'_> {
        loop {
            // Without a time limit it only returns with a lease.
            if let Some(lease) = self.lease_until(None) {
                return lease;
            }
        }
    }

    /// [`lease`](Pool::lease), waiting no later than `by` (a call's
    /// [deadline](crate::deadline)): `None` if no connection was free by then.
    pub(crate) fn lease_until(&self, by: Option<Instant>) -> Option<Lease<'_>> {
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Some(Lease { pool: self, conn: Some(conn), generation: state.generation, held: true });
            }
            if state.open < state.max {
                state.open += 1;
                return Some(Lease { pool: self, conn: None, generation: state.generation, held: true });
            }
            state.waiting += 1;
            state = match by {
                None => self.available.wait(state).unwrap_or_else(PoisonError::into_inner),
                Some(by) => {
                    let left = by.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        state.waiting -= 1;
                        return None;
                    }
                    self.available.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0
                }
            };
            state.waiting -= 1;
        }
    }

    /// Applies `f` to every idle connection (with exclusive access to the pool, so only idle
    /// connections exist when the proxy is borrowed mutably).
    pub(crate) fn for_each_idle(&self, mut f: impl FnMut(&mut Connection)) {
        for conn in &mut self.lock().idle {
            f(conn);
        }
    }

    /// Closes the idle connections; busy ones close when they are given back.
    pub(crate) fn clear(&self) {
        let idle = {
            let mut state = self.lock();
            state.generation += 1;
            state.open -= state.idle.len();
            std::mem::take(&mut state.idle)
        };
        drop(idle);
        self.available.notify_all();
    }

    /// The number of connections open or being opened, and the number of idle ones.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let state = self.lock();
        (state.open, state.idle.len())
    }

    fn give_back(&self, conn: Connection) {
        let mut state = self.lock();
        let waiting = state.waiting > 0;
        if conn.generation == state.generation && state.open <= state.max {
            state.idle.push(conn);
        } else {
            state.open -= 1;
            drop(state);
            drop(conn);
        }
        if waiting {
            self.available.notify_one();
        }
    }

    fn forget(&self) {
        let mut state = self.lock();
        state.open -= 1;
        if state.waiting > 0 {
            self.available.notify_one();
        }
    }
}

/// A leased connection (or a reserved slot for one). Dropping it without
/// [`give_back`](Lease::give_back) closes the connection and frees the slot.
#[derive(Debug)]
pub(crate) struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
    /// The pool generation when the lease was taken; a new connection belongs to it.
    pub(crate) generation: u64,
    held: bool,
}

impl Lease<'_> {
    /// The leased connection; `None` for a reservation not yet filled.
    pub(crate) fn connection(&mut self) -> Option<&mut Connection> {
        self.conn.as_mut()
    }

    /// Fills a reservation with a newly opened connection.
    pub(crate) fn fill(&mut self, conn: Connection) -> &mut Connection {
        self.conn.insert(conn)
    }

    /// Returns the connection to the pool for reuse (or frees the slot if there is none).
    pub(crate) fn give_back(mut self) {
        self.held = false;
        match self.conn.take() {
            Some(conn) => self.pool.give_back(conn),
            None => self.pool.forget(),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if self.held {
            drop(self.conn.take());
            self.pool.forget();
        }
    }
}
