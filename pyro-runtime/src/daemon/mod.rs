//! The daemon: the server side of Pyro5, serving registered objects to Python and Rust clients.
//!
//! A [`Daemon`] listens on TCP (IPv4 or IPv6) or a Unix socket, holds objects by id, and runs a
//! thread-pool server like Pyro5's default `thread` server type: `THREADPOOL_SIZE_MIN` workers
//! are started, growing to `THREADPOOL_SIZE`; each connection is served by one worker for its
//! whole life, and a connection arriving while all workers are busy is refused with Pyro5's
//! CONNECTFAIL "no free workers, increase server threadpool size". Oneway calls run on a
//! bounded pool (up to 16 threads, at most `THREADPOOL_SIZE`) with a queue of 1024 calls; when
//! the queue is full, the connection's own worker runs the call before reading that client's
//! next request (nothing is dropped; a client flooding oneway calls slows down only itself).
//! Pyro5 starts a thread per oneway call instead, without limit.
//!
//! With `SERVERTYPE` `multiplex` ([`ServerType::Multiplex`](crate::config::ServerType)) the
//! daemon runs Pyro5's other server type instead (Unix only): one thread waits for readiness
//! on every connection, calls run on a pool of `THREADPOOL_SIZE` workers, no connection is
//! refused, and an idle connection costs no thread (about 750 bytes of memory, measured with
//! 10,000 of them; about 5 KB with TLS). `Pyro.Daemon.info()` then names the multiplexed
//! server. An [`EventLoop`] runs that loop inside the caller's own event loop and serves
//! several daemons from one thread (Pyro5's `daemon.sockets`, `daemon.events` and
//! `daemon.combine`). Both server types serve TLS, share the budget of bytes in flight
//! ([`DaemonBuilder::max_in_flight`]) among all connections, and bound each whole request and
//! the wait for the next one by `COMMTIMEOUT` (the multiplexed server a whole TLS handshake
//! too); in the multiplexed server no slow, silent or trickling client (nor a stalled TLS
//! handshake) delays any other.
//!
//! A daemon can also serve one connection the program already has instead of listening
//! ([`Daemon::connected`], Pyro5's `Daemon(connected_socket=s)`): no handshake, and the
//! user's connection is never closed (see [`DaemonBuilder::connected`]).
//!
//! Each connection is a [`ServerSession`](crate::session::ServerSession) driven by its worker:
//! the worker reads messages, the session says what to do, and calls run on the worker (oneway
//! calls on the oneway pool). Every daemon also serves `Pyro.Daemon` ([`DAEMON_OBJECT_ID`]) with `ping()`,
//! `registered()`, `get_metadata(objectId)`, `info()`, `get_next_stream_item(streamId)` and
//! `close_stream(streamId)`.
//!
//! # Item streams
//!
//! A method returning an iterator ([`Reply::Stream`](crate::dispatch::Reply::Stream)) is
//! streamed as Pyro5 streams generators: the daemon keeps the iterator in one
//! daemon-wide [`Streams`] registry and the client fetches item after
//! item. `ITER_STREAMING`, `ITER_STREAM_LIFETIME` and `ITER_STREAM_LINGER` come from the
//! [`Config`]; a housekeeper thread expires streams every two seconds while the request loop
//! runs; the number of open streams is bounded ([`DaemonBuilder::max_streams`], default
//! [`DEFAULT_MAX_STREAMS`](crate::session::DEFAULT_MAX_STREAMS)): past it, a call returning an
//! iterator gets a `Pyro5.errors.PyroError` instead of a stream. Shutting the daemon down drops
//! every stream.
//!
//! # Objects by reference (autoproxy) and their lifetime
//!
//! A method returning [`Remote`](crate::Remote)s (Pyro5's autoproxy) hands out
//! objects by reference: when the reply is serialized, each new object is registered under a
//! generated id and the reply carries a `Pyro5.client.Proxy` for it, at the NAT location if one
//! is configured ([`Daemon::proxy_for`] makes the same proxy for an object registered by hand,
//! e.g. a client's callback object). Pyro5 never unregisters such objects. The rule here:
//!
//! - an object sent as a new `Remote` belongs to the client connection (session) whose call
//!   returned it, and is unregistered when that connection closes, then dropped once no call
//!   uses it any more ([`Daemon::session_objects`] counts them);
//! - `Remote::daemon_wide` opts out: such an object stays until it is unregistered;
//! - [`Daemon::unregister`] (or [`ShutdownHandle::unregister`], from any thread or from inside the
//!   object's own methods) unregisters any object at once, a session's too;
//! - proxies for an unregistered object get Pyro5's `DaemonError("unknown object")`.
//!
//! # Callbacks
//!
//! A method marked `#[pyro::callback]` that fails is reported on its own side too: a `tracing`
//! warning and the [`DaemonBuilder::on_callback_error`] hook (see
//! [`CallbackError`](crate::dispatch::CallbackError)). A callback that would have to wait for
//! the method whose remote call it comes from (recognised by its correlation id) fails at once
//! instead of deadlocking; other callers wait their turn (see
//! [`BUSY_MESSAGE`](crate::dispatch::BUSY_MESSAGE)).
//!
//! ```
//! use pyro::daemon::Daemon;
//! use pyro::dispatch::*;
//! use pyro::{Error, Serializer};
//!
//! // What `#[pyro::expose]` generates for `impl Greeter { pub fn hello(&self) -> String }`:
//! struct Greeter;
//! impl Dispatch<Greeter> for Greeter {
//!     fn metadata() -> Metadata { Metadata::new(["hello"], [], []) }
//!     fn receiver(m: &str) -> Option<Receiver> { (m == "hello").then_some(Receiver::Shared) }
//!     fn invoke_shared(&self, ctx: &mut CallContext, m: &str, args: CallArgs) -> Result<Reply, Error> {
//!         args.finish()?;
//!         match m { "hello" => ctx.encode("hi"), _ => Err(CallArgs::unknown_method(m)) }
//!     }
//!     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
//!         Err(CallArgs::unknown_method(m))
//!     }
//! }
//!
//! let daemon = Daemon::bind("localhost", 0).unwrap();
//! let uri = daemon.register(Greeter, Some("greeter")).unwrap();
//! assert_eq!(uri.to_string(), format!("PYRO:greeter@{}", daemon.location()));
//! assert_eq!(daemon.registered(), ["Pyro.Daemon", "greeter"]);
//!
//! let shutdown = daemon.shutdown_handle(); // give a clone to any thread, or to an object
//! let server = std::thread::spawn(move || daemon.request_loop());
//! shutdown.shutdown();
//! server.join().unwrap().unwrap();
//! ```
//!
//! # Instance modes
//!
//! [`register`](Daemon::register) serves one object to every client. Registering a type
//! instead ([`register_class`](Daemon::register_class), or
//! [`register_class_with`](Daemon::register_class_with) with an instance creator, or
//! [`register_class_as`](Daemon::register_class_as) for an exposed trait) lets the daemon make
//! instances as Pyro5 does for a registered class, by [`InstanceMode`]:
//!
//! - [`Single`](InstanceMode::Single): one instance for the whole daemon, created on first
//!   use; dropped with the daemon (or when unregistered and no call uses it).
//! - [`Session`](InstanceMode::Session) (Pyro5's default for a class): one instance per client
//!   connection, created on that connection's first call and dropped when the client
//!   disconnects. It lives in the connection's state, which the connection's
//!   [`ServerSession`](crate::session::ServerSession) owns.
//! - [`Percall`](InstanceMode::Percall): a new instance for every request (the calls of a batch
//!   share one, as in Pyro5), dropped when the request is done.
//!
//! The creator (Pyro5's `instance_creator`) is a closure that gets the
//! [`CallContext`](crate::dispatch::CallContext) of the call needing the instance; `register_class` uses `T::default()`.
//! A creator may fail ([`register_class_try_with`](Daemon::register_class_try_with),
//! [`register_class_try_as`](Daemon::register_class_try_as)), as a Python `__init__` or
//! `instance_creator` may raise: the call that needed the instance gets the error as its
//! exception, nothing is kept, and the next call that needs an instance tries again (in every
//! mode, as Pyro5's `_getInstance`).
//! Clients see the type's metadata (in the handshake and from `get_metadata`), and
//! `registered()` lists the class's id like any object's. `&mut self` methods lock only the
//! instance: a percall instance is never shared, a session instance only by the calls of one
//! connection (oneway calls may overlap its next calls), a single instance by everyone.
//!
//! ```
//! use pyro::daemon::{Daemon, InstanceMode};
//! use pyro::dispatch::*;
//! use pyro::proxy::Proxy;
//! use pyro::Error;
//!
//! // What `#[pyro::expose]` generates for `impl Tally { pub fn add(&mut self, n: i64) -> i64 }`:
//! #[derive(Default)]
//! struct Tally(i64);
//! impl Dispatch<Tally> for Tally {
//!     fn metadata() -> Metadata { Metadata::new(["add"], [], []) }
//!     fn receiver(m: &str) -> Option<Receiver> { (m == "add").then_some(Receiver::Exclusive) }
//!     fn invoke_shared(&self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
//!         Err(CallArgs::unknown_method(m))
//!     }
//!     fn invoke_exclusive(&mut self, ctx: &mut CallContext, _: &str, mut args: CallArgs) -> Result<Reply, Error> {
//!         let n: i64 = args.required(0, "n")?;
//!         args.finish()?;
//!         self.0 += n;
//!         ctx.encode(&self.0)
//!     }
//! }
//!
//! let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
//! let session = daemon.register_class::<Tally>(InstanceMode::Session, Some("tally.session")).unwrap();
//! let percall = daemon.register_class_with(InstanceMode::Percall, |_ctx| Tally(100), Some("tally.percall")).unwrap();
//! let shutdown = daemon.shutdown_handle();
//! let server = std::thread::spawn(move || daemon.request_loop());
//!
//! let one = Proxy::new(session.clone());
//! assert_eq!(one.call::<_, i64>("add", &(1,)).unwrap(), 1);
//! assert_eq!(one.call::<_, i64>("add", &(1,)).unwrap(), 2); // the same instance
//! let two = Proxy::new(session);
//! assert_eq!(two.call::<_, i64>("add", &(5,)).unwrap(), 5); // another connection, another instance
//! let each = Proxy::new(percall);
//! assert_eq!(each.call::<_, i64>("add", &(1,)).unwrap(), 101);
//! assert_eq!(each.call::<_, i64>("add", &(1,)).unwrap(), 101); // a new instance per call
//!
//! shutdown.shutdown();
//! server.join().unwrap().unwrap();
//! ```
//!
//! # Connection hooks and tracked resources
//!
//! A [`DaemonBuilder`] takes Pyro5's overridable daemon hooks as closures:
//! [`validate_handshake`](DaemonBuilder::validate_handshake) sees each client's handshake
//! data and accepts it (with response data the client reads) or refuses it with a reason, and
//! [`client_disconnect`](DaemonBuilder::client_disconnect) is told when a client that completed
//! its handshake goes away. Both see a [`ConnectionInfo`] (connection id, client address; for
//! the disconnect hook also the [names](crate::session::Resource::name) of the resources the
//! connection still tracks, Pyro5's `conn.tracked_resources`). A
//! method can also tie a resource to its caller's connection with
//! [`CallContext::track_resource`](crate::dispatch::CallContext::track_resource): it is closed when that client disconnects (Pyro5's
//! `current_context.track_resource`). When a connection closes, the order is Pyro5's: its item
//! streams linger or go, the disconnect hook runs, its session instances are dropped, then its
//! tracked resources are closed.
//!
//! ```
//! use pyro::daemon::Daemon;
//! use pyro::proxy::Proxy;
//! use pyro::{Error, Value};
//!
//! let daemon = Daemon::builder()
//!     .host("127.0.0.1")
//!     .validate_handshake(|_conn, data| match data.as_str() {
//!         Some("pancakes") => Ok(Value::from("welcome")),
//!         _ => Err("wrong secret code, connection refused".into()),
//!     })
//!     .client_disconnect(|conn| println!("client {} disconnects", conn.id()))
//!     .bind()
//!     .unwrap();
//! let uri = daemon.uri_for("Pyro.Daemon").unwrap();
//! let shutdown = daemon.shutdown_handle();
//! let server = std::thread::spawn(move || daemon.request_loop());
//!
//! let proxy = Proxy::new(uri.clone()).with_handshake("pancakes".into());
//! proxy.bind().unwrap();
//! assert_eq!(proxy.handshake_response(), Some(Value::from("welcome")));
//! let refused = Proxy::new(uri).bind().unwrap_err();
//! assert!(matches!(refused, Error::ConnectionRejected { reason, .. } if reason == "wrong secret code, connection refused"));
//!
//! shutdown.shutdown();
//! server.join().unwrap().unwrap();
//! ```

mod accept;
pub(crate) mod autoproxy;
mod builder;
mod callback;
pub(crate) mod class;
mod connected;
mod connection;
#[cfg(unix)]
mod multiplex;
#[cfg(unix)]
pub use multiplex::EventLoop;
mod oneway;
mod pool;
mod register;
pub(crate) mod registry;
mod serve;
mod shutdown;
mod tracking;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

pub use crate::session::{ConnectionInfo, DAEMON_OBJECT_ID, ServerHooks};
pub use builder::DaemonBuilder;
pub(crate) use callback::callback_hook;
pub use class::{InstanceMode, InvalidInstanceMode};
pub use serve::serve;
pub use shutdown::ShutdownHandle;

use self::autoproxy::SessionObjects;
use self::oneway::OnewayRunner;
use self::registry::Registry;
use self::tracking::Connections;
use crate::protocol::ByteBudget;
use crate::session::{DaemonInfo, ResponseAnnotations, Streams};
use crate::transport::Listener;
use crate::uri::Location;
use crate::{Config, Error, Uri};

/// Pyro5's text for a connection refused because every worker is busy.
pub(crate) const NO_FREE_WORKERS: &str = "no free workers, increase server threadpool size";

/// The longest a refused client may take to send its whole CONNECT (a refusal thread waits
/// for it, never the accept thread).
const DENY_TIMEOUT: Duration = Duration::from_secs(2);

/// The smallest budget of bytes in flight (see [`in_flight_limit`]).
const MIN_IN_FLIGHT: u64 = 64 << 20;

/// How many bytes of decompressed messages all connections of a daemon may hold at once: the
/// maximum message size, but at least 64 MiB. One message of the maximum size still fits; many
/// compression bombs at once take no more than one would.
fn in_flight_limit(config: &Config) -> u64 {
    config.max_message_size.max(MIN_IN_FLIGHT)
}

/// At most this many refusals (reading a CONNECT to answer CONNECTFAIL) run at once, each on a
/// short-lived thread of its own, so a slow or silent refused client delays no other client.
/// Past it, a refused connection is closed at once, unanswered.
const MAX_REFUSALS: usize = 16;

/// How long `request_loop` waits, after a shutdown, for calls under way to send their replies.
pub(crate) const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A Pyro daemon: a listening socket, the registered objects, and the request loop serving them.
/// `Send + Sync`: register and unregister objects from any thread, also while it serves.
///
/// See the [module documentation](self) for an example.
pub struct Daemon {
    inner: Arc<Inner>,
}

/// Everything the daemon's threads share.
pub(crate) struct Inner {
    pub(crate) config: Config,
    /// Where connections come from: a listening socket, or the one connection a user gave.
    pub(crate) endpoint: Endpoint,
    pub(crate) location: Location,
    nat_location: Option<Location>,
    pub(crate) registry: Arc<Registry>,
    /// The objects each session received as proxies (autoproxy), unregistered when it closes.
    autoproxied: SessionObjects,
    /// Called with the failures of `#[pyro::callback]` methods.
    callback_hook: Option<callback::Hook>,
    /// What `Pyro.Daemon.info()` tells, shared by every session.
    pub(crate) info: Arc<DaemonInfo>,
    /// Where oneway calls run.
    oneway: OnewayRunner,
    /// The open item streams, shared by every session.
    pub(crate) streams: Arc<Streams>,
    /// The user's handshake and disconnect hooks, run by every session.
    hooks: ServerHooks,
    /// Pyro5's `Daemon.annotations()`: added to every reply.
    response_annotations: Option<ResponseAnnotations>,
    connections: Mutex<Connections>,
    /// Signalled whenever a connection goes away, for the shutdown drain.
    connection_closed: Condvar,
    shutting_down: AtomicBool,
    /// Refusals under way (at most [`MAX_REFUSALS`]).
    refusals: Arc<AtomicUsize>,
    /// The bytes all connections together may hold in decompressed messages
    /// ([`DaemonBuilder::max_in_flight`]).
    pub(crate) in_flight: Arc<ByteBudget>,
    /// The TLS context when `SSL` is on: every accepted connection does its TLS handshake first.
    pub(crate) tls: Option<crate::transport::TlsServer>,
}

/// Where a daemon's connections come from.
pub(crate) enum Endpoint {
    /// A listening socket: the thread-pool or multiplexed server accepts its clients.
    Listener(Listener),
    /// One connection the user already had (Pyro5's `connected_socket`).
    Connected(connected::Connected),
}

impl Daemon {
    /// A [`DaemonBuilder`] with the default [`Config`].
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::builder().host("127.0.0.1").port(0).bind().unwrap();
    /// assert!(daemon.location().to_string().starts_with("127.0.0.1:"));
    /// ```
    pub fn builder() -> DaemonBuilder {
        DaemonBuilder::default()
    }

    /// A daemon on TCP `host:port` (port 0 = any free port; `"::1"` for IPv6) with the process's
    /// [`Config::environment`].
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("::1", 0);
    /// # let _ = daemon; // IPv6 may be unavailable where doctests run
    /// ```
    pub fn bind(host: &str, port: u16) -> Result<Daemon, Error> {
        Daemon::builder().host(host).port(port).bind()
    }

    /// A daemon on the Unix domain socket `path` (`"\0name"`: Linux's abstract namespace)
    /// with the process's [`Config::environment`].
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// let daemon = pyro::daemon::Daemon::bind_unix("\0pyro-doc-daemon").unwrap();
    /// assert_eq!(daemon.location().to_string(), "./u:\0pyro-doc-daemon");
    /// # }
    /// ```
    #[cfg(unix)]
    pub fn bind_unix(path: &str) -> Result<Daemon, Error> {
        Daemon::builder().unix_socket(path).bind()
    }

    /// A daemon configured by `config`: bound to its `HOST` on any free port, with its NAT
    /// settings, pool sizes, timeouts and message limits.
    ///
    /// ```
    /// let config = pyro::Config { host: "127.0.0.1".into(), ..Default::default() };
    /// let daemon = pyro::daemon::Daemon::new(config).unwrap();
    /// ```
    pub fn new(config: Config) -> Result<Daemon, Error> {
        Daemon::builder().config(config).bind()
    }

    /// The URI of object `id` on this daemon (registered or not), at the NAT location if one
    /// is configured.
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::builder().host("127.0.0.1").nat("example.com", 5555).bind().unwrap();
    /// assert_eq!(daemon.uri_for("thing").unwrap().to_string(), "PYRO:thing@example.com:5555");
    /// ```
    pub fn uri_for(&self, id: &str) -> Result<Uri, Error> {
        self.inner.uri_for(id)
    }

    /// Where the daemon listens (Pyro5's `locationStr`): the host as given and the real port.
    ///
    /// See [`Daemon::builder`] for an example.
    pub fn location(&self) -> &Location {
        &self.inner.location
    }

    /// The location put in URIs when the daemon is behind NAT (Pyro5's `natLocationStr`).
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert_eq!(daemon.nat_location(), None);
    /// ```
    pub fn nat_location(&self) -> Option<&Location> {
        self.inner.nat_location.as_ref()
    }

    /// The bound TCP address (`None` on a Unix socket).
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert_ne!(daemon.local_addr().unwrap().port(), 0);
    /// ```
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.listener()?.tcp_addr()
    }

    /// The configuration the daemon runs with.
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert_eq!(daemon.config().threadpool_size, 80);
    /// ```
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// A handle that stops this daemon from another thread or from inside a remote method.
    ///
    /// See [`ShutdownHandle`] for an example.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle { inner: Arc::downgrade(&self.inner) }
    }

    /// Stops the daemon (same as [`ShutdownHandle::shutdown`]).
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// daemon.shutdown();
    /// daemon.request_loop().unwrap(); // returns at once
    /// ```
    pub fn shutdown(&self) {
        self.inner.shutdown();
    }

    /// Accepts and serves connections until the daemon is shut down. Returns at once if it
    /// already was. After a shutdown it waits (up to 10 seconds) for calls under way to send
    /// their replies, so a remote `shutdown()` method still answers its caller.
    ///
    /// See [`ShutdownHandle`] for an example.
    pub fn request_loop(&self) -> Result<(), Error> {
        tracing::info!(target: "pyro::daemon", "daemon {} entering requestloop", self.inner.location);
        let result = self.serve_connections();
        tracing::debug!(target: "pyro::daemon", "daemon {} exits requestloop", self.inner.location);
        result
    }

    /// What the async daemon shares with this one (`pyro::aio::Daemon` drives the same `Inner`).
    #[cfg(feature = "tokio")]
    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// The number of item streams open now.
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert_eq!(daemon.open_streams(), 0);
    /// ```
    pub fn open_streams(&self) -> usize {
        self.inner.streams.len()
    }

    fn server_description(config: &Config, location: &Location) -> String {
        if config.server_type == crate::config::ServerType::Multiplex {
            return format!("<pyro multiplexed server on {location}>");
        }
        format!(
            "<pyro thread pool server on {location}; {}..{} workers>",
            config.threadpool_size_min, config.threadpool_size
        )
    }
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("location", &self.inner.location.to_string())
            .field("nat_location", &self.inner.nat_location.as_ref().map(ToString::to_string))
            .field("objects", &self.inner.registry.len())
            .finish()
    }
}

impl Inner {
    /// The listening socket; `None` for a daemon serving a connected socket.
    pub(crate) fn listener(&self) -> Option<&Listener> {
        match &self.endpoint {
            Endpoint::Listener(listener) => Some(listener),
            Endpoint::Connected(_) => None,
        }
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Pyro5 removes the socket file when the daemon closes.
        if let Some(path) = self.listener().and_then(Listener::unix_path)
            && !path.starts_with('\0')
        {
            let _ = std::fs::remove_file(path);
        }
    }
}
