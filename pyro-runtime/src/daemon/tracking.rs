//! The open connections a daemon tracks, so that a shutdown can close the idle ones and wait
//! for the busy ones; the housekeeper thread that waits on the same lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Duration;

use super::Inner;
use crate::session::HOUSEKEEPING_INTERVAL;
use crate::transport::Socket;

/// Open client connections, so that shutdown can close them.
#[derive(Default)]
pub(super) struct Connections {
    closed: bool,
    next_id: u64,
    pub(super) open: HashMap<u64, OpenConnection>,
}

/// One open connection.
pub(super) struct OpenConnection {
    /// A handle to shut the socket down with (the multiplexed server closes its own).
    socket: Option<Socket>,
    /// In the middle of a request. An atomic shared with the connection's
    /// [`ConnectionGuard`], so that marking a request needs no lock: the flag is stored before
    /// `shutting_down` is read, and [`Inner::shutdown`] stores `shutting_down` before it reads
    /// the flags (all `SeqCst`), so either the connection sees the shutdown or the shutdown sees
    /// the connection busy.
    busy: Arc<AtomicBool>,
}

impl OpenConnection {
    fn is_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }
}

impl Inner {
    pub(super) fn lock_connections(&self) -> MutexGuard<'_, Connections> {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn shutdown(&self) {
        {
            let mut connections = self.lock_connections();
            if connections.closed {
                return;
            }
            connections.closed = true;
            tracing::debug!(target: "pyro::daemon", "daemon {} shutting down", self.location);
            self.shutting_down.store(true, Ordering::SeqCst);
            for socket in connections.open.values().filter(|c| !c.is_busy()).filter_map(|c| c.socket.as_ref()) {
                let _ = socket.shutdown();
            }
        }
        // Wake the housekeeper.
        self.connection_closed.notify_all();
        // Wake the accept loop (Pyro5's `interrupt_socket`); a connected daemon's loop looks
        // at the flag between reads.
        if let Some(listener) = self.listener() {
            let _ = listener.connect_to_self();
        }
    }

    /// Waits until no connection is in the middle of a call (they close after replying once
    /// the daemon is shutting down), or `timeout` passed.
    pub(crate) fn wait_for_calls_to_finish(&self, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        let mut connections = self.lock_connections();
        while connections.open.values().any(OpenConnection::is_busy) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            connections =
                self.connection_closed.wait_timeout(connections, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Starts the thread expiring item streams every [`HOUSEKEEPING_INTERVAL`] until shutdown
    /// (Pyro5's `Housekeeper`); `None` if no thread could be started (streams then expire on
    /// access only).
    pub(crate) fn start_housekeeper(self: &Arc<Self>) -> Option<std::thread::JoinHandle<()>> {
        let inner = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("pyro-housekeeper".into())
            .spawn(move || {
                loop {
                    let Some(inner) = inner.upgrade() else { return };
                    let deadline = std::time::Instant::now() + HOUSEKEEPING_INTERVAL;
                    let mut connections = inner.lock_connections();
                    loop {
                        if connections.closed {
                            return;
                        }
                        let left = deadline.saturating_duration_since(std::time::Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        connections = inner
                            .connection_closed
                            .wait_timeout(connections, left)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                    }
                    drop(connections);
                    inner.streams.housekeeping();
                }
            })
            .ok()
    }

    /// Tracks a new connection for shutdown; `None` if the daemon is shutting down.
    pub(super) fn track_connection(&self, socket: &Socket) -> Option<ConnectionGuard<'_>> {
        let handle = socket.try_clone().ok()?;
        self.guard_connection(Some(handle))
    }

    /// Records a new connection (with a handle to shut it down with, if given) and returns
    /// its guard; `None` if the daemon is shutting down.
    pub(super) fn guard_connection(&self, socket: Option<Socket>) -> Option<ConnectionGuard<'_>> {
        let busy = Arc::new(AtomicBool::new(false));
        let id = self.record_connection(socket, Arc::clone(&busy))?;
        Some(ConnectionGuard { inner: self, id, busy })
    }

    /// Records a new connection (with a handle to shut it down with, if given); its id, or
    /// `None` if the daemon is shutting down.
    pub(super) fn open_connection(&self, socket: Option<Socket>) -> Option<u64> {
        self.record_connection(socket, Arc::new(AtomicBool::new(false)))
    }

    pub(crate) fn record_connection(&self, socket: Option<Socket>, busy: Arc<AtomicBool>) -> Option<u64> {
        let mut connections = self.lock_connections();
        if connections.closed {
            return None;
        }
        let id = connections.next_id;
        connections.next_id += 1;
        connections.open.insert(id, OpenConnection { socket, busy });
        Some(id)
    }

    /// Marks a connection's `flag` busy with a request or done with it, without a lock (see
    /// [`OpenConnection::busy`]); `false` if the daemon is shutting down.
    pub(crate) fn mark_busy(&self, flag: &AtomicBool, busy: bool) -> bool {
        flag.store(busy, Ordering::SeqCst);
        !self.shutting_down.load(Ordering::SeqCst)
    }

    /// Marks connection `id` busy with a request or done with it; `false` if the daemon is
    /// shutting down.
    pub(super) fn set_connection_busy(&self, id: u64, busy: bool) -> bool {
        let connections = self.lock_connections();
        if connections.closed {
            return false;
        }
        if let Some(open) = connections.open.get(&id) {
            open.busy.store(busy, Ordering::SeqCst);
        }
        true
    }

    /// Forgets connection `id` (its shutdown handle is closed: the connection's own socket is
    /// closed by then, or about to be) and unregisters the objects it received as proxies.
    pub(crate) fn close_connection(&self, id: u64) {
        let mut connections = self.lock_connections();
        let open = connections.open.remove(&id);
        // Only a shutdown waits for connections to close (the housekeeper waits on the same
        // condition variable for the shutdown itself: it is not woken for every client).
        let shutting_down = connections.closed;
        drop(connections);
        drop(open);
        // The objects this connection received as proxies go with it.
        self.autoproxied.release(id, &self.registry);
        if shutting_down {
            self.connection_closed.notify_all();
        }
    }
}

/// A tracked connection; dropping it forgets the connection.
pub(crate) struct ConnectionGuard<'a> {
    inner: &'a Inner,
    pub(super) id: u64,
    /// The connection's [`OpenConnection::busy`] flag.
    busy: Arc<AtomicBool>,
}

impl ConnectionGuard<'_> {
    /// Marks the connection busy with a request; `false` if the daemon is shutting down.
    pub(super) fn begin_request(&self) -> bool {
        self.set_busy(true)
    }

    /// Marks the request done; `false` if the daemon is shutting down (close now).
    pub(super) fn end_request(&self) -> bool {
        self.set_busy(false)
    }

    fn set_busy(&self, busy: bool) -> bool {
        self.inner.mark_busy(&self.busy, busy)
    }
}

impl Drop for ConnectionGuard<'_> {
    fn drop(&mut self) {
        self.inner.close_connection(self.id);
    }
}
