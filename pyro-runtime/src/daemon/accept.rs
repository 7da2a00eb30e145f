//! The thread-pool server's accept loop: accepting clients, configuring their sockets, the TLS
//! handshake, and refusing clients when no worker is free.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[cfg(unix)]
use super::multiplex;
use super::pool::Pool;
use super::{DRAIN_TIMEOUT, Daemon, Endpoint, Inner, MAX_REFUSALS, NO_FREE_WORKERS, connection};
use crate::Error;
use crate::transport::Socket;

impl Daemon {
    /// The request loop of the configured server type (or of the connected socket).
    pub(super) fn serve_connections(&self) -> Result<(), Error> {
        let listener = match &self.inner.endpoint {
            Endpoint::Listener(listener) => listener,
            Endpoint::Connected(connected) => return connected.request_loop(&self.inner),
        };
        #[cfg(unix)]
        if self.inner.config.server_type == crate::config::ServerType::Multiplex {
            tracing::info!(target: "pyro::daemon", "starting multiplexed socketserver");
            return multiplex::request_loop(&self.inner);
        }
        tracing::info!(target: "pyro::daemon", "starting thread pool socketserver");
        let serving = Arc::clone(&self.inner);
        let pool = Pool::new(
            self.inner.config.threadpool_size_min,
            self.inner.config.threadpool_size,
            Arc::new(move |socket| connection::serve(&serving, socket)),
        );
        let housekeeper = self.inner.start_housekeeper();
        while !self.inner.is_shutting_down() {
            let socket = match listener.accept() {
                Ok(socket) => socket,
                Err(_) if self.inner.is_shutting_down() => break,
                Err(error) if is_transient(&error) => {
                    // e.g. out of file descriptors, or the client gave up: try again shortly.
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                Err(error) => {
                    return Err(Error::Communication {
                        message: format!("accepting connections on {}", self.inner.location),
                        source: Some(error),
                    });
                }
            };
            if self.inner.is_shutting_down() {
                break;
            }
            self.inner.configure(&socket);
            if let Err(socket) = pool.try_submit(socket) {
                self.inner.refuse(socket);
            }
        }
        // Let calls under way (a `shutdown()` method among them) send their replies before the
        // caller of `request_loop` goes on, perhaps to end the process.
        self.inner.wait_for_calls_to_finish(DRAIN_TIMEOUT);
        if let Some(housekeeper) = housekeeper {
            let _ = housekeeper.join();
        }
        // Pyro5's `shutdown` clears the streams too.
        self.inner.streams.clear();
        Ok(())
    }
}

impl Inner {
    /// Refuses a client for whom no worker is free: answers CONNECTFAIL from a thread of its
    /// own (at most [`MAX_REFUSALS`] at once, else the connection is just closed), so the accept
    /// thread goes straight back to accepting and no client waits on a refused one's bytes.
    fn refuse(self: &Arc<Inner>, socket: Socket) {
        /// Counts a refusal under way; dropped when its thread ends or cannot start.
        struct Slot(Arc<AtomicUsize>);
        impl Drop for Slot {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        tracing::warn!(
            target: "pyro::daemon",
            "client connection was denied: {NO_FREE_WORKERS} ({})",
            crate::logging::Peer(socket.peer_addr())
        );
        if self.refusals.fetch_add(1, Ordering::AcqRel) >= MAX_REFUSALS {
            self.refusals.fetch_sub(1, Ordering::AcqRel);
            let _ = socket.shutdown();
            return;
        }
        let slot = Slot(Arc::clone(&self.refusals));
        let inner = Arc::clone(self);
        // If the thread cannot start, the closure (socket and slot) is dropped: closed, uncounted.
        let _ = std::thread::Builder::new().name("pyro-refuse".into()).spawn(move || {
            let _slot = slot;
            connection::deny(&inner, socket, NO_FREE_WORKERS);
        });
    }

    /// Socket options for an accepted client: COMMTIMEOUT and SOCK_NODELAY.
    pub(super) fn configure(&self, socket: &Socket) {
        tracing::debug!(
            target: "pyro::daemon",
            "connected {} - {}",
            crate::logging::Peer(socket.peer_addr()),
            if self.tls.is_some() { "SSL" } else { "unencrypted" }
        );
        // An accepted socket starts without timeouts and with Nagle's algorithm (the listener
        // has no other settings to pass on): only a setting that differs costs a system call.
        if self.config.comm_timeout.is_some() {
            let _ = socket.set_timeout(self.config.comm_timeout);
        }
        if let Socket::Tcp(tcp) = socket
            && self.config.sock_nodelay
        {
            let _ = tcp.set_nodelay(true);
        }
    }

    /// With TLS, performs the server side of the TLS handshake on an accepted socket; `None`
    /// (the connection is dropped) if it fails: a client that does not speak TLS or presents
    /// no valid certificate.
    pub(super) fn secure(&self, socket: Socket) -> Option<Socket> {
        match (&self.tls, socket) {
            (Some(tls), Socket::Tcp(tcp)) => {
                let peer = tcp.peer_addr().ok();
                match tls.accept(tcp) {
                    Ok(stream) => Some(Socket::Tls(stream)),
                    Err(error) => {
                        // Pyro5: "error during connect/handshake", a warning.
                        tracing::warn!(
                            target: "pyro::daemon",
                            "error during connect/handshake with {}: TLS handshake failed: {error}",
                            crate::logging::Peer(peer)
                        );
                        None
                    }
                }
            }
            (_, socket) => Some(socket),
        }
    }
}

fn is_transient(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted | ErrorKind::WouldBlock
    ) || error.raw_os_error().is_some_and(|code| code == 23 || code == 24) // ENFILE, EMFILE
}
