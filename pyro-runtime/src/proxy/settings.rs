//! A [`Proxy`]'s settings: serializer, timeout, deadline per call, handshake value,
//! annotations, correlation id, retries and pool size (getters, setters and builders), and the
//! crate's views of the settings the async proxy shares.

use std::time::Duration;

use uuid::Uuid;

use super::{Proxy, normalize_timeout};
use crate::Error;
use crate::protocol::{Annotations, EncodeOptions};
use crate::serializer::{SerializeOptions, Serializer};
use crate::value::Value;

impl Proxy {
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

    /// The serializer to open a connection with, and the one to fall back to when the daemon
    /// closes the connection at the handshake without a reply (only while negotiating).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn handshake_serializers(&self) -> (Serializer, Option<Serializer>) {
        self.serializer.for_handshake()
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
