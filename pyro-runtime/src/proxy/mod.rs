//! The client side: [`Proxy`], a handle on a remote object.
//!
//! A proxy connects lazily on its first call: it opens a TCP or Unix socket to the daemon in its
//! `PYRO:` URI, performs Pyro5's CONNECT handshake (which also fetches the object's metadata:
//! its methods, oneway methods and attributes), then sends INVOKE messages and reads the RESULT
//! replies.
//!
//! ```no_run
//! use pyro::proxy::Proxy;
//! use pyro::value::{Dict, Value};
//!
//! let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
//! // Typed: arguments serialize straight to bytes, the result deserializes straight into `R`.
//! let sum: i64 = proxy.call("add", &(1, 2))?;
//! // Keyword arguments.
//! let kwargs: Dict = [("polite", Value::Bool(true))].into_iter().collect();
//! let greeting: String = proxy.call_with_kwargs("greet", &("bob",), &kwargs)?;
//! // Dynamic: values in, a value out.
//! let value = proxy.call_value("add", vec![1.into(), 2.into()], Dict::new())?;
//! // Oneway: sent without waiting for the method to run.
//! proxy.call_oneway("notify", &("event",))?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! # Beyond Pyro5
//!
//! A Pyro5 proxy belongs to one thread. A pyro [`Proxy`] is `Send + Sync` and can be shared
//! (e.g. in an `Arc`) by many threads at once: it keeps a small pool of connections (up to
//! [`DEFAULT_MAX_CONNECTIONS`] by default, see [`Proxy::set_max_connections`]), a call takes an
//! idle connection or opens a new one, and only waits when all of them are busy. Each
//! connection has its own sequence numbers, as each Pyro5 proxy has.
//!
//! # Errors and reconnects
//!
//! A call whose connection failed (closed, timed out, a protocol or serialization error on the
//! reply) drops that connection; the next call opens a new one, as Pyro5 reconnects implicitly.
//! Calls are retried up to [`max_retries`](Proxy::set_max_retries) times (Pyro5's `MAX_RETRIES`)
//! when the connection closed or timed out. An exception raised by the remote method arrives as
//! [`Error::Remote`].
//!
//! # Names and metadata
//!
//! A proxy for a `PYRONAME:name[@host:port]` or `PYROMETA:tag,...[@host:port]` URI resolves it
//! to a `PYRO:` URI ([`naming::resolve_with_config`]: finds the name server, looks the name up,
//! or picks one of the registrations having all the tags) whenever it opens a connection: on
//! the first call or [`bind`](Proxy::bind), and again on every reconnect, so a re-registered
//! object is found at its new address. Each connection talks to the object it was resolved to;
//! [`Proxy::uri`] stays the URI given and [`Proxy::resolved_uri`] is the `PYRO:` URI of the
//! latest connection. (Pyro5's `_pyroBind` replaces the proxy's URI with the resolved one for
//! good; to pin a resolution, make a proxy for [`Proxy::resolved_uri`].) The name server is
//! found and its proxy configured with the [`Config`] given to [`Proxy::with_config`]
//! ([`Config::environment`] for [`Proxy::new`], which honours `PYRO_NS_HOST` and friends).
//! With several name server locations ([`Config::ns_locations`]) or several answering a
//! broadcast, each resolution goes on to the next name server when one cannot be reached
//! ([failover](crate::naming#several-name-servers-failover)).
//! Proxies for `PYRO:` URIs do no naming work.
//!
//! ```no_run
//! use pyro::proxy::Proxy;
//!
//! let proxy = Proxy::from_uri_str("PYROMETA:kind:greeter@localhost:9090")?;
//! let text: String = proxy.call("greet", &("bob",))?;
//! println!("served by {:?}", proxy.resolved_uri());
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! # Batch calls
//!
//! [`Proxy::batch`] records calls and sends them as one message (Pyro5's `BatchProxy`); each
//! call's [`BatchHandle`] yields its own result after [`Batch::run`] (see [`Batch`]).
//! # Item streams
//!
//! A remote method returning an iterator (a Python generator, a Rust `impl Iterator`) is
//! iterated with [`Proxy::call_stream`], which gives a [`RemoteIter`] of `Result<T>` items; see
//! there. A plain [`call`](Proxy::call) of such a method is an error (and closes the stream).
//! Items come one round trip each, as in Pyro5; [`Proxy::set_stream_read_ahead`] pipelines the
//! requests for them (opt-in: the remote iterator then runs ahead of the consumer).
//!
//! ```no_run
//! let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:test.echoserver@localhost:9999")?;
//! let words: Vec<String> = proxy.call_stream("generator", &())?.collect::<Result<_, _>>()?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! # Annotations and correlation ids
//!
//! A proxy sends its own annotations ([`Proxy::set_annotations`]) and those of the calling
//! thread ([`set_annotations`], or [`with_annotations`] for one call) with every request, and a
//! correlation id ([`Proxy::set_correlation_id`], else the thread's [`correlation_id`], which
//! inside an exposed method is the incoming call's: it propagates). The annotations of each reply
//! are the thread's [`response_annotations`] afterwards. See [`current_context`].
//!
//! [`current_context`]: crate::current_context
//! [`set_annotations`]: crate::current_context::set_annotations
//! [`with_annotations`]: crate::current_context::with_annotations
//! [`correlation_id`]: crate::current_context::correlation_id
//! [`response_annotations`]: crate::current_context::response_annotations
//!
//! ```no_run
//! use pyro::{current_context, proxy::Proxy};
//! use pyro::protocol::{AnnotationId, Annotations};
//!
//! let proxy = Proxy::from_uri_str("PYRO:example.context@localhost:9999")?;
//! let annotations: Annotations = [(AnnotationId::try_from("XYZZ")?, b"hi".to_vec())].into_iter().collect();
//! let echoed: String = current_context::with_annotations(annotations, || proxy.call("echo", &("hello",)))?;
//! for (id, value) in current_context::response_annotations().iter() {
//!     println!("{} -> {:?}", id.as_str(), value);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Deadlines
//!
//! A call made under a [deadline](crate::deadline) (the thread's or task's current one, e.g.
//! `deadline::within(Duration::from_millis(50), || proxy.call("add", &(1, 2)))`, or the
//! proxy's own, [`Proxy::set_deadline_per_call`]) is refused at once with [`Error::Timeout`]
//! when the deadline has passed; otherwise it waits for a free connection, connects and waits
//! for its reply no longer than the time left (and its [timeout](Proxy::set_timeout)), sends
//! the time left to the daemon (pyro's `DDLN` annotation; a pyro daemon refuses to start it
//! late and makes it the deadline of the calls the method makes; a Python daemon ignores it)
//! and closes the connection of a reply that came too late. Oneway calls send it and do not
//! wait; batches send it once for all their calls; each item of a stream is fetched under the
//! deadline current when it is asked for.
//!
//! ```no_run
//! use std::time::Duration;
//! use pyro::{deadline, proxy::Proxy};
//!
//! let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
//! match deadline::within(Duration::from_millis(50), || proxy.call::<_, i64>("add", &(1, 2))) {
//!     Err(error) if error.is_timeout() => println!("too slow: {error}"),
//!     other => println!("{:?}", other?),
//! }
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! # Proxies as arguments and results
//!
//! A proxy serializes as Pyro5's `Pyro5.client.Proxy` class dict (its uri, the metadata it
//! knows, its handshake data and serializer name) and deserializes from one into a new,
//! unconnected proxy with the receiver's own timeout and retries, as Pyro5's proxies do (see
//! [`Proxy::state`], [`Proxy::from_state`]). So a proxy (or a typed proxy) can be an argument,
//! e.g. a callback object's, and a result, e.g. an object a server returns by reference; in a
//! dynamic result it arrives as that class dict, which [`Proxy::from_value`] turns into a proxy.
//!
//! ```
//! use pyro::{proxy::Proxy, Serializer};
//! let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
//! let json = Serializer::Json.to_bytes(&proxy)?;
//! assert_eq!(json, br#"{"__class__": "Pyro5.client.Proxy", "state": ["PYRO:thing@localhost:9999", [], [], [], "hello", null]}"#);
//! let back: Proxy = Serializer::Json.from_bytes(&json)?;
//! assert_eq!(back.uri(), proxy.uri());
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! # Not supported yet
//!
//! TLS.

mod args;
mod attributes;
pub(crate) mod batch;
mod blob;
pub(crate) mod connected;
pub(crate) mod connection;
mod invoke;
mod pool;
pub(crate) mod raw;
mod serializer_choice;
pub(crate) mod stream;
mod wire;

pub use connected::CONNECTED_SOCKET_HOST;
pub use raw::RawReply;
pub use stream::{MAX_STREAM_READ_AHEAD, RemoteIter};

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::dispatch::Metadata;
use crate::protocol::{Annotations, EncodeOptions, Flags};
use crate::serializer::{SerializeOptions, Serializer};
use crate::uri::Protocol;
use crate::value::{Dict, Value, from_value};
use crate::{Config, Error, Uri, naming};
use serializer_choice::SerializerChoice;

pub use batch::{Batch, BatchHandle};
#[cfg(feature = "tokio")]
pub(crate) use invoke::is_retried_by;
pub(crate) use invoke::{Check, is_communication_error};
use pool::Pool;

/// Computes an annotation of a call for the object id it goes to.
pub(crate) type Annotate<'a> = dyn Fn(&str) -> Result<(crate::protocol::AnnotationId, Vec<u8>), Error> + Sync + 'a;

/// The default maximum number of connections a proxy opens to serve concurrent calls.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4;

/// How long [`Proxy::reconnect`] waits between attempts (Pyro5's `_pyroReconnect` sleeps 2 s).
pub const RECONNECT_INTERVAL: Duration = Duration::from_secs(2);

/// The handshake value a Pyro5 proxy sends by default.
pub const DEFAULT_HANDSHAKE: &str = "hello";

/// The method names the daemon handles itself for remote attributes.
pub(crate) const GETATTR: &str = "__getattr__";
pub(crate) const SETATTR: &str = "__setattr__";

/// A proxy for a remote object: calls its methods over Pyro5's wire protocol.
///
/// Built from a `PYRO:` URI with defaults from [`Config::default`] ([`Proxy::new`]) or from a
/// given [`Config`] ([`Proxy::with_config`]); the serializer, timeout, handshake value, retries
/// and pool size can be changed per proxy. See the [module documentation](self) for an overview.
///
/// ```no_run
/// use std::time::Duration;
/// use pyro::{proxy::Proxy, Serializer};
///
/// let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999")?
///     .with_serializer(Serializer::Json)
///     .with_timeout(Some(Duration::from_secs(5)));
/// proxy.bind()?;
/// println!("methods: {:?}", proxy.metadata().map(|m| m.methods));
/// # Ok::<(), pyro::Error>(())
/// ```
pub struct Proxy {
    uri: Uri,
    /// For a `PYRONAME`/`PYROMETA` uri: how to resolve it, and the latest resolution.
    naming: Option<Box<Naming>>,
    serializer: SerializerChoice,
    /// How calls are written (`SERPENT_BYTES_REPR`).
    serialize_options: SerializeOptions,
    timeout: Option<Duration>,
    handshake: Value,
    max_retries: u32,
    options: EncodeOptions,
    /// What the last handshake said: the object's metadata and the daemon's handshake response.
    known: RwLock<Option<Arc<Known>>>,
    pool: Pool,
    /// How many `get_next_stream_item` requests a new [`RemoteIter`] keeps in flight.
    stream_read_ahead: usize,
    /// Annotations sent with every request (before the thread's).
    annotations: Annotations,
    /// The correlation id sent with every request, if set (else the thread's).
    correlation_id: Option<Uuid>,
    /// A deadline this far from its start for every call (the earlier of it and the current).
    deadline_per_call: Option<Duration>,
    /// The TLS context when `SSL` is on, or why it could not be built (reported on connecting).
    tls: Result<Option<crate::transport::TlsClient>, String>,
    /// For a proxy over a connected socket ([`Proxy::connected`]): the socket, until its one
    /// connection takes it.
    connected: Option<Box<connected::Adoptable>>,
}

#[derive(Debug)]
struct Known {
    metadata: Metadata,
    /// `None` while the metadata came with a received proxy's state, before any handshake.
    handshake_response: Option<Value>,
    /// The daemon's TLS certificate chain seen on the latest handshake.
    peer_certificates: Vec<Vec<u8>>,
}

/// What a proxy for a `PYRONAME`/`PYROMETA` uri needs to resolve it.
#[derive(Debug)]
struct Naming {
    /// Where to look for the name server, and the settings of the name server proxy.
    config: Arc<Config>,
    /// The `PYRO` uri the latest connection was opened to.
    resolved: RwLock<Option<Uri>>,
}

impl Naming {
    fn new(config: Arc<Config>, resolved: Option<Uri>) -> Box<Naming> {
        Box::new(Naming { config, resolved: RwLock::new(resolved) })
    }

    fn resolve(&self, uri: &Uri) -> Result<Uri, Error> {
        naming::resolve_with_config(uri, &self.config)
    }

    fn resolved(&self) -> Option<Uri> {
        self.resolved.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn remember(&self, uri: Uri) {
        *self.resolved.write().unwrap_or_else(PoisonError::into_inner) = Some(uri);
    }
}

impl Proxy {
    /// A proxy for the object at `uri` with the process's settings ([`Config::environment`]:
    /// the defaults overridden by `PYRO_*` environment variables, as in Pyro5); connects lazily
    /// on the first call. If a `PYRO_*` variable is invalid the proxy uses [`Config::default`]
    /// (and a warning is printed once); [`Proxy::from_uri_str`] returns that error instead.
    ///
    /// ```
    /// use pyro::{proxy::Proxy, Uri};
    /// let proxy = Proxy::new(Uri::pyro("thing", "localhost", 9999).unwrap());
    /// assert_eq!(proxy.uri().object(), "thing");
    /// ```
    pub fn new(uri: Uri) -> Proxy {
        Proxy::with_config(uri, &Config::environment_or_default())
    }

    /// A proxy for the object at `uri` with settings from `config`: `serializer`,
    /// `comm_timeout`, `max_retries`, `compression` and `max_message_size`; for a `PYRONAME`
    /// or `PYROMETA` uri also the name server settings used to resolve it (`ns_host`, `ns_port`,
    /// `ns_broadcast_port`, `broadcast_addrs`, `ns_lookup_delay`, `ns_locations`, ...).
    ///
    /// ```
    /// use pyro::{proxy::Proxy, Config, Serializer};
    /// let config = Config { serializer: Some(Serializer::Json), max_retries: 2, ..Config::default() };
    /// let proxy = Proxy::with_config("PYRO:thing@localhost:9999".parse().unwrap(), &config);
    /// assert_eq!((proxy.serializer(), proxy.max_retries()), (Serializer::Json, 2));
    /// ```
    pub fn with_config(uri: Uri, config: &Config) -> Proxy {
        crate::logging::init_or_warn(config);
        let max_message_size = usize::try_from(config.max_message_size).unwrap_or(usize::MAX);
        let naming = (uri.protocol() != Protocol::Pyro).then(|| Naming::new(Arc::new(config.clone()), None));
        Proxy {
            uri,
            naming,
            serializer: SerializerChoice::new(config.serializer),
            serialize_options: SerializeOptions::from_config(config),
            timeout: normalize_timeout(config.comm_timeout),
            handshake: Value::from(DEFAULT_HANDSHAKE),
            max_retries: config.max_retries,
            options: EncodeOptions::new()
                .compression(config.compression)
                .max_message_size(max_message_size)
                .wire_log(config.log_wire.then_some("proxy")),
            known: RwLock::new(None),
            pool: Pool::new(DEFAULT_MAX_CONNECTIONS),
            stream_read_ahead: 1,
            annotations: Annotations::new(),
            correlation_id: None,
            deadline_per_call: None,
            tls: if config.ssl {
                crate::transport::TlsClient::from_config(config).map(Some).map_err(|e| e.to_string())
            } else {
                Ok(None)
            },
            connected: None,
        }
    }

    /// A proxy for the object at the URI text `uri`, with the process's settings
    /// ([`Config::environment`]). Fails on a bad URI or an invalid `PYRO_*` variable.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.uri().port(), Some(9999));
    /// assert!(pyro::proxy::Proxy::from_uri_str("not a uri").is_err());
    /// ```
    pub fn from_uri_str(uri: &str) -> Result<Proxy, Error> {
        let uri = uri.parse()?;
        Ok(Proxy::with_config(uri, &Config::environment()?))
    }

    /// The URI the proxy was made for (a `PYRONAME`/`PYROMETA` uri stays one; see
    /// [`resolved_uri`](Proxy::resolved_uri)).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.uri().to_string(), "PYRO:thing@localhost:9999");
    /// ```
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The `PYRO:` URI of the object the proxy talks to: its [`uri`](Proxy::uri) if that is a
    /// `PYRO:` URI, else what the name was resolved to when the latest connection was opened
    /// (`None` before the first one).
    ///
    /// ```
    /// use pyro::proxy::Proxy;
    /// let direct = Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(direct.resolved_uri().as_ref(), Some(direct.uri()));
    /// let named = Proxy::from_uri_str("PYRONAME:example.thing").unwrap();
    /// assert_eq!(named.resolved_uri(), None);
    /// ```
    pub fn resolved_uri(&self) -> Option<Uri> {
        match &self.naming {
            None => Some(self.uri.clone()),
            Some(naming) => naming.resolved(),
        }
    }

    /// The serializer used for calls.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.serializer(), pyro::Serializer::Msgpack);
    /// ```
    pub fn serializer(&self) -> Serializer {
        self.serializer.current()
    }

    /// Sets the serializer for later calls (Pyro5's `_pyroSerializer`); open connections are
    /// kept, since every message names its serializer.
    ///
    /// ```
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// proxy.set_serializer(pyro::Serializer::Json);
    /// assert_eq!(proxy.serializer(), pyro::Serializer::Json);
    /// ```
    pub fn set_serializer(&mut self, serializer: Serializer) {
        self.serializer.pin(serializer);
    }

    /// [`set_serializer`](Proxy::set_serializer), builder style.
    ///
    /// ```
    /// use pyro::{proxy::Proxy, Serializer};
    /// let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap().with_serializer(Serializer::Json);
    /// assert_eq!(proxy.serializer(), Serializer::Json);
    /// ```
    #[must_use]
    pub fn with_serializer(mut self, serializer: Serializer) -> Proxy {
        self.set_serializer(serializer);
        self
    }

    /// The timeout for connecting and for each send and receive; `None` waits forever.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.timeout(), None);
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sets the timeout (Pyro5's `_pyroTimeout`, `COMMTIMEOUT`); a zero duration means none. Open
    /// connections get the new timeout too. An expired timeout is [`Error::Timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// proxy.set_timeout(Some(Duration::from_secs(3)));
    /// assert_eq!(proxy.timeout(), Some(Duration::from_secs(3)));
    /// ```
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = normalize_timeout(timeout);
        let timeout = self.timeout;
        let mut broken = false;
        self.pool.for_each_idle(|conn| broken |= conn.set_timeout(timeout).is_err());
        if broken {
            self.pool.clear();
        }
    }

    /// The deadline each call of this proxy gets ([`set_deadline_per_call`](Proxy::set_deadline_per_call)).
    ///
    /// See [`Proxy::set_deadline_per_call`] for an example.
    pub fn deadline_per_call(&self) -> Option<Duration> {
        self.deadline_per_call
    }

    /// Gives every call of this proxy a [deadline](crate::deadline) `budget` from when it
    /// starts (retries included), or the current deadline if that is earlier (`None`: only the
    /// current one, the default). Unlike the [timeout](Proxy::set_timeout), which bounds each
    /// wait on the socket, the deadline bounds the whole call, travels to a pyro daemon with it
    /// and bounds the calls the remote method makes in turn. For one call, use
    /// [`deadline::within`](crate::deadline::within) instead.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// proxy.set_deadline_per_call(Some(Duration::from_millis(250)));
    /// assert_eq!(proxy.deadline_per_call(), Some(Duration::from_millis(250)));
    /// ```
    pub fn set_deadline_per_call(&mut self, budget: Option<Duration>) {
        self.deadline_per_call = budget;
    }

    /// [`set_deadline_per_call`](Proxy::set_deadline_per_call), builder style.
    ///
    /// ```
    /// use std::time::Duration;
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")
    ///     .unwrap()
    ///     .with_deadline_per_call(Some(Duration::from_secs(1)));
    /// assert_eq!(proxy.deadline_per_call(), Some(Duration::from_secs(1)));
    /// ```
    #[must_use]
    pub fn with_deadline_per_call(mut self, budget: Option<Duration>) -> Proxy {
        self.set_deadline_per_call(budget);
        self
    }

    /// [`set_timeout`](Proxy::set_timeout), builder style.
    ///
    /// ```
    /// use std::time::Duration;
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap()
    ///     .with_timeout(Some(Duration::from_millis(500)));
    /// assert_eq!(proxy.timeout(), Some(Duration::from_millis(500)));
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Proxy {
        self.set_timeout(timeout);
        self
    }

    /// The value sent in the CONNECT handshake (default `"hello"`).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.handshake().as_str(), Some("hello"));
    /// ```
    pub fn handshake(&self) -> &Value {
        &self.handshake
    }

    /// Sets the value sent in the handshake of later connections (Pyro5's `_pyroHandshake`; a
    /// daemon's `validateHandshake` sees it).
    ///
    /// ```
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// proxy.set_handshake("secret-token".into());
    /// assert_eq!(proxy.handshake().as_str(), Some("secret-token"));
    /// ```
    pub fn set_handshake(&mut self, handshake: Value) {
        self.handshake = handshake;
    }

    /// [`set_handshake`](Proxy::set_handshake), builder style.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap().with_handshake(42.into());
    /// assert_eq!(proxy.handshake().as_i64(), Some(42));
    /// ```
    #[must_use]
    pub fn with_handshake(mut self, handshake: Value) -> Proxy {
        self.set_handshake(handshake);
        self
    }

    /// The annotations sent with every request of this proxy (default: none).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.annotations().is_empty());
    /// ```
    pub fn annotations(&self) -> &Annotations {
        &self.annotations
    }

    /// Sets the annotations sent with every request of this proxy, the CONNECT handshake
    /// included (what a Pyro5 daemon reads as `current_context.annotations`). The calling
    /// thread's annotations ([`current_context::set_annotations`](crate::current_context::set_annotations),
    /// [`current_context::with_annotations`](crate::current_context::with_annotations) for one call) are sent too, after these; an id in
    /// both gets the thread's value.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let id = AnnotationId::try_from("XYZZ").unwrap();
    /// proxy.set_annotations([(id, b"from the proxy".to_vec())].into_iter().collect());
    /// assert_eq!(proxy.annotations().get(id), Some(&b"from the proxy"[..]));
    /// ```
    pub fn set_annotations(&mut self, annotations: Annotations) {
        self.annotations = annotations;
    }

    /// [`set_annotations`](Proxy::set_annotations), builder style.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let annotations: Annotations = [(AnnotationId::try_from("XYZZ").unwrap(), vec![1])].into_iter().collect();
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap().with_annotations(annotations);
    /// assert_eq!(proxy.annotations().len(), 1);
    /// ```
    #[must_use]
    pub fn with_annotations(mut self, annotations: Annotations) -> Proxy {
        self.set_annotations(annotations);
        self
    }

    /// The correlation id this proxy sends, if it was given one.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.correlation_id(), None);
    /// ```
    pub fn correlation_id(&self) -> Option<Uuid> {
        self.correlation_id
    }

    /// Gives this proxy a correlation id to send with every request (`None`: send the calling
    /// thread's, [`current_context::correlation_id`](crate::current_context::correlation_id), which inside an exposed method is the
    /// incoming call's; else none). The daemon hands it to the method
    /// ([`CallContext::correlation_id`](crate::dispatch::CallContext::correlation_id), Pyro5's
    /// `current_context.correlation_id`) and puts it on its reply.
    ///
    /// ```
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let id = uuid::Uuid::new_v4();
    /// proxy.set_correlation_id(Some(id));
    /// assert_eq!(proxy.correlation_id(), Some(id));
    /// ```
    pub fn set_correlation_id(&mut self, id: Option<Uuid>) {
        self.correlation_id = id;
    }

    /// [`set_correlation_id`](Proxy::set_correlation_id), builder style.
    ///
    /// ```
    /// let id = uuid::Uuid::new_v4();
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap().with_correlation_id(Some(id));
    /// assert_eq!(proxy.correlation_id(), Some(id));
    /// ```
    #[must_use]
    pub fn with_correlation_id(mut self, id: Option<Uuid>) -> Proxy {
        self.set_correlation_id(id);
        self
    }

    /// How often a call is retried after its connection closed or timed out.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.max_retries(), 0);
    /// ```
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// Sets how often a call is retried (on a new connection) after its connection closed or
    /// timed out (Pyro5's `MAX_RETRIES`). Beware: a retried call may run twice remotely.
    ///
    /// ```
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// proxy.set_max_retries(3);
    /// assert_eq!(proxy.max_retries(), 3);
    /// ```
    pub fn set_max_retries(&mut self, max_retries: u32) {
        self.max_retries = max_retries;
    }

    /// [`set_max_retries`](Proxy::set_max_retries), builder style.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap().with_max_retries(1);
    /// assert_eq!(proxy.max_retries(), 1);
    /// ```
    #[must_use]
    pub fn with_max_retries(mut self, max_retries: u32) -> Proxy {
        self.set_max_retries(max_retries);
        self
    }

    /// The most connections this proxy opens for concurrent calls.
    ///
    /// ```
    /// use pyro::proxy::{Proxy, DEFAULT_MAX_CONNECTIONS};
    /// let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.max_connections(), DEFAULT_MAX_CONNECTIONS);
    /// ```
    pub fn max_connections(&self) -> usize {
        self.pool.max()
    }

    /// Sets the most connections this proxy opens (at least 1). With 1, concurrent calls take
    /// turns on one connection, as with a Pyro5 proxy. Each connection occupies a worker of a
    /// thread-pool daemon.
    ///
    /// ```
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// proxy.set_max_connections(1);
    /// assert_eq!(proxy.max_connections(), 1);
    /// ```
    pub fn set_max_connections(&mut self, max: usize) {
        // A proxy over a connected socket has that one connection.
        self.pool.set_max(if self.connected.is_some() { 1 } else { max });
    }

    /// [`set_max_connections`](Proxy::set_max_connections), builder style.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap().with_max_connections(8);
    /// assert_eq!(proxy.max_connections(), 8);
    /// ```
    #[must_use]
    pub fn with_max_connections(mut self, max: usize) -> Proxy {
        self.set_max_connections(max);
        self
    }

    /// The object's metadata (exposed methods, oneway methods, attributes) from the last
    /// handshake; `None` before the first connection.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.metadata().is_none());
    /// ```
    pub fn metadata(&self) -> Option<Metadata> {
        self.known().map(|known| known.metadata.clone())
    }

    /// The daemon's handshake response from the last handshake (a Pyro5 daemon answers
    /// `"hello"` unless its `validateHandshake` returns something else).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.handshake_response().is_none());
    /// ```
    pub fn handshake_response(&self) -> Option<Value> {
        self.known().and_then(|known| known.handshake_response.clone())
    }

    /// The daemon's TLS certificate chain (DER, its own certificate first) seen on the latest
    /// connection (Pyro5's `self._pyroConnection.getpeercert()` in `_pyroValidateHandshake`);
    /// empty before connecting and without TLS (`SSL` off).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.peer_certificates().is_empty());
    /// ```
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        self.known().map(|known| known.peer_certificates.clone()).unwrap_or_default()
    }

    /// Connects now if no connection is open, fetching the metadata (Pyro5's `_pyroBind`); a
    /// `PYRONAME`/`PYROMETA` uri is resolved first (see [`resolved_uri`](Proxy::resolved_uri)).
    ///
    /// As a call, it is bounded by the current [deadline](crate::deadline) and the proxy's
    /// [`deadline_per_call`](Proxy::deadline_per_call), the earlier of the two: waiting for a
    /// connection of the pool, connecting, resolving a name and the handshake end at it, with
    /// an [`Error::Timeout`] ("... binding `<uri>`: the deadline passed").
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.bind()?;
    /// assert!(proxy.metadata().is_some());
    /// // Within 200 ms, or a timeout.
    /// pyro::deadline::within(std::time::Duration::from_millis(200), || proxy.bind())?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn bind(&self) -> Result<(), Error> {
        self.leased_by_deadline("binding", |lease, _| self.connect_lease(lease).map(drop))
    }

    /// Closes all idle connections (Pyro5's `_pyroRelease`); connections busy in calls close
    /// when their calls end. The next call connects again.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// proxy.release();
    /// ```
    pub fn release(&self) {
        self.pool.clear();
    }

    /// Releases the proxy's connections and connects again (Pyro5's `_pyroReconnect`): up to
    /// `tries` attempts, [`RECONNECT_INTERVAL`] apart, retrying on communication errors
    /// (refused, closed, timed out, rejected, garbled); after the last one
    /// [`Error::ConnectionClosed`] saying "failed to reconnect" (Pyro5's
    /// `ConnectionClosedError("failed to reconnect")`). Other errors (e.g. a name that does not
    /// resolve) end it at once. `tries` 0 fails at once, as in Pyro5. A `PYRONAME`/`PYROMETA`
    /// uri is resolved again on each attempt. A proxy over a connected socket
    /// ([`Proxy::connected`]) fails at once: it cannot make a new connection.
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// // ... the daemon restarted on the same port ...
    /// proxy.reconnect(10)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn reconnect(&self, tries: u32) -> Result<(), Error> {
        self.release();
        if self.connected.is_some() {
            // Its one connection is gone for good: no attempt could succeed (a Pyro5 proxy
            // would try `<<connected-socket>>:0` `tries` times, 2 seconds apart).
            return Err(Error::ConnectionClosed {
                context: format!("reconnecting to {}: failed to reconnect (over a connected socket)", self.uri),
            });
        }
        let mut left = tries;
        while left > 0 {
            tracing::debug!(target: "pyro::proxy", "reconnecting to {} ({left} tries left)", self.uri);
            match self.bind() {
                Ok(()) => return Ok(()),
                Err(error) if is_communication_error(&error) => {
                    tracing::debug!(target: "pyro::proxy", "reconnect to {} failed: {error}", self.uri);
                    left -= 1;
                    if left > 0 {
                        std::thread::sleep(RECONNECT_INTERVAL);
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Err(Error::ConnectionClosed { context: format!("reconnecting to {}: failed to reconnect", self.uri) })
    }

    /// The number of connections currently open (busy or idle).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.open_connections(), 0);
    /// ```
    pub fn open_connections(&self) -> usize {
        self.pool.counts().0
    }

    /// Sends a protocol-level PING on a connection (connecting first if needed) and waits for
    /// the daemon's answer. (Not the same as calling the daemon object's `ping` method.)
    ///
    /// Bounded as [`bind`](Proxy::bind) is (the current deadline and the proxy's
    /// [`deadline_per_call`](Proxy::deadline_per_call)): connecting, the handshake and the
    /// answer end at the deadline with an [`Error::Timeout`]; a connection whose answer is late
    /// is closed.
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.ping()?;
    /// pyro::deadline::within(std::time::Duration::from_millis(200), || proxy.ping())?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn ping(&self) -> Result<(), Error> {
        self.leased_by_deadline("pinging", |lease, deadline| {
            let by = deadline.map(|deadline| connection::by(deadline, self.timeout));
            self.connect_lease(lease)?.ping_by(by)
        })
    }

    /// Calls `method` with positional arguments `vargs` (anything that serializes as a sequence,
    /// e.g. a tuple: `&(1, "a")`, `&(x,)` for one argument, `&()` for none, a `Vec` or slice) and
    /// decodes the result as `R`. The
    /// arguments are serialized straight to bytes and the result deserialized straight into `R`,
    /// with no [`Value`] in between.
    ///
    /// A method the metadata lists as oneway is sent oneway (as Pyro5 does): then `call` does
    /// not wait and returns `R` deserialized from Python's `None` (works for `()`, `Option<T>`
    /// and [`Value`]; other types give a [`Error::Serialize`] after the call was sent).
    ///
    /// A method the object does not expose fails locally, without network traffic once the
    /// metadata is known, with the `builtins.AttributeError` the daemon would raise
    /// (`"remote object '<uri>' has no exposed attribute or method '<name>'"`).
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let sum: i64 = proxy.call("add", &(1, 2))?;
    /// let nothing: () = proxy.call("reset", &())?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call<A, R>(&self, method: &str, vargs: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call_with_kwargs(method, vargs, &EmptyKwargs)
    }

    /// [`call`](Proxy::call) with keyword arguments: `kwargs` must serialize as a map with
    /// string keys (a [`Dict`], a `BTreeMap<String, T>`, ...).
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let kwargs = BTreeMap::from([("polite", true)]);
    /// let greeting: String = proxy.call_with_kwargs("greet", &("bob",), &kwargs)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_with_kwargs<A, K, R>(&self, method: &str, vargs: &A, kwargs: &K) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let encode = |object: &str| self.encode_call(object, method, vargs, Some(kwargs));
        match self.invoke(method, Flags::EMPTY, Check::Method, encode)? {
            Some(reply) => self.decode_reply(method, &reply),
            None => Ok(from_value(Value::None)?),
        }
    }

    /// Calls `method` oneway: sends the call and returns without waiting for a reply (the daemon
    /// runs it in its own thread and never answers, not even with an error).
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.call_oneway("notify", &("started",))?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_oneway<A: Serialize + ?Sized>(&self, method: &str, vargs: &A) -> Result<(), Error> {
        self.call_oneway_with_kwargs(method, vargs, &EmptyKwargs)
    }

    /// [`call_oneway`](Proxy::call_oneway) with keyword arguments (a map with string keys).
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.call_oneway_with_kwargs("notify", &("started",), &BTreeMap::from([("level", 2)]))?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_oneway_with_kwargs<A, K>(&self, method: &str, vargs: &A, kwargs: &K) -> Result<(), Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        let encode = |object: &str| self.encode_call(object, method, vargs, Some(kwargs));
        self.invoke(method, Flags::ONEWAY, Check::Method, encode).map(drop)
    }

    /// Dynamic call: positional and keyword arguments as [`Value`]s, the result as a [`Value`].
    /// Oneway methods (from the metadata) return [`Value::None`] without waiting.
    ///
    /// ```no_run
    /// use pyro::value::{Dict, Value};
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let result = proxy.call_value("add", vec![Value::Int(1), Value::Int(2)], Dict::new())?;
    /// assert_eq!(result.as_i64(), Some(3));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_value(&self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> Result<Value, Error> {
        self.call_with_kwargs(method, &vargs, &kwargs)
    }

    /// Serializes a call to `object`; `()` as positional arguments becomes an empty sequence.
    pub(crate) fn encode_call<A, K>(
        &self,
        object: &str,
        method: &str,
        vargs: &A,
        kwargs: Option<&K>,
    ) -> Result<Vec<u8>, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        Ok(if args::is_unit(vargs) {
            self.serializer().encode_call_with(self.serialize_options, object, method, &[(); 0], kwargs)?
        } else {
            self.serializer().encode_call_with(self.serialize_options, object, method, vargs, kwargs)?
        })
    }

    fn known(&self) -> Option<Arc<Known>> {
        self.known.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The serializer to open a connection with, and the one to fall back to when the daemon
    /// closes the connection at the handshake without a reply (only while negotiating).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn handshake_serializers(&self) -> (Serializer, Option<Serializer>) {
        self.serializer.for_handshake()
    }

    /// For a `PYRONAME`/`PYROMETA` uri: the settings to find the name server with.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn naming_config(&self) -> Option<&Arc<Config>> {
        self.naming.as_ref().map(|naming| &naming.config)
    }

    /// The TLS context when `SSL` is on (an error if it could not be built).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn tls_client(&self) -> Result<Option<&crate::transport::TlsClient>, Error> {
        self.tls.as_ref().map(Option::as_ref).map_err(|message| Error::Tls { message: message.clone() })
    }

    /// How messages are encoded (compression, maximum size, wire log).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn encode_options(&self) -> EncodeOptions {
        self.options
    }

    /// How calls are serialized (`SERPENT_BYTES_REPR`).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn serialize_options(&self) -> SerializeOptions {
        self.serialize_options
    }
}

impl Clone for Proxy {
    /// A new, unconnected proxy with the same URI, settings and known metadata (Pyro5's
    /// `__copy__`).
    fn clone(&self) -> Proxy {
        Proxy {
            uri: self.uri.clone(),
            naming: self.naming.as_ref().map(|naming| Naming::new(naming.config.clone(), naming.resolved())),
            serializer: self.serializer.clone(),
            serialize_options: self.serialize_options,
            timeout: self.timeout,
            handshake: self.handshake.clone(),
            max_retries: self.max_retries,
            options: self.options,
            known: RwLock::new(self.known()),
            pool: Pool::new(self.pool.max()),
            stream_read_ahead: self.stream_read_ahead,
            annotations: self.annotations.clone(),
            correlation_id: self.correlation_id,
            deadline_per_call: self.deadline_per_call,
            tls: self.tls.clone(),
            // Pyro5's copy of a connected proxy is unconnected too (and cannot connect).
            connected: None,
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (open, idle) = self.pool.counts();
        f.debug_struct("Proxy")
            .field("uri", &self.uri.to_string())
            .field("serializer", &self.serializer())
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("deadline_per_call", &self.deadline_per_call)
            .field("max_connections", &self.pool.max())
            .field("open_connections", &open)
            .field("idle_connections", &idle)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Proxy {
    /// Pyro5's `repr`-like text: `<pyro.Proxy at PYRO:obj@host:port>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<pyro.Proxy at {}>", self.uri)
    }
}

/// An empty keyword-argument map, serialized without allocating.
pub(crate) struct EmptyKwargs;

impl Serialize for EmptyKwargs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

/// Pyro5 treats a zero timeout as none.
pub(crate) fn normalize_timeout(timeout: Option<Duration>) -> Option<Duration> {
    timeout.filter(|t| !t.is_zero())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn proxy_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Proxy>();
    }

    #[test]
    fn an_unresolvable_name_is_a_naming_error_and_leaves_no_connection() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        for uri in [format!("PYRONAME:example.thing@127.0.0.1:{port}"), format!("PYROMETA:a,b@127.0.0.1:{port}")] {
            let proxy = Proxy::from_uri_str(&uri).unwrap();
            let err = proxy.call::<_, Value>("x", &()).unwrap_err();
            assert!(matches!(&err, Error::Naming { message } if message.starts_with("Failed to locate")), "{err}");
            assert_eq!(proxy.open_connections(), 0);
            assert_eq!(proxy.resolved_uri(), None);
            assert!(proxy.bind().is_err());
        }
    }

    #[test]
    fn only_name_uris_carry_naming_settings() {
        assert!(Proxy::from_uri_str("PYRO:x@localhost:1").unwrap().naming.is_none());
        let config = Config { ns_port: 7777, ..Config::default() };
        let proxy = Proxy::with_config("PYRONAME:x".parse().unwrap(), &config);
        assert_eq!(proxy.naming.as_ref().unwrap().config.ns_port, 7777);
        assert_eq!(proxy.clone().naming.unwrap().config.ns_port, 7777);
    }

    #[test]
    fn empty_kwargs_serialize_as_an_empty_map() {
        assert_eq!(Serializer::Json.to_bytes(&EmptyKwargs).unwrap(), b"{}");
        assert_eq!(Serializer::Msgpack.to_bytes(&EmptyKwargs).unwrap(), [0x80]);
    }

    #[test]
    fn config_settings_are_used() {
        let config = Config {
            serializer: Some(Serializer::Json),
            comm_timeout: Some(Duration::from_secs(2)),
            max_retries: 3,
            compression: true,
            ..Config::default()
        };
        let proxy = Proxy::with_config("PYRO:x@localhost:1".parse().unwrap(), &config);
        assert_eq!(proxy.serializer(), Serializer::Json);
        assert_eq!(proxy.timeout(), Some(Duration::from_secs(2)));
        assert_eq!(proxy.max_retries(), 3);
        assert!(proxy.options.compression);
        let copy = proxy.clone().with_timeout(Some(Duration::ZERO));
        assert_eq!(copy.timeout(), None);
        assert_eq!(copy.to_string(), "<pyro.Proxy at PYRO:x@localhost:1>");
    }
}
