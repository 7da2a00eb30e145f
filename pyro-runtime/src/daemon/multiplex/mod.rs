//! The multiplexed server (Pyro5's `multiplex` server type): one thread waits for readiness
//! on every socket with `mio`, reads what is there into each connection's incremental
//! [`MessageDecoder`], drives its [`ServerSession`], and writes replies without blocking.
//! Calls run on a bounded pool of `THREADPOOL_SIZE` workers, so a slow method holds up only
//! its own client; an idle connection costs its socket, its decoder and its session state.
//!
//! Like Pyro5's multiplex server, a connection has at most one request under way: while its
//! call runs, whatever the client sends next waits in the decoder.

mod connection;
mod workers;

use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use self::connection::Connection;
use self::workers::Workers;
use super::Inner;
use crate::Error;
use crate::session::HOUSEKEEPING_INTERVAL;
use crate::transport::{Listener, Socket};

/// The listening socket's token.
const LISTENER: Token = Token(0);
/// The token of the waker the workers use to hand back finished calls.
const WAKER: Token = Token(1);
/// The first token of a client connection.
const FIRST_CLIENT: usize = 2;

/// Runs the multiplexed request loop until the daemon shuts down.
pub(super) fn request_loop(inner: &Arc<Inner>) -> Result<(), Error> {
    let io_error = |what: &str, source: std::io::Error| Error::Communication {
        message: format!("{what} for the multiplexed server on {}", inner.location),
        source: Some(source),
    };
    let mut poll = Poll::new().map_err(|e| io_error("creating the poller", e))?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(|e| io_error("creating the waker", e))?);
    set_listener_nonblocking(&inner.listener, true).map_err(|e| io_error("configuring the listener", e))?;
    let listener_fd = listener_fd(&inner.listener);
    poll.registry()
        .register(&mut SourceFd(&listener_fd), LISTENER, Interest::READABLE)
        .map_err(|e| io_error("registering the listener", e))?;
    let workers = Workers::new(inner.config.threadpool_size.max(1), Arc::clone(&waker));
    let mut connections: HashMap<usize, Connection<'_>> = HashMap::new();
    let mut next_token = FIRST_CLIENT;
    let mut events = Events::with_capacity(1024);
    let mut next_housekeeping = Instant::now() + HOUSEKEEPING_INTERVAL;
    let result = loop {
        if inner.is_shutting_down() {
            break Ok(());
        }
        let timeout = next_housekeeping.saturating_duration_since(Instant::now());
        if let Err(error) = poll.poll(&mut events, Some(timeout.max(Duration::from_millis(1)))) {
            if error.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break Err(io_error("waiting for events", error));
        }
        for event in &events {
            match event.token() {
                LISTENER => accept_all(inner, &poll, &mut connections, &mut next_token),
                WAKER => {}
                Token(key) => {
                    if let Some(conn) = connections.get_mut(&key) {
                        conn.on_ready(event.is_readable() || event.is_read_closed(), event.is_writable(), &workers);
                    }
                }
            }
        }
        for (key, completed) in workers.finished() {
            if let Some(conn) = connections.get_mut(&key) {
                conn.on_completed(completed, &workers);
            }
        }
        connections.retain(|_, conn| {
            if conn.is_closed() {
                let _ = poll.registry().deregister(&mut SourceFd(&conn.fd()));
                return false;
            }
            if let Err(_error) = conn.update_interest(poll.registry()) {
                let _ = poll.registry().deregister(&mut SourceFd(&conn.fd()));
                return false;
            }
            true
        });
        if Instant::now() >= next_housekeeping {
            inner.streams.housekeeping();
            next_housekeeping = Instant::now() + HOUSEKEEPING_INTERVAL;
        }
    };
    // Let calls under way finish and send their replies (a remote `shutdown()` among them).
    let deadline = Instant::now() + super::DRAIN_TIMEOUT;
    while connections.values().any(Connection::is_busy) && Instant::now() < deadline {
        let _ = poll.poll(&mut events, Some(Duration::from_millis(50)));
        for (key, completed) in workers.finished() {
            if let Some(conn) = connections.get_mut(&key) {
                conn.on_completed(completed, &workers);
                conn.flush_blocking();
            }
        }
    }
    for conn in connections.values_mut() {
        let _ = poll.registry().deregister(&mut SourceFd(&conn.fd()));
        conn.flush_blocking();
    }
    drop(connections);
    let _ = poll.registry().deregister(&mut SourceFd(&listener_fd));
    let _ = set_listener_nonblocking(&inner.listener, false);
    inner.streams.clear();
    result
}

/// Accepts every pending connection and registers it.
fn accept_all<'a>(
    inner: &'a Arc<Inner>,
    poll: &Poll,
    connections: &mut HashMap<usize, Connection<'a>>,
    next_token: &mut usize,
) {
    loop {
        let socket = match inner.listener.accept() {
            Ok(socket) => socket,
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(error) if super::is_transient(&error) => {
                if error.raw_os_error().is_some_and(|code| code == 23 || code == 24) {
                    // Out of file descriptors: the listener stays readable; try at the next event.
                    return;
                }
                continue;
            }
            Err(_) => return,
        };
        if inner.is_shutting_down() {
            return;
        }
        inner.configure(&socket);
        let key = *next_token;
        *next_token += 1;
        let Some(mut conn) = Connection::new(inner, socket, key) else { continue };
        if poll.registry().register(&mut SourceFd(&conn.fd()), Token(key), Interest::READABLE).is_err() {
            continue;
        }
        conn.mark_registered();
        connections.insert(key, conn);
    }
}

fn set_listener_nonblocking(listener: &Listener, on: bool) -> std::io::Result<()> {
    match listener {
        Listener::Tcp(tcp) => tcp.set_nonblocking(on),
        Listener::Unix(unix, _) => unix.set_nonblocking(on),
    }
}

fn listener_fd(listener: &Listener) -> RawFd {
    match listener {
        Listener::Tcp(tcp) => tcp.as_raw_fd(),
        Listener::Unix(unix, _) => unix.as_raw_fd(),
    }
}

fn socket_fd(socket: &Socket) -> RawFd {
    match socket {
        Socket::Tcp(tcp) => tcp.as_raw_fd(),
        Socket::Unix(unix) => unix.as_raw_fd(),
    }
}

fn set_socket_nonblocking(socket: &Socket) -> std::io::Result<()> {
    match socket {
        Socket::Tcp(tcp) => tcp.set_nonblocking(true),
        Socket::Unix(unix) => unix.set_nonblocking(true),
    }
}
