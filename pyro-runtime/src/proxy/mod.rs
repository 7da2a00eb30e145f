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
//! to a `PYRO:` URI ([`naming::resolve_with_config`](crate::naming::resolve_with_config): finds the name server, looks the name up,
//! or picks one of the registrations having all the tags) whenever it opens a connection: on
//! the first call or [`bind`](Proxy::bind), and again on every reconnect, so a re-registered
//! object is found at its new address. Each connection talks to the object it was resolved to;
//! [`Proxy::uri`] stays the URI given and [`Proxy::resolved_uri`] is the `PYRO:` URI of the
//! latest connection. (Pyro5's `_pyroBind` replaces the proxy's URI with the resolved one for
//! good; to pin a resolution, make a proxy for [`Proxy::resolved_uri`].) The name server is
//! found and its proxy configured with the [`Config`](crate::Config) given to [`Proxy::with_config`]
//! ([`Config::environment`](crate::Config::environment) for [`Proxy::new`], which honours `PYRO_NS_HOST` and friends).
//! With several name server locations ([`Config::ns_locations`](crate::Config::ns_locations)) or several answering a
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
mod binding;
mod blob;
pub(crate) mod connected;
pub(crate) mod connection;
mod construct;
mod invoke;
mod pool;
pub(crate) mod raw;
mod resolution;
mod serializer_choice;
mod settings;
pub(crate) mod stream;
mod wire;

pub use connected::CONNECTED_SOCKET_HOST;
pub use raw::RawReply;
pub use stream::{MAX_STREAM_READ_AHEAD, RemoteIter};

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::dispatch::Metadata;
use crate::protocol::{Annotations, EncodeOptions, Flags};
use crate::serializer::SerializeOptions;
use crate::value::{Dict, Value, from_value};
use crate::{Error, Uri};
use resolution::Naming;
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
/// Built from a `PYRO:` URI with defaults from [`Config::default`](crate::Config::default) ([`Proxy::new`]) or from a
/// given [`Config`](crate::Config) ([`Proxy::with_config`]); the serializer, timeout, handshake value, retries
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

// The calls stay beside the type: a compiler error about their bounds then names them
// `Proxy::call` (a typed proxy's generated code calls them).
impl Proxy {
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
    use crate::Config;
    use crate::serializer::Serializer;

    #[test]
    fn proxy_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Proxy>();
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
