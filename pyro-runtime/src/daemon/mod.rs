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
#![doc = include_str!("guide.md")]

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
use self::class::Class;
use self::oneway::OnewayRunner;
use self::registry::Registry;
use self::tracking::Connections;
use crate::dispatch::{CallContext, Dispatch, IntoRemoteError, Servant, Served};
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

    /// Registers an exposed object (`#[pyro::expose]` on its inherent impl) as `id`, or under a
    /// generated id (`"obj_"` + 32 hex digits) for `None`; returns its URI. An id already in use
    /// is an [`Error::Daemon`].
    ///
    /// See the [module documentation](self) for an example.
    pub fn register<T: Dispatch<T>>(&self, object: T, id: Option<&str>) -> Result<Uri, Error> {
        self.register_servant(Arc::new(Served::new(object)), id)
    }

    /// Registers an object exposed through the trait `I` (`register_as::<dyn Trait, _>(...)`).
    ///
    /// ```no_run
    /// # fn demo<T: pyro::dispatch::Dispatch<dyn std::any::Any + Send + Sync>>(daemon: &pyro::daemon::Daemon, object: T) {
    /// // with `#[pyro::expose] trait Shop { ... }` and `impl Shop for MyShop`:
    /// // daemon.register_as::<dyn Shop, _>(MyShop::new(), Some("shop"))
    /// let uri = daemon.register_as::<dyn std::any::Any + Send + Sync, _>(object, Some("shop")).unwrap();
    /// # }
    /// ```
    pub fn register_as<I, T>(&self, object: T, id: Option<&str>) -> Result<Uri, Error>
    where
        I: ?Sized + 'static,
        T: Dispatch<I>,
    {
        self.register_servant(Arc::new(Served::<T, I>::with_interface(object)), id)
    }

    /// Registers the class `T` instead of an instance (Pyro5's `register(SomeClass)`): each
    /// request is served by an instance that `mode` picks, made with `T::default()` when one
    /// is needed. Clients see `T`'s metadata, as Pyro5 gives a class's; see the [module
    /// documentation](self#instance-modes).
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::{Error, Serializer};
    /// # #[derive(Default)]
    /// # struct Counter(i64);
    /// # impl Dispatch<Counter> for Counter {
    /// #     fn metadata() -> Metadata { Metadata::new(["next"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "next").then_some(Receiver::Exclusive) }
    /// #     fn invoke_shared(&self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// #     fn invoke_exclusive(&mut self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; self.0 += 1; c.encode(&self.0) }
    /// # }
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let uri = daemon.register_class::<Counter>(InstanceMode::Session, Some("counter")).unwrap();
    /// assert_eq!(daemon.registered(), ["Pyro.Daemon", "counter"]);
    /// # let _ = uri;
    /// ```
    pub fn register_class<T: Dispatch<T> + Default>(&self, mode: InstanceMode, id: Option<&str>) -> Result<Uri, Error> {
        self.register_class_with::<T>(mode, |_: &CallContext| T::default(), id)
    }

    /// Registers the class `T` with an instance creator (Pyro5's `instance_creator`): `create`
    /// makes each instance `mode` needs, seeing the context of the call that needs it (e.g.
    /// its correlation id or client address). A creator that panics fails that call with a
    /// `builtins.RuntimeError`.
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::{Error, Serializer};
    /// # struct Greeter(String);
    /// # impl Dispatch<Greeter> for Greeter {
    /// #     fn metadata() -> Metadata { Metadata::new(["hello"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "hello").then_some(Receiver::Shared) }
    /// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&self.0) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let create = |ctx: &pyro::dispatch::CallContext| Greeter(format!("hello, {:?}", ctx.client_addr()));
    /// daemon.register_class_with(InstanceMode::Percall, create, Some("greeter")).unwrap();
    /// ```
    pub fn register_class_with<T: Dispatch<T>>(
        &self,
        mode: InstanceMode,
        create: impl Fn(&CallContext) -> T + Send + Sync + 'static,
        id: Option<&str>,
    ) -> Result<Uri, Error> {
        self.register_servant(Arc::new(Class::<T, T>::new(mode, Box::new(move |ctx| Ok(create(ctx))))), id)
    }

    /// Registers the class `T` with an instance creator that may fail (a Python `__init__` or
    /// `instance_creator` that raises): its `Err` becomes the exception of the call that
    /// needed the instance, converted as a method's error is ([`IntoRemoteError`]: a
    /// [`RemoteError`](crate::RemoteError), an [`Error`], or a `#[derive(pyro::RemoteError)]`
    /// enum). No instance is kept, so the next call that needs one runs `create` again, in
    /// every mode, as Pyro5 does.
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::Error;
    /// # struct Greeter(String);
    /// # impl Dispatch<Greeter> for Greeter {
    /// #     fn metadata() -> Metadata { Metadata::new(["hello"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "hello").then_some(Receiver::Shared) }
    /// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&self.0) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// use pyro::proxy::Proxy;
    /// use pyro::{RemoteError, Value};
    ///
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let tries = std::sync::atomic::AtomicU32::new(0);
    /// let create = move |_: &CallContext| match tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
    ///     0 => Err(RemoteError::new("builtins.KeyError", vec![Value::from("USER")])),
    ///     _ => Ok(Greeter("hello".into())),
    /// };
    /// let uri = daemon.register_class_try_with(InstanceMode::Session, create, Some("greeter")).unwrap();
    /// let shutdown = daemon.shutdown_handle();
    /// let server = std::thread::spawn(move || daemon.request_loop());
    /// let proxy = Proxy::new(uri);
    /// let Err(Error::Remote(error)) = proxy.call::<_, String>("hello", &()) else { panic!() };
    /// assert_eq!((error.class.as_str(), error.message.as_str()), ("builtins.KeyError", "USER"));
    /// assert_eq!(proxy.call::<_, String>("hello", &()).unwrap(), "hello"); // created this time
    /// # drop(proxy);
    /// shutdown.shutdown();
    /// server.join().unwrap().unwrap();
    /// ```
    pub fn register_class_try_with<T, E>(
        &self,
        mode: InstanceMode,
        create: impl Fn(&CallContext) -> Result<T, E> + Send + Sync + 'static,
        id: Option<&str>,
    ) -> Result<Uri, Error>
    where
        T: Dispatch<T>,
        E: IntoRemoteError,
    {
        self.register_class_try_as::<T, T, E>(mode, create, id)
    }

    /// Registers the class `T` exposed through the trait `I` (`register_class_as::<dyn Trait,
    /// _>(...)`), with an instance creator: [`register_class_with`](Daemon::register_class_with)
    /// for an exposed trait.
    ///
    /// ```
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// use pyro::dispatch::*;
    /// use pyro::{proxy::Proxy, Error};
    ///
    /// trait Visits { fn visit(&mut self) -> u32; }
    /// struct Door(u32);
    /// impl Visits for Door { fn visit(&mut self) -> u32 { self.0 += 1; self.0 } }
    /// // What `#[pyro::expose]` writes for `trait Visits`:
    /// impl<T: Visits + Send + Sync + 'static> Interface<T> for dyn Visits {
    ///     fn metadata() -> Metadata { Metadata::new(["visit"], [], []) }
    ///     fn receiver(m: &str) -> Option<Receiver> { (m == "visit").then_some(Receiver::Exclusive) }
    ///     fn invoke_shared(_: &T, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
    ///         Err(CallArgs::unknown_method(m))
    ///     }
    ///     fn invoke_exclusive(object: &mut T, ctx: &mut CallContext, _: &str, args: CallArgs) -> Result<Reply, Error> {
    ///         args.finish()?;
    ///         ctx.encode(&object.visit())
    ///     }
    /// }
    ///
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let uri = daemon.register_class_as::<dyn Visits, _>(InstanceMode::Single, |_| Door(10), Some("door")).unwrap();
    /// let shutdown = daemon.shutdown_handle();
    /// let server = std::thread::spawn(move || daemon.request_loop());
    /// assert_eq!(Proxy::new(uri.clone()).call::<_, u32>("visit", &()).unwrap(), 11);
    /// assert_eq!(Proxy::new(uri).call::<_, u32>("visit", &()).unwrap(), 12); // one instance for all
    /// shutdown.shutdown();
    /// server.join().unwrap().unwrap();
    /// ```
    pub fn register_class_as<I, T>(
        &self,
        mode: InstanceMode,
        create: impl Fn(&CallContext) -> T + Send + Sync + 'static,
        id: Option<&str>,
    ) -> Result<Uri, Error>
    where
        I: ?Sized + 'static,
        T: Dispatch<I>,
    {
        self.register_servant(Arc::new(Class::<T, I>::new(mode, Box::new(move |ctx| Ok(create(ctx))))), id)
    }

    /// Registers the class `T` exposed through the trait `I`, with an instance creator that
    /// may fail: [`register_class_try_with`](Daemon::register_class_try_with) for an exposed
    /// trait.
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::Error;
    /// # struct Door;
    /// # impl Dispatch<dyn std::any::Any + Send + Sync> for Door {
    /// #     fn metadata() -> Metadata { Metadata::new(["open"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "open").then_some(Receiver::Shared) }
    /// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&()) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// // with `#[pyro::expose] trait Doors { ... }`: register_class_try_as::<dyn Doors, _, _>(...)
    /// let create = |_: &CallContext| -> Result<Door, Error> { Ok(Door) };
    /// daemon.register_class_try_as::<dyn std::any::Any + Send + Sync, _, _>(InstanceMode::Single, create, Some("door")).unwrap();
    /// ```
    pub fn register_class_try_as<I, T, E>(
        &self,
        mode: InstanceMode,
        create: impl Fn(&CallContext) -> Result<T, E> + Send + Sync + 'static,
        id: Option<&str>,
    ) -> Result<Uri, Error>
    where
        I: ?Sized + 'static,
        T: Dispatch<I>,
        E: IntoRemoteError,
    {
        let create = move |ctx: &CallContext| create(ctx).map_err(IntoRemoteError::into_remote_error);
        self.register_servant(Arc::new(Class::<T, I>::new(mode, Box::new(create))), id)
    }

    /// Registers any [`Servant`] (e.g. a hand-written one, or one shared between daemons).
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::{Error, Serializer};
    /// # struct Thing;
    /// # impl Dispatch<Thing> for Thing {
    /// #     fn metadata() -> Metadata { Metadata::new(["ping"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "ping").then_some(Receiver::Shared) }
    /// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&()) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// use std::sync::Arc;
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// let servant: Arc<dyn Servant> = Arc::new(Served::new(Thing));
    /// let uri = daemon.register_servant(servant, None).unwrap();
    /// assert!(uri.object().starts_with("obj_") && uri.object().len() == 36);
    /// ```
    pub fn register_servant(&self, servant: Arc<dyn Servant>, id: Option<&str>) -> Result<Uri, Error> {
        let id = match id {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => autoproxy::generated_id(),
        };
        let uri = self.uri_for(&id)?;
        if !self.inner.registry.insert(&id, servant) {
            return Err(Error::Daemon { message: "an object or class is already registered with that id".into() });
        }
        Ok(uri)
    }

    /// Removes the object `id`; `true` if it was registered. `Pyro.Daemon` cannot be removed
    /// (`false`, as Pyro5 silently ignores it).
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert!(!daemon.unregister("Pyro.Daemon"));
    /// assert!(!daemon.unregister("nothing"));
    /// ```
    pub fn unregister(&self, id: &str) -> bool {
        id != DAEMON_OBJECT_ID && self.inner.registry.remove(id)
    }

    /// The ids of the registered objects, in registration order (`Pyro.Daemon` first).
    ///
    /// See the [module documentation](self) for an example.
    pub fn registered(&self) -> Vec<String> {
        let mut ids = vec![DAEMON_OBJECT_ID.to_owned()];
        ids.extend(self.inner.registry.ids());
        ids
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
