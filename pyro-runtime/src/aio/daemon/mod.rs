//! [`Daemon`] (`pyro::aio::Daemon`): the daemon served on tokio, each connection a task.
//!
//! It is one more driver of the same sans-IO [`ServerSession`](crate::session::ServerSession)
//! as the blocking servers, over the same daemon: a blocking
//! [`Daemon`](crate::daemon::Daemon), built as usual (with [`DaemonBuilder`](crate::daemon::DaemonBuilder):
//! registry, configuration, hooks, TLS certificates, Unix sockets, `COMMTIMEOUT`, decode
//! limits, the budget of bytes in flight, item streams), is turned into an async one with
//! [`Daemon::new`]. Registration, URIs and the rest of the daemon's API are reached through
//! `Deref` (`daemon.register(...)`), from any thread, also while it serves.
//!
//! How it serves:
//!
//! - every connection is a task: a slow, silent or trickling client delays no other one, and
//!   `COMMTIMEOUT` bounds the wait for a request and each whole request (and the TLS handshake);
//! - a connection's requests are answered in order, one at a time (as Pyro5 does); replies to
//!   pipelined requests go out together;
//! - `async fn` methods are awaited on the runtime; plain methods (and batches, and the items of
//!   item streams, which are user iterators) run on tokio's blocking threads, at most
//!   `THREADPOOL_SIZE` at once, never on the runtime's workers;
//! - oneway calls run beside the connection, which reads its next request at once (up to 1,024
//!   of them under way; past that a connection runs its oneway call before reading on, so a
//!   client flooding oneway calls slows down only itself);
//! - [`shutdown`](Daemon::shutdown) (or a [`ShutdownHandle`],
//!   also from inside a method) makes [`serve`](Daemon::serve) return: idle connections close
//!   at once, a call under way answers first (waited for up to 10 seconds).
//!
//! A daemon is served either by the blocking `request_loop` or by `serve().await`, not both.
//!
//! # Blocking or async serving
//!
//! The same `#[pyro::expose]` types serve from both kinds of daemon, `fn` and `async fn`
//! methods alike:
//!
//! - the blocking daemons ([`Daemon`](crate::daemon::Daemon), thread pool or multiplexed, and
//!   the [`EventLoop`](crate::daemon::EventLoop)) run a plain method on a worker thread and an
//!   `async fn` method to completion on a small runtime shared by the process, while the worker
//!   waits (see [`PendingReply`](crate::dispatch::PendingReply));
//! - this daemon runs each connection as a task on the caller's tokio runtime: `async fn`
//!   methods are awaited there, plain methods run on tokio's blocking threads (at most
//!   `THREADPOOL_SIZE` at once), so neither blocks the runtime.
//!
//! Choose the async daemon when the methods are mostly `async` (they wait on other services
//! without holding a thread) or when there are many connections; the blocking daemon needs no
//! runtime at all.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), pyro::Error> {
//! use pyro::aio;
//!
//! struct Greeter;
//! #[pyro::expose]
//! impl Greeter {
//!     pub async fn hello(&self, name: String) -> String {
//!         tokio::task::yield_now().await;
//!         format!("hello, {name}")
//!     }
//!     pub fn shout(&self, name: String) -> String {
//!         name.to_uppercase()
//!     }
//! }
//!
//! let daemon = aio::Daemon::new(pyro::Daemon::builder().host("127.0.0.1").port(0).bind()?);
//! let uri = daemon.register(Greeter, Some("greeter"))?;
//! let shutdown = daemon.shutdown_handle();
//! let server = tokio::spawn(async move { daemon.serve().await });
//!
//! // A blocking client, on a thread of its own.
//! let answer = tokio::task::spawn_blocking(move || {
//!     let proxy = pyro::proxy::Proxy::new(uri);
//!     proxy.call::<_, String>("hello", &("rust",))
//! })
//! .await
//! .expect("the client thread")?;
//! assert_eq!(answer, "hello, rust");
//!
//! shutdown.shutdown();
//! server.await.expect("the server task")?;
//! # Ok(())
//! # }
//! ```

mod accept;
mod connected;
mod connection;
mod io;

use std::ops::Deref;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::daemon::{Endpoint, Inner, ShutdownHandle};

use crate::session::DaemonInfo;
use crate::{Error, Uri};

/// The most oneway calls running (or waiting for a blocking thread) beside their connections;
/// past it a connection runs its oneway call itself before reading its next request.
const MAX_ONEWAY: usize = 1024;

/// The async daemon: a [`Daemon`](crate::daemon::Daemon) served on tokio (see the
/// [module documentation](self)).
pub struct Daemon {
    daemon: crate::daemon::Daemon,
    max_connections: Option<usize>,
}

/// What every connection task of one [`Daemon::serve`] shares.
pub(super) struct Shared {
    pub(super) inner: Arc<Inner>,
    /// What `Pyro.Daemon.info()` tells: the daemon's, naming this server type.
    pub(super) info: Arc<DaemonInfo>,
    /// Plain methods running on blocking threads (at most `THREADPOOL_SIZE`).
    pub(super) blocking: Arc<Semaphore>,
    /// Oneway calls under way beside their connections (at most [`MAX_ONEWAY`]).
    pub(super) oneway: Arc<Semaphore>,
    /// Connections served (at most [`Daemon::with_max_connections`]).
    pub(super) connections: Option<Arc<Semaphore>>,
    pub(super) tls: Option<tokio_rustls::TlsAcceptor>,
    pub(super) handle: ShutdownHandle,
}

impl Daemon {
    /// Serves `daemon` (built as usual, e.g. with [`DaemonBuilder`](crate::daemon::DaemonBuilder))
    /// asynchronously.
    ///
    /// See the [module documentation](self) for an example.
    pub fn new(daemon: crate::daemon::Daemon) -> Daemon {
        Daemon { daemon, max_connections: None }
    }

    /// An async daemon on TCP `host:port` (port 0: any free port) with the process's
    /// [`Config::environment`](crate::Config::environment).
    ///
    /// ```
    /// let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert!(daemon.local_addr().is_some());
    /// ```
    pub fn bind(host: &str, port: u16) -> Result<Daemon, Error> {
        Ok(Daemon::new(crate::daemon::Daemon::bind(host, port)?))
    }

    /// Serves at most `max` connections at once (none: no limit, the default, as Pyro5's
    /// multiplexed server); past it a client's handshake is refused with Pyro5's CONNECTFAIL
    /// "no free workers, increase server threadpool size".
    ///
    /// ```
    /// let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).unwrap().with_max_connections(100);
    /// assert_eq!(daemon.max_connections(), Some(100));
    /// ```
    #[must_use]
    pub fn with_max_connections(mut self, max: usize) -> Daemon {
        self.max_connections = Some(max);
        self
    }

    /// The most connections served at once (see [`with_max_connections`](Daemon::with_max_connections)).
    ///
    /// See [`Daemon::with_max_connections`] for an example.
    pub fn max_connections(&self) -> Option<usize> {
        self.max_connections
    }

    /// The blocking daemon this one serves (its registry and configuration).
    ///
    /// ```
    /// let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert!(daemon.daemon().registered().contains(&"Pyro.Daemon".to_owned()));
    /// ```
    pub fn daemon(&self) -> &crate::daemon::Daemon {
        &self.daemon
    }

    /// The URI of object `id` on this daemon (as [`Daemon::uri_for`](crate::daemon::Daemon::uri_for)).
    ///
    /// ```
    /// let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert!(daemon.uri("Pyro.Daemon").unwrap().to_string().starts_with("PYRO:Pyro.Daemon@127.0.0.1:"));
    /// ```
    pub fn uri(&self, id: &str) -> Result<Uri, Error> {
        self.daemon.uri_for(id)
    }

    /// Stops the daemon: [`serve`](Daemon::serve) returns once the calls under way answered.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).unwrap();
    /// daemon.shutdown();
    /// daemon.serve().await.unwrap(); // returns at once
    /// # }
    /// ```
    pub fn shutdown(&self) {
        self.daemon.shutdown();
    }

    /// Accepts and serves connections until the daemon is shut down, each connection a task on
    /// the current tokio runtime (see the [module documentation](self)); a connected daemon
    /// ([`Daemon::connected_with`]) serves its one connection until it ends. Returns at once if
    /// it was shut down already. Must be called inside a tokio runtime with I/O and time enabled.
    ///
    /// See the [module documentation](self) for an example.
    pub async fn serve(&self) -> Result<(), Error> {
        let inner = Arc::clone(self.daemon.inner());
        if inner.is_shutting_down() {
            return Ok(());
        }
        // A listener's accept loop, or (none) the one connection of a connected daemon.
        let acceptor = match &inner.endpoint {
            Endpoint::Listener(_) => Some(accept::Acceptor::new(&inner)?),
            Endpoint::Connected(connected) if connected.is_for_tokio() => None,
            Endpoint::Connected(_) => return connected::serve_blocking(&inner).await,
        };
        tracing::info!(target: "pyro::daemon", "daemon {} entering requestloop (async server)", inner.location);
        let mut info = (*inner.info).clone();
        info.server = match acceptor {
            Some(_) => format!("<pyro async server on {}; tokio>", inner.location),
            None => format!("<pyro async existing connection server on {}; tokio>", inner.location),
        };
        let shared = Arc::new(Shared {
            info: Arc::new(info),
            blocking: Arc::new(Semaphore::new(inner.config.threadpool_size.max(1))),
            oneway: Arc::new(Semaphore::new(MAX_ONEWAY)),
            connections: self.max_connections.map(|max| Arc::new(Semaphore::new(max))),
            tls: inner.tls.as_ref().map(|tls| tokio_rustls::TlsAcceptor::from(tls.rustls_config())),
            handle: self.daemon.shutdown_handle(),
            inner: Arc::clone(&inner),
        });
        let housekeeper = inner.start_housekeeper();
        let result = match acceptor {
            Some(acceptor) => acceptor.run(&shared).await,
            None => connected::serve(&shared).await,
        };
        // Let calls under way (a `shutdown()` method among them) send their replies before the
        // caller goes on, perhaps to end the process.
        let drained = tokio::task::spawn_blocking(move || {
            inner.wait_for_calls_to_finish(crate::daemon::DRAIN_TIMEOUT);
            if let Some(housekeeper) = housekeeper {
                let _ = housekeeper.join();
            }
            // Pyro5's `shutdown` clears the streams too.
            inner.streams.clear();
        })
        .await;
        if drained.is_err() {
            tracing::warn!(target: "pyro::daemon", "the daemon's shutdown drain did not finish");
        }
        result
    }
}

impl Deref for Daemon {
    type Target = crate::daemon::Daemon;

    /// The blocking daemon's API: registration, URIs, the shutdown handle, the configuration.
    fn deref(&self) -> &crate::daemon::Daemon {
        &self.daemon
    }
}

impl From<crate::daemon::Daemon> for Daemon {
    fn from(daemon: crate::daemon::Daemon) -> Daemon {
        Daemon::new(daemon)
    }
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("aio::Daemon").field("daemon", &self.daemon).finish()
    }
}
