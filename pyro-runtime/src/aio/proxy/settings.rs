//! The async proxy's settings and what it knows about its object: the same settings as the
//! blocking [`Proxy`](crate::proxy::Proxy), kept by the blocking proxy it wraps.

use std::time::Duration;

use uuid::Uuid;

use super::Proxy;
use crate::Uri;
use crate::dispatch::Metadata;
use crate::protocol::Annotations;
use crate::serializer::{ProxyState, Serializer};
use crate::value::Value;

impl Proxy {
    /// The URI the proxy was made for.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.uri().to_string(), "PYRO:thing@localhost:9999");
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn uri(&self) -> &Uri {
        self.core.uri()
    }

    /// The `PYRO:` URI of the object the latest connection talks to (see
    /// [`proxy::Proxy::resolved_uri`](crate::proxy::Proxy::resolved_uri)).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRONAME:example.thing")?;
    /// assert_eq!(proxy.resolved_uri(), None);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn resolved_uri(&self) -> Option<Uri> {
        self.core.resolved_uri()
    }

    /// The serializer used for calls.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.serializer(), pyro::Serializer::Msgpack);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn serializer(&self) -> Serializer {
        self.core.serializer()
    }

    /// Sets the serializer for later calls.
    ///
    /// ```
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_serializer(pyro::Serializer::Json);
    /// assert_eq!(proxy.serializer(), pyro::Serializer::Json);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_serializer(&mut self, serializer: Serializer) {
        self.core.set_serializer(serializer);
    }

    /// [`set_serializer`](Proxy::set_serializer), builder style.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_serializer(pyro::Serializer::Json);
    /// assert_eq!(proxy.serializer(), pyro::Serializer::Json);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_serializer(mut self, serializer: Serializer) -> Proxy {
        self.set_serializer(serializer);
        self
    }

    /// The timeout for connecting and for each send and each reply; `None` waits forever.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.timeout(), None);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        self.core.timeout()
    }

    /// Sets the timeout (Pyro5's `_pyroTimeout`; zero means none) for later sends and replies,
    /// on open connections too. An expired timeout is [`Error::Timeout`](crate::Error::Timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_timeout(Some(Duration::from_secs(3)));
    /// assert_eq!(proxy.timeout(), Some(Duration::from_secs(3)));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.core.set_timeout(timeout);
    }

    /// [`set_timeout`](Proxy::set_timeout), builder style.
    ///
    /// ```
    /// use std::time::Duration;
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_timeout(Some(Duration::from_secs(1)));
    /// assert_eq!(proxy.timeout(), Some(Duration::from_secs(1)));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Proxy {
        self.set_timeout(timeout);
        self
    }

    /// The value sent in the CONNECT handshake (default `"hello"`).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.handshake().as_str(), Some("hello"));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn handshake(&self) -> &Value {
        self.core.handshake()
    }

    /// Sets the value sent in the handshake of later connections (Pyro5's `_pyroHandshake`).
    ///
    /// ```
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_handshake("secret".into());
    /// assert_eq!(proxy.handshake().as_str(), Some("secret"));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_handshake(&mut self, handshake: Value) {
        self.core.set_handshake(handshake);
    }

    /// [`set_handshake`](Proxy::set_handshake), builder style.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_handshake(42.into());
    /// assert_eq!(proxy.handshake().as_i64(), Some(42));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_handshake(mut self, handshake: Value) -> Proxy {
        self.set_handshake(handshake);
        self
    }

    /// The annotations sent with every request (before those of the thread that started the
    /// call, see [`current_context`](crate::current_context)).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert!(proxy.annotations().is_empty());
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn annotations(&self) -> &Annotations {
        self.core.annotations()
    }

    /// Sets the annotations sent with every request (the thread's
    /// [`current_context::set_annotations`] are added to them, as taken when a call starts).
    ///
    /// [`current_context::set_annotations`]: crate::current_context::set_annotations
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let annotations: Annotations = [(AnnotationId::try_from("XYZZ")?, b"hi".to_vec())].into_iter().collect();
    /// proxy.set_annotations(annotations);
    /// assert_eq!(proxy.annotations().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_annotations(&mut self, annotations: Annotations) {
        self.core.set_annotations(annotations);
    }

    /// [`set_annotations`](Proxy::set_annotations), builder style.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_annotations(Default::default());
    /// assert!(proxy.annotations().is_empty());
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_annotations(mut self, annotations: Annotations) -> Proxy {
        self.set_annotations(annotations);
        self
    }

    /// The correlation id sent with every request, if set.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.correlation_id(), None);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn correlation_id(&self) -> Option<Uuid> {
        self.core.correlation_id()
    }

    /// Sets the correlation id sent with every request (`None`: the thread's, if any).
    ///
    /// ```
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let id = pyro::uuid::Uuid::new_v4();
    /// proxy.set_correlation_id(Some(id));
    /// assert_eq!(proxy.correlation_id(), Some(id));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_correlation_id(&mut self, id: Option<Uuid>) {
        self.core.set_correlation_id(id);
    }

    /// [`set_correlation_id`](Proxy::set_correlation_id), builder style.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_correlation_id(None);
    /// assert_eq!(proxy.correlation_id(), None);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_correlation_id(mut self, id: Option<Uuid>) -> Proxy {
        self.set_correlation_id(id);
        self
    }

    /// How often a call whose connection closed or timed out is sent again (Pyro5's
    /// `MAX_RETRIES`, default 0).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.max_retries(), 0);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn max_retries(&self) -> u32 {
        self.core.max_retries()
    }

    /// Sets [`max_retries`](Proxy::max_retries).
    ///
    /// ```
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_max_retries(2);
    /// assert_eq!(proxy.max_retries(), 2);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_max_retries(&mut self, max_retries: u32) {
        self.core.set_max_retries(max_retries);
    }

    /// [`set_max_retries`](Proxy::set_max_retries), builder style.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_max_retries(1);
    /// assert_eq!(proxy.max_retries(), 1);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_max_retries(mut self, max_retries: u32) -> Proxy {
        self.set_max_retries(max_retries);
        self
    }

    /// The most connections this proxy opens for concurrent calls.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.max_connections(), pyro::proxy::DEFAULT_MAX_CONNECTIONS);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn max_connections(&self) -> usize {
        self.pool.max()
    }

    /// Sets the most connections this proxy opens (at least 1); calls beyond it wait for a
    /// connection.
    ///
    /// ```
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_max_connections(16);
    /// assert_eq!(proxy.max_connections(), 16);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_max_connections(&mut self, max: usize) {
        self.core.set_max_connections(max);
        // A proxy over a connected socket has that one connection.
        self.pool.set_max(if self.connected.is_some() { 1 } else { max });
    }

    /// [`set_max_connections`](Proxy::set_max_connections), builder style.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_max_connections(1);
    /// assert_eq!(proxy.max_connections(), 1);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_max_connections(mut self, max: usize) -> Proxy {
        self.set_max_connections(max);
        self
    }

    /// The deadline each call of this proxy gets (see
    /// [`set_deadline_per_call`](Proxy::set_deadline_per_call)).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.deadline_per_call(), None);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn deadline_per_call(&self) -> Option<Duration> {
        self.core.deadline_per_call()
    }

    /// Gives each later call of this proxy a [deadline](crate::deadline) `budget` from its
    /// start (`None`: none), as
    /// [`proxy::Proxy::set_deadline_per_call`](crate::proxy::Proxy::set_deadline_per_call)
    /// does: the call's deadline is the earlier of it and the current one
    /// ([`within_async`](crate::deadline::within_async)); past it a call fails with
    /// [`Error::Timeout`](crate::Error::Timeout) without being sent, else the time left travels with the request and
    /// the wait (for a connection, connecting, the reply) ends at the deadline, closing the
    /// connection of a late reply. No retry is made past it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_deadline_per_call(Some(Duration::from_millis(250)));
    /// assert_eq!(proxy.deadline_per_call(), Some(Duration::from_millis(250)));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_deadline_per_call(&mut self, budget: Option<Duration>) {
        self.core.set_deadline_per_call(budget);
    }

    /// [`set_deadline_per_call`](Proxy::set_deadline_per_call), builder style.
    ///
    /// ```
    /// use std::time::Duration;
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?
    ///     .with_deadline_per_call(Some(Duration::from_secs(1)));
    /// assert_eq!(proxy.deadline_per_call(), Some(Duration::from_secs(1)));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_deadline_per_call(mut self, budget: Option<Duration>) -> Proxy {
        self.set_deadline_per_call(budget);
        self
    }

    /// How many `get_next_stream_item` requests the item streams of this proxy keep in flight
    /// (1, the default, is Pyro5's one round trip per item).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.stream_read_ahead(), 1);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn stream_read_ahead(&self) -> usize {
        self.core.stream_read_ahead()
    }

    /// Lets the item streams this proxy opens from now on keep up to `n`
    /// `get_next_stream_item` requests in flight (between 1 and
    /// [`MAX_STREAM_READ_AHEAD`](crate::proxy::MAX_STREAM_READ_AHEAD)), with the rules of the
    /// blocking [`proxy::Proxy::set_stream_read_ahead`](crate::proxy::Proxy::set_stream_read_ahead)
    /// (see [`RemoteStream`](crate::aio::RemoteStream)).
    ///
    /// ```
    /// let mut proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_stream_read_ahead(1000);
    /// assert_eq!(proxy.stream_read_ahead(), pyro::proxy::MAX_STREAM_READ_AHEAD);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_stream_read_ahead(&mut self, n: usize) {
        self.core.set_stream_read_ahead(n);
    }

    /// [`set_stream_read_ahead`](Proxy::set_stream_read_ahead), builder style.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_stream_read_ahead(32);
    /// assert_eq!(proxy.stream_read_ahead(), 32);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_stream_read_ahead(mut self, n: usize) -> Proxy {
        self.set_stream_read_ahead(n);
        self
    }

    /// The object's metadata from the last handshake; `None` before the first connection.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert!(proxy.metadata().is_none());
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn metadata(&self) -> Option<Metadata> {
        self.core.metadata()
    }

    /// The daemon's handshake response from the last handshake.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert!(proxy.handshake_response().is_none());
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn handshake_response(&self) -> Option<Value> {
        self.core.handshake_response()
    }

    /// The daemon's TLS certificate chain seen on the latest connection (empty without TLS).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert!(proxy.peer_certificates().is_empty());
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        self.core.peer_certificates()
    }

    /// The number of connections open (busy or idle).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.open_connections(), 0);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn open_connections(&self) -> usize {
        self.pool.open()
    }

    /// What this proxy sends of itself (Pyro5's `Proxy.__getstate__`; see
    /// [`proxy::Proxy::state`](crate::proxy::Proxy::state)).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.state().uri.to_string(), "PYRO:thing@localhost:9999");
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn state(&self) -> ProxyState {
        self.core.state()
    }

    /// The proxy as a [`Value`]: Pyro5's `Pyro5.client.Proxy` class dict.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(pyro::serializer::class_name(&proxy.to_value()), Some("Pyro5.client.Proxy"));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn to_value(&self) -> Value {
        self.core.to_value()
    }
}
