//! [`ShutdownHandle`]: stops a daemon's request loop from any thread, including from inside a
//! remote method.

use std::fmt;
use std::sync::Weak;

use super::Inner;

/// Stops a [`Daemon`](super::Daemon): its [`request_loop`](super::Daemon::request_loop) returns,
/// new connections are refused and idle connections are closed; a connection in the middle of
/// a call gets its reply first and is closed after it (so a remote method may shut its own
/// daemon down and still answer). `Clone + Send + Sync`; it does not keep the daemon alive.
///
/// ```
/// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
/// let handle = daemon.shutdown_handle();
/// let stopper = std::thread::spawn(move || handle.shutdown());
/// daemon.request_loop().unwrap(); // returns once the other thread called shutdown()
/// stopper.join().unwrap();
/// assert!(daemon.shutdown_handle().is_shutdown());
/// ```
#[derive(Clone)]
pub struct ShutdownHandle {
    pub(super) inner: Weak<Inner>,
}

impl ShutdownHandle {
    /// Asks the daemon to stop; returns at once. Calling it again does nothing.
    ///
    /// See [`ShutdownHandle`] for an example.
    pub fn shutdown(&self) {
        if let Some(inner) = self.inner.upgrade() {
            inner.shutdown();
        }
    }

    /// Whether the daemon was shut down (or no longer exists).
    ///
    /// See [`ShutdownHandle`] for an example.
    pub fn is_shutdown(&self) -> bool {
        self.inner.upgrade().is_none_or(|inner| inner.is_shutting_down())
    }
}

impl fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownHandle").field("is_shutdown", &self.is_shutdown()).finish()
    }
}
