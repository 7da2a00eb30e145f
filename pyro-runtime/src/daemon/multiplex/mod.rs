//! The multiplexed server (Pyro5's `multiplex` server type) and event-loop integration.
//!
//! One thread waits for readiness on every socket with `mio`, reads what is there into each
//! connection's incremental [`MessageDecoder`](crate::protocol::MessageDecoder), drives its
//! [`ServerSession`](crate::session::ServerSession), and writes replies without blocking.
//! Calls run on a bounded pool of `THREADPOOL_SIZE` workers, so a slow method holds up only
//! its own client; oneway calls run on the daemon's oneway pool as in the thread server. An
//! idle connection costs its socket, its decoder and its session state, no thread.
//!
//! Like Pyro5's multiplex server, a connection has at most one request under way: while its
//! call runs, whatever the client sends next waits in the kernel's socket buffer.
//!
//! With `SSL`, each TCP connection is a rustls session driven by readiness (the handshake
//! advances as the client's bytes arrive, never waiting for them; its cryptography runs on the
//! loop's thread), and the handshake hooks see the client's certificate chain as with the
//! thread server. Decompressed messages of all the
//! daemon's connections draw on its one budget of bytes in flight
//! ([`DaemonBuilder::max_in_flight`](crate::daemon::DaemonBuilder::max_in_flight)), held until
//! the message was handled. `COMMTIMEOUT` closes a connection that sent nothing (and took none
//! of its replies) for that long, or whose request or TLS handshake took longer from its first
//! byte; the connections are looked at a few times per timeout, so none waits on another.
//!
//! [`EventLoop`] is the loop itself, for programs with their own event loop (Pyro5's
//! `daemon.sockets` and `daemon.events(ready)`) and for serving several daemons from one
//! thread (Pyro5's `combine`).

mod connection;
mod io;
mod workers;

use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use self::connection::Connection;
use self::workers::Workers;
use super::{Daemon, Inner};
use crate::Error;
use crate::session::HOUSEKEEPING_INTERVAL;
use crate::transport::Listener;

/// The token of the waker the workers use to hand back finished calls.
const WAKER: Token = Token(0);
/// The most daemons one loop serves; daemon `i` listens under token `1 + i`.
const MAX_DAEMONS: usize = 1024;
/// The first token of a client connection.
const FIRST_CLIENT: usize = MAX_DAEMONS + 1;

/// A multiplexed server loop serving one or more daemons from the thread that calls it.
///
/// [`Daemon::request_loop`] runs one when the daemon's `SERVERTYPE` is `multiplex`. Made by
/// hand ([`Daemon::event_loop`]), it serves its daemons whatever their `SERVERTYPE`, and fits
/// into another event loop: watch [`fd`](EventLoop::fd) (readable whenever a socket of the
/// loop is ready) and call [`events`](EventLoop::events) with a zero timeout when it is, as
/// Pyro5's `daemon.sockets` and `daemon.events(ready)`. [`combine`](EventLoop::combine) adds
/// another daemon (Pyro5's `daemon.combine(other)`), e.g. a name server next to an
/// application daemon.
///
/// ```
/// use pyro::daemon::Daemon;
/// use pyro::proxy::Proxy;
/// use std::time::Duration;
///
/// let app = Daemon::bind("127.0.0.1", 0).unwrap();
/// let other = Daemon::bind("127.0.0.1", 0).unwrap();
/// let (app_uri, other_uri) = (app.uri_for("Pyro.Daemon").unwrap(), other.uri_for("Pyro.Daemon").unwrap());
/// let stop = app.shutdown_handle();
/// let server = std::thread::spawn(move || {
///     let mut event_loop = app.event_loop().unwrap();
///     event_loop.combine(&other).unwrap();
///     // Here the loop runs alone; in a program with its own loop, watch `event_loop.fd()`
///     // and call `event_loop.events(Some(Duration::ZERO))` when it is readable.
///     while !event_loop.is_shut_down() {
///         event_loop.events(Some(Duration::from_millis(100))).unwrap();
///     }
/// });
/// Proxy::new(app_uri).call::<_, ()>("ping", &()).unwrap();
/// Proxy::new(other_uri).call::<_, ()>("ping", &()).unwrap();
/// stop.shutdown();
/// server.join().unwrap();
/// ```
pub struct EventLoop {
    poll: Poll,
    /// The workers' waker (also woken by the loop for inline calls left to hand over).
    waker: Arc<Waker>,
    workers: Workers,
    /// The daemons served; `None` once one shut down and left the loop.
    daemons: Vec<Option<Arc<Inner>>>,
    /// Boxed: the table of 10,000 connections then holds pointers, not a few hundred bytes
    /// per slot (a table has up to twice as many slots as entries).
    connections: HashMap<usize, Box<Connection>>,
    /// The connections handled since the last look at their interests (only those can have
    /// closed or changed what they wait for, so an event costs nothing per idle connection).
    touched: Vec<usize>,
    next_token: usize,
    events: Events,
    next_housekeeping: Instant,
    /// When idle connections are next looked for (only with a COMMTIMEOUT).
    next_idle_check: Option<Instant>,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("daemons", &self.daemons.iter().flatten().map(|d| d.location.to_string()).collect::<Vec<_>>())
            .field("connections", &self.connections.len())
            .finish()
    }
}

impl Daemon {
    /// A multiplexed [`EventLoop`] serving this daemon (and others [combined](EventLoop::combine)
    /// with it), with `THREADPOOL_SIZE` call workers. While it exists, the daemon's listener is
    /// non-blocking: drop the loop before running [`request_loop`](Daemon::request_loop).
    ///
    /// See [`EventLoop`] for an example.
    pub fn event_loop(&self) -> Result<EventLoop, Error> {
        EventLoop::new(&self.inner, self.inner.config.threadpool_size.max(1))
    }

    /// [`event_loop`](Daemon::event_loop) with `workers` call threads instead of
    /// `THREADPOOL_SIZE`. With 0, calls run one at a time on the thread running the loop, as
    /// in Pyro5's multiplex server: a slow method then holds up every client of the loop
    /// (oneway calls still run on the daemon's oneway threads, as Pyro5 runs them on threads
    /// of their own). For many clients making short calls it is the cheapest server: no
    /// hand-off between threads, one read and one write per call, one wait for readiness
    /// shared by every client ready at once (the benchmark's "pyro mux inline" row, `cargo run
    /// --release --example bench -- --only servers`).
    ///
    /// ```
    /// use pyro::daemon::Daemon;
    /// use pyro::proxy::Proxy;
    ///
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let uri = daemon.uri_for("Pyro.Daemon").unwrap();
    /// let stop = daemon.shutdown_handle();
    /// let server = std::thread::spawn(move || daemon.event_loop_with_workers(0).unwrap().run());
    /// Proxy::new(uri).call::<_, ()>("ping", &()).unwrap(); // answered on the `server` thread
    /// stop.shutdown();
    /// server.join().unwrap().unwrap();
    /// ```
    pub fn event_loop_with_workers(&self, workers: usize) -> Result<EventLoop, Error> {
        EventLoop::new(&self.inner, workers)
    }
}

impl EventLoop {
    fn new(inner: &Arc<Inner>, workers: usize) -> Result<EventLoop, Error> {
        let poll = Poll::new().map_err(|e| io_error(inner, "creating the poller", e))?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(|e| io_error(inner, "creating the waker", e))?);
        let workers = Workers::new(workers, Arc::clone(&waker));
        let mut event_loop = EventLoop {
            poll,
            waker,
            workers,
            daemons: Vec::new(),
            connections: HashMap::new(),
            touched: Vec::new(),
            next_token: FIRST_CLIENT,
            events: Events::with_capacity(1024),
            next_housekeeping: Instant::now() + HOUSEKEEPING_INTERVAL,
            next_idle_check: None,
        };
        event_loop.add(inner)?;
        Ok(event_loop)
    }

    /// Serves `daemon` from this loop too (Pyro5's `combine`): its connections are accepted
    /// and served here, its calls run on this loop's workers. It leaves the loop when it is
    /// shut down. At most 1024 daemons.
    ///
    /// See [`EventLoop`] for an example.
    pub fn combine(&mut self, daemon: &Daemon) -> Result<(), Error> {
        if self.daemons.iter().flatten().any(|d| Arc::ptr_eq(d, &daemon.inner)) {
            return Err(Error::Daemon { message: "that daemon is already served by this loop".into() });
        }
        self.add(&daemon.inner)
    }

    fn add(&mut self, inner: &Arc<Inner>) -> Result<(), Error> {
        if self.daemons.len() >= MAX_DAEMONS {
            return Err(Error::Daemon { message: format!("an event loop serves at most {MAX_DAEMONS} daemons") });
        }
        let Some(listener) = inner.listener() else {
            return Err(Error::Daemon {
                message: "cannot combine servers when using user-supplied connected socket".into(),
            });
        };
        set_listener_nonblocking(listener, true).map_err(|e| io_error(inner, "configuring the listener", e))?;
        let token = Token(1 + self.daemons.len());
        self.poll
            .registry()
            .register(&mut SourceFd(&listener_fd(listener)), token, Interest::READABLE)
            .map_err(|e| io_error(inner, "registering the listener", e))?;
        self.daemons.push(Some(Arc::clone(inner)));
        self.next_idle_check = self.idle_check_interval().map(|interval| Instant::now() + interval);
        Ok(())
    }

    /// How often idle connections are looked for: a quarter of the shortest COMMTIMEOUT
    /// (10 ms to 1 s); `None` without a COMMTIMEOUT.
    fn idle_check_interval(&self) -> Option<Duration> {
        let shortest = self.daemons.iter().flatten().filter_map(|d| d.config.comm_timeout).min()?;
        Some((shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1)))
    }

    /// The descriptor to watch in another event loop: readable whenever a socket of this
    /// loop is ready (it is the loop's epoll or kqueue descriptor).
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// let event_loop = daemon.event_loop().unwrap();
    /// assert!(event_loop.fd() >= 0);
    /// ```
    pub fn fd(&self) -> RawFd {
        self.poll.as_raw_fd()
    }

    /// The client connections open now.
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert_eq!(daemon.event_loop().unwrap().connections(), 0);
    /// ```
    pub fn connections(&self) -> usize {
        self.connections.len()
    }

    /// `true` once the first daemon of the loop (the one it was made from) is shut down.
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// let event_loop = daemon.event_loop().unwrap();
    /// daemon.shutdown();
    /// assert!(event_loop.is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        self.daemons.first().and_then(Option::as_ref).is_none_or(|d| d.is_shutting_down())
    }

    /// Waits up to `timeout` (`None`: until something happens; `Some(Duration::ZERO)`: not
    /// at all) for ready sockets and handles them all (Pyro5's `daemon.events`): accepts new
    /// clients, reads requests, starts calls, writes replies, expires item streams when due.
    /// A daemon that was shut down leaves the loop, its connections closed once their calls
    /// answered.
    ///
    /// See [`EventLoop`] for an example.
    pub fn events(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        let next_timer = self.next_idle_check.map_or(self.next_housekeeping, |t| t.min(self.next_housekeeping));
        let until_housekeeping = next_timer.saturating_duration_since(Instant::now());
        let timeout = Some(timeout.map_or(until_housekeeping, |t| t.min(until_housekeeping)));
        if let Err(error) = self.poll.poll(&mut self.events, timeout)
            && error.kind() != std::io::ErrorKind::Interrupted
        {
            return Err(Error::Communication {
                message: "waiting for events in the multiplexed server".into(),
                source: Some(error),
            });
        }
        let ready: Vec<(Token, bool, bool, bool)> = self
            .events
            .iter()
            .map(|e| {
                let closed = e.is_read_closed() || e.is_error();
                (e.token(), e.is_readable() || closed, e.is_writable(), closed)
            })
            .collect();
        for (token, readable, writable, closed) in ready {
            match token {
                WAKER => {}
                Token(n) if n < FIRST_CLIENT => self.accept_all(n - 1),
                Token(key) => {
                    if let Some(conn) = self.connections.get_mut(&key) {
                        conn.on_ready(readable, writable, closed, &self.workers);
                        self.touched.push(key);
                    }
                }
            }
            // Calls run on this thread answer as soon as they end, as in Pyro5's multiplex
            // server, not after the other ready sockets' calls.
            if self.workers.is_inline() {
                self.deliver_finished();
            }
        }
        self.after_events();
        // Calls run on this thread that are not answered yet (a pipelining client's next
        // request, started as the previous answer went out): the next wait must end at once,
        // also that of a loop of the user's watching `fd`. Only then: a wake-up per call would
        // cost a system call and a wait more.
        if self.workers.has_finished() {
            let _ = self.waker.wake();
        }
        Ok(())
    }

    /// Runs the loop until the first daemon is shut down, then waits (up to 10 seconds) for
    /// the calls under way to answer and closes every connection.
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// let mut event_loop = daemon.event_loop().unwrap();
    /// daemon.shutdown();
    /// event_loop.run().unwrap(); // returns at once
    /// ```
    pub fn run(&mut self) -> Result<(), Error> {
        while !self.is_shut_down() {
            self.events(None)?;
        }
        self.finish();
        Ok(())
    }

    /// Finished calls, shut down daemons, closed connections, interests, housekeeping.
    fn after_events(&mut self) {
        self.deliver_finished();
        for index in 0..self.daemons.len() {
            let Some(inner) = self.daemons[index].clone() else { continue };
            if !inner.is_shutting_down() {
                continue;
            }
            if let Some(listener) = inner.listener() {
                let _ = self.poll.registry().deregister(&mut SourceFd(&listener_fd(listener)));
                let _ = set_listener_nonblocking(listener, false);
            }
            for (key, conn) in self.connections.iter_mut().filter(|(_, c)| c.daemon == index) {
                conn.shut(&self.workers);
                self.touched.push(*key);
            }
            // Pyro5's `shutdown` clears the streams too.
            inner.streams.clear();
            self.daemons[index] = None;
        }
        let registry = self.poll.registry();
        let mut touched = std::mem::take(&mut self.touched);
        for key in touched.drain(..) {
            let Some(conn) = self.connections.get_mut(&key) else { continue };
            if conn.is_closed() || conn.update_interest(registry).is_err() {
                let _ = registry.deregister(&mut SourceFd(&conn.fd()));
                self.connections.remove(&key);
            }
        }
        self.touched = touched;
        let now = Instant::now();
        if self.next_idle_check.is_some_and(|t| now >= t) {
            for conn in self.connections.values_mut().filter(|c| c.timed_out(now)) {
                conn.expire();
            }
            self.connections.retain(|_, conn| {
                if conn.is_closed() {
                    let _ = registry.deregister(&mut SourceFd(&conn.fd()));
                }
                !conn.is_closed()
            });
            self.next_idle_check = self.idle_check_interval().map(|interval| now + interval);
        }
        if Instant::now() >= self.next_housekeeping {
            for inner in self.daemons.iter().flatten() {
                inner.streams.housekeeping();
            }
            self.next_housekeeping = Instant::now() + HOUSEKEEPING_INTERVAL;
        }
    }

    /// Hands the calls finished so far to their connections. A connection may start its next
    /// call then; without worker threads that one finishes at once and waits for the next
    /// delivery (the waker, woken at the end of [`events`](EventLoop::events), ends the next
    /// wait at once), so that a client sending request after request takes turns with the
    /// others.
    fn deliver_finished(&mut self) {
        for (key, completed) in self.workers.finished() {
            if let Some(conn) = self.connections.get_mut(&key) {
                conn.on_completed(completed, &self.workers);
                self.touched.push(key);
            }
        }
    }

    /// Lets calls under way answer (up to the drain timeout), then closes everything.
    fn finish(&mut self) {
        let deadline = Instant::now() + super::DRAIN_TIMEOUT;
        while self.connections.values().any(|conn| conn.is_busy()) && Instant::now() < deadline {
            let wait = if self.workers.has_finished() { Duration::ZERO } else { Duration::from_millis(50) };
            let _ = self.poll.poll(&mut self.events, Some(wait));
            self.after_events();
        }
        for conn in self.connections.values_mut() {
            let _ = self.poll.registry().deregister(&mut SourceFd(&conn.fd()));
            conn.flush_blocking();
        }
        self.connections.clear();
        for inner in self.daemons.iter_mut().filter_map(Option::take) {
            if let Some(listener) = inner.listener() {
                let _ = self.poll.registry().deregister(&mut SourceFd(&listener_fd(listener)));
                let _ = set_listener_nonblocking(listener, false);
            }
            // Pyro5's `shutdown` clears the streams too.
            inner.streams.clear();
        }
    }

    /// Accepts every pending connection of daemon `index` and registers it.
    fn accept_all(&mut self, index: usize) {
        let Some(inner) = self.daemons.get(index).cloned().flatten() else { return };
        loop {
            let Some(listener) = inner.listener() else { return };
            let socket = match listener.accept() {
                Ok(socket) => socket,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                // Nothing more to accept, or out of descriptors (the listener stays ready;
                // the next events try again), or the client gave up.
                Err(_) => return,
            };
            if inner.is_shutting_down() {
                return;
            }
            inner.configure(&socket);
            let key = self.next_token;
            self.next_token += 1;
            let Some(mut conn) = Connection::new(&inner, index, socket, key).map(Box::new) else { continue };
            if self.poll.registry().register(&mut SourceFd(&conn.fd()), Token(key), Interest::READABLE).is_err() {
                continue;
            }
            conn.mark_registered();
            conn.on_ready(true, false, false, &self.workers);
            self.connections.insert(key, conn);
            self.touched.push(key);
            if self.workers.is_inline() {
                self.deliver_finished();
            }
        }
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.connections.clear();
        for inner in self.daemons.iter().flatten() {
            if let Some(listener) = inner.listener() {
                let _ = set_listener_nonblocking(listener, false);
            }
        }
    }
}

/// Runs the multiplexed request loop until the daemon shuts down.
pub(super) fn request_loop(inner: &Arc<Inner>) -> Result<(), Error> {
    EventLoop::new(inner, inner.config.threadpool_size.max(1))?.run()
}

fn io_error(inner: &Inner, what: &str, source: std::io::Error) -> Error {
    Error::Communication {
        message: format!("{what} for the multiplexed server on {}", inner.location),
        source: Some(source),
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
