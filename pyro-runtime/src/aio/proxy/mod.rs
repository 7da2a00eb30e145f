//! [`Proxy`]: the async proxy, a tokio driver of the same client session, settings and call
//! logic as the blocking [`proxy::Proxy`](crate::proxy::Proxy).

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::connection::Connection;
use super::pool::{Lease, Pool};
use crate::protocol::{AnnotationId, Flags, Message};
use crate::proxy::{
    Annotate, Check, EmptyKwargs, GETATTR, RECONNECT_INTERVAL, RawReply, SETATTR, is_communication_error, is_retried_by,
};
use crate::value::{Dict, Value, from_value};
use crate::{Config, Deadline, Error, SerializedBlob, Uri, current_context};

mod settings;

/// An async proxy for a remote object: the async twin of the blocking
/// [`proxy::Proxy`](crate::proxy::Proxy), with the same settings, the same call shapes (each an
/// `async fn`) and the same errors, on tokio.
///
/// It is `Send + Sync`: share it between tasks (by reference or in an `Arc`); it keeps a small
/// pool of connections as the blocking proxy does (see
/// [`set_max_connections`](Proxy::set_max_connections)). Dropping a call's future at any point
/// leaves the proxy usable: a connection whose exchange did not finish is closed, never reused.
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// use pyro::value::{Dict, Value};
/// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
/// let sum: i64 = proxy.call("add", &(1, 2)).await?;
/// let value = proxy.call_value("add", vec![1.into(), 2.into()], Dict::new()).await?;
/// proxy.call_oneway("notify", &("event",)).await?;
/// # Ok(()) }
/// ```
pub struct Proxy {
    /// The settings and the call logic shared with the blocking proxy (its own connections are
    /// never used).
    core: crate::proxy::Proxy,
    pool: Arc<Pool>,
    /// For a proxy over a connected socket ([`Proxy::connected`]): its one connection's socket.
    pub(super) connected: Option<Arc<super::connected::Adoptable>>,
}

impl Proxy {
    /// A proxy for the object at `uri` with the process's settings ([`Config::environment`],
    /// the defaults if a `PYRO_*` variable is invalid); connects on the first call.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::new(pyro::Uri::pyro("thing", "localhost", 9999).unwrap());
    /// assert_eq!(proxy.uri().object(), "thing");
    /// ```
    pub fn new(uri: Uri) -> Proxy {
        Proxy::from_blocking(crate::proxy::Proxy::new(uri))
    }

    /// A proxy for the object at `uri` with the settings of `config` (as
    /// [`proxy::Proxy::with_config`](crate::proxy::Proxy::with_config)).
    ///
    /// ```
    /// use pyro::{aio::Proxy, Config, Serializer};
    /// let config = Config { serializer: Some(Serializer::Json), max_retries: 2, ..Config::default() };
    /// let proxy = Proxy::with_config("PYRO:thing@localhost:9999".parse().unwrap(), &config);
    /// assert_eq!((proxy.serializer(), proxy.max_retries()), (Serializer::Json, 2));
    /// ```
    pub fn with_config(uri: Uri, config: &Config) -> Proxy {
        Proxy::from_blocking(crate::proxy::Proxy::with_config(uri, config))
    }

    /// A proxy for the object at the URI text `uri` with the process's settings. Fails on a
    /// bad URI or an invalid `PYRO_*` variable.
    ///
    /// ```
    /// assert!(pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999").is_ok());
    /// assert!(pyro::aio::Proxy::from_uri_str("not a uri").is_err());
    /// ```
    pub fn from_uri_str(uri: &str) -> Result<Proxy, Error> {
        crate::proxy::Proxy::from_uri_str(uri).map(Proxy::from_blocking)
    }

    /// An async proxy with the settings (and the known metadata) of a blocking one; the
    /// blocking proxy's connections are not taken over. A blocking proxy over a connected
    /// socket cannot be made async: the async proxy's calls fail at once with a communication
    /// error saying so (use [`Proxy::connected`] with a tokio stream instead).
    ///
    /// ```
    /// let blocking = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_max_retries(3);
    /// let proxy = pyro::aio::Proxy::from_blocking(blocking);
    /// assert_eq!(proxy.max_retries(), 3);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn from_blocking(core: crate::proxy::Proxy) -> Proxy {
        let connected = core.is_over_connected_socket().then(|| Arc::new(super::connected::Adoptable::from_blocking()));
        let pool = Arc::new(Pool::new(if connected.is_some() { 1 } else { core.max_connections() }));
        Proxy { core, pool, connected }
    }

    /// A new, unconnected blocking proxy with this proxy's settings and known metadata.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.to_blocking().uri(), proxy.uri());
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn to_blocking(&self) -> crate::proxy::Proxy {
        self.core.clone()
    }

    /// Connects now if no connection is open, fetching the metadata (Pyro5's `_pyroBind`); a
    /// `PYRONAME`/`PYROMETA` uri is resolved first.
    ///
    /// Bounded as a call is, as the blocking [`bind`](crate::proxy::Proxy::bind): by the
    /// current [deadline](crate::deadline) (the task's or the thread's) and the proxy's
    /// [`deadline_per_call`](Proxy::deadline_per_call), the earlier of the two; waiting for a
    /// connection of the pool, connecting, resolving a name and the handshake end at it with
    /// an [`Error::Timeout`].
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.bind().await?;
    /// assert!(proxy.metadata().is_some());
    /// pyro::deadline::within_async(std::time::Duration::from_millis(200), proxy.bind()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn bind(&self) -> Result<(), Error> {
        let thread = current_context::outgoing();
        let (deadline, per_call) = self.core.call_deadline();
        let expired = |deadline: Deadline| self.core.expired_while("binding", deadline);
        let bind = async {
            if let Some(deadline) = deadline.filter(Deadline::is_past) {
                return Err(expired(deadline));
            }
            let mut lease = until(deadline, &expired, async { Ok(self.pool.lease().await) }).await?;
            until(deadline, &expired, self.connect_lease(&mut lease, &thread)).await?;
            lease.give_back();
            Ok(())
        };
        match per_call {
            Some(_) => crate::deadline::enter_async(deadline, bind).await,
            None => bind.await,
        }
    }

    /// Closes all idle connections (Pyro5's `_pyroRelease`); busy ones close when their calls
    /// end.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.release();
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn release(&self) {
        self.pool.clear();
    }

    /// Releases the connections and connects again (Pyro5's `_pyroReconnect`), with the
    /// blocking proxy's rules: up to `tries` attempts, [`RECONNECT_INTERVAL`] apart (a tokio
    /// sleep), retrying on communication errors, then [`Error::ConnectionClosed`] ("failed to
    /// reconnect"); other errors end it at once; a name is resolved again on each attempt.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.reconnect(10).await?;
    /// # Ok(()) }
    /// ```
    pub async fn reconnect(&self, tries: u32) -> Result<(), Error> {
        self.release();
        if self.connected.is_some() {
            // It cannot make a new connection (as the blocking proxy, it fails at once).
            return Err(Error::ConnectionClosed {
                context: format!("reconnecting to {}: failed to reconnect (over a connected socket)", self.uri()),
            });
        }
        let mut left = tries;
        while left > 0 {
            tracing::debug!(target: "pyro::proxy", "reconnecting to {} ({left} tries left)", self.uri());
            match self.bind().await {
                Ok(()) => return Ok(()),
                Err(error) if is_communication_error(&error) => {
                    tracing::debug!(target: "pyro::proxy", "reconnect to {} failed: {error}", self.uri());
                    left -= 1;
                    if left > 0 {
                        tokio::time::sleep(RECONNECT_INTERVAL).await;
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Err(Error::ConnectionClosed { context: format!("reconnecting to {}: failed to reconnect", self.uri()) })
    }

    /// Sends a protocol-level PING (connecting first if needed) and waits for the answer.
    ///
    /// Bounded as [`bind`](Proxy::bind) is: connecting, the handshake and the answer end at
    /// the deadline with an [`Error::Timeout`]; a connection whose answer is late is closed.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.ping().await?;
    /// pyro::deadline::within_async(std::time::Duration::from_millis(200), proxy.ping()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn ping(&self) -> Result<(), Error> {
        let thread = current_context::outgoing();
        let (deadline, per_call) = self.core.call_deadline();
        let expired = |deadline: Deadline| self.core.expired_while("pinging", deadline);
        let ping = async {
            if let Some(deadline) = deadline.filter(Deadline::is_past) {
                return Err(expired(deadline));
            }
            let mut lease = until(deadline, &expired, async { Ok(self.pool.lease().await) }).await?;
            let conn = until(deadline, &expired, self.connect_lease(&mut lease, &thread)).await?;
            conn.set_timeout(self.core.timeout());
            // On error (or past the deadline) the lease is dropped, closing the connection.
            until(deadline, &expired, conn.ping()).await?;
            lease.give_back();
            Ok(())
        };
        match per_call {
            Some(_) => crate::deadline::enter_async(deadline, ping).await,
            None => ping.await,
        }
    }

    /// Calls `method` with positional arguments `vargs` (a tuple, `&()` for none, a `Vec`) and
    /// decodes the result as `R`, as [`proxy::Proxy::call`](crate::proxy::Proxy::call) does:
    /// oneway methods (from the metadata) do not wait, unexposed ones fail locally, a remote
    /// exception is [`Error::Remote`].
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let sum: i64 = proxy.call("add", &(1, 2)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call<A, R>(&self, method: &str, vargs: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call_with_kwargs(method, vargs, &EmptyKwargs).await
    }

    /// [`call`](Proxy::call) with keyword arguments (a map with string keys).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// use std::collections::BTreeMap;
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let text: String = proxy.call_with_kwargs("greet", &("bob",), &BTreeMap::from([("polite", true)])).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_with_kwargs<A, K, R>(&self, method: &str, vargs: &A, kwargs: &K) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let encode = |object: &str| self.core.encode_call(object, method, vargs, Some(kwargs));
        match self.invoke(method, Flags::EMPTY, Check::Method, &encode, None).await? {
            Some(reply) => self.decode_reply(method, &reply).await,
            None => Ok(from_value(Value::None)?),
        }
    }

    /// Dynamic call: arguments as [`Value`]s, the result as a [`Value`].
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// use pyro::value::{Dict, Value};
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let result = proxy.call_value("add", vec![Value::Int(1), Value::Int(2)], Dict::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_value(&self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> Result<Value, Error> {
        self.call_with_kwargs(method, &vargs, &kwargs).await
    }

    /// Calls `method` oneway: returns once the call is sent.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.call_oneway("notify", &("started",)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_oneway<A: Serialize + ?Sized>(&self, method: &str, vargs: &A) -> Result<(), Error> {
        self.call_oneway_with_kwargs(method, vargs, &EmptyKwargs).await
    }

    /// [`call_oneway`](Proxy::call_oneway) with keyword arguments.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// use std::collections::BTreeMap;
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.call_oneway_with_kwargs("notify", &("started",), &BTreeMap::from([("level", 2)])).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_oneway_with_kwargs<A, K>(&self, method: &str, vargs: &A, kwargs: &K) -> Result<(), Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        let encode = |object: &str| self.core.encode_call(object, method, vargs, Some(kwargs));
        self.invoke(method, Flags::ONEWAY, Check::Method, &encode, None).await.map(drop)
    }

    /// Calls `method` with `blob` as its only argument, as Pyro5 sends a `SerializedBlob`
    /// (see [`proxy::Proxy::call_blob`](crate::proxy::Proxy::call_blob)).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let listener = pyro::aio::Proxy::from_uri_str("PYRO:listener@localhost:9999")?;
    /// let blob = pyro::SerializedBlob::new("news", &("hello",))?;
    /// let () = listener.call_blob("process_blob", &blob).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_blob<R: DeserializeOwned>(&self, method: &str, blob: &SerializedBlob) -> Result<R, Error> {
        let core = &self.core;
        let encode = |object: &str| blob.call_payload(core.serializer(), core.serialize_options(), object, method);
        let annotate = |object: &str| Ok((AnnotationId::BLOB_INFO, blob.annotation(object, method)?));
        match self.invoke(method, Flags::KEEPSERIALIZED, Check::Method, &encode, Some(&annotate)).await? {
            Some(reply) => self.decode_reply(method, &reply).await,
            None => Ok(from_value(Value::None)?),
        }
    }

    /// Reads the remote attribute `name` (Pyro5's `__getattr__` call).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let count: i64 = proxy.get_attribute("count").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_attribute<R: DeserializeOwned>(&self, name: &str) -> Result<R, Error> {
        let encode = |object: &str| self.core.encode_call(object, GETATTR, &(name,), None::<&Dict>);
        match self.invoke(GETATTR, Flags::EMPTY, Check::Attribute(name), &encode, None).await? {
            Some(reply) => self.decode_reply(GETATTR, &reply).await,
            None => Ok(from_value(Value::None)?),
        }
    }

    /// Sets the remote attribute `name` to `value` (Pyro5's `__setattr__` call).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_attribute("count", &10).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_attribute<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<(), Error> {
        let encode = |object: &str| self.core.encode_call(object, SETATTR, &(name, value), None::<&Dict>);
        match self.invoke(SETATTR, Flags::EMPTY, Check::Attribute(name), &encode, None).await? {
            Some(reply) => self.decode_reply::<Value>(SETATTR, &reply).await.map(drop),
            None => Ok(()),
        }
    }

    /// Calls `method` and returns the reply's payload unread, as
    /// [`proxy::Proxy::call_raw`](crate::proxy::Proxy::call_raw) does (`None` when oneway; a
    /// remote exception is a [`RawReply`] with `exception` set; a stream reply is closed and
    /// refused).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// use pyro::{aio::Proxy, value::Dict, Serializer};
    /// let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_serializer(Serializer::Json);
    /// let reply = proxy.call_raw("add", &(1, 2), &Dict::new(), false).await?.expect("not oneway");
    /// assert_eq!(reply.data, b"3");
    /// # Ok(()) }
    /// ```
    pub async fn call_raw<A, K>(
        &self,
        method: &str,
        vargs: &A,
        kwargs: &K,
        oneway: bool,
    ) -> Result<Option<RawReply>, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        let encode = |object: &str| self.core.encode_call(object, method, vargs, Some(kwargs));
        let flags = if oneway { Flags::ONEWAY } else { Flags::EMPTY };
        let reply = self.invoke(method, flags, Check::Method, &encode, None).await?;
        match reply {
            Some(reply) => self.raw_reply(method, reply).await.map(Some),
            None => Ok(None),
        }
    }

    /// Reads the remote attribute `name` and returns the reply's payload unread.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let reply = proxy.get_attribute_raw("count").await?.expect("a reply");
    /// # Ok(()) }
    /// ```
    pub async fn get_attribute_raw(&self, name: &str) -> Result<Option<RawReply>, Error> {
        let encode = |object: &str| self.core.encode_call(object, GETATTR, &(name,), None::<&Dict>);
        let reply = self.invoke(GETATTR, Flags::EMPTY, Check::Attribute(name), &encode, None).await?;
        match reply {
            Some(reply) => self.raw_reply(GETATTR, reply).await.map(Some),
            None => Ok(None),
        }
    }

    async fn raw_reply(&self, method: &str, reply: Message) -> Result<RawReply, Error> {
        let session = crate::session::ClientSession::new(self.serializer());
        if let Some(id) = session.stream_id(&reply)? {
            let _ = self.close_stream(&id).await;
            return Err(crate::proxy::raw::stream_refused(method));
        }
        Ok(self.core.raw_of(reply))
    }

    /// The settings and call logic shared with the blocking proxy.
    pub(crate) fn core(&self) -> &crate::proxy::Proxy {
        &self.core
    }

    /// The pool.
    pub(crate) fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// The result of `reply`; a stream nobody asked for is closed at once.
    async fn decode_reply<R: DeserializeOwned>(&self, method: &str, reply: &Message) -> Result<R, Error> {
        let session = crate::session::ClientSession::new(self.serializer());
        if let Ok(Some(id)) = session.stream_id(reply) {
            let _ = self.close_stream(&id).await;
        }
        session.decode_result(method, reply)
    }

    /// The lease's connection, opened (resolving a name, with the handshake and the serializer
    /// fallback of the blocking proxy) if the lease is a reservation.
    pub(crate) async fn connect_lease<'l>(
        &self,
        lease: &'l mut Lease,
        thread: &current_context::Outgoing,
    ) -> Result<&'l mut Connection, Error> {
        if lease.connection().is_none() {
            if let Some(adoptable) = &self.connected {
                return self.adopt(lease, adoptable, thread).await;
            }
            let core = &self.core;
            let resolved = match core.naming_config() {
                None => None,
                Some(config) => Some(Box::pin(super::naming::resolve_with_config(core.uri(), config)).await?),
            };
            let uri = resolved.as_ref().unwrap_or(core.uri());
            let location = uri.location().ok_or_else(|| Error::Communication {
                message: format!("the URI {uri} has no location"),
                source: None,
            })?;
            let (first, fallback) = core.handshake_serializers();
            let generation = lease.generation;
            let (opened, used) =
                match (Connection::open(core, uri, location, first, generation, thread).await, fallback) {
                    // Closed at the handshake without a word: a Pyro5 daemon without msgpack.
                    (Err(Error::ConnectionClosed { .. }), Some(fallback)) => {
                        (Connection::open(core, uri, location, fallback, generation, thread).await, fallback)
                    }
                    (opened, _) => (opened, first),
                };
            let (conn, handshake) = opened?;
            core.remember_handshake(used, handshake, resolved);
            return Ok(lease.fill(conn));
        }
        lease.connection().ok_or_else(|| Error::Communication { message: "no connection".into(), source: None })
    }

    /// Sends one call with the blocking proxy's rules (retries on a closed connection or a
    /// timeout, up to `max_retries`, never past the call's deadline); the reply unless oneway.
    ///
    /// The call's deadline is the blocking proxy's: the earlier of the current one (the task's
    /// [`within_async`](crate::deadline::within_async) and the thread's) and the proxy's
    /// [`deadline_per_call`](Proxy::deadline_per_call); a per-call one is made the task's
    /// current deadline for the attempts (so resolving a name calls the name server under it).
    pub(crate) async fn invoke<E>(
        &self,
        method: &str,
        flags: Flags,
        check: Check<'_>,
        encode: &E,
        annotate: Option<&Annotate<'_>>,
    ) -> Result<Option<Message>, Error>
    where
        E: Fn(&str) -> Result<Vec<u8>, Error>,
    {
        let mut prepared = self.core.prepare_call(encode)?;
        current_context::begin_call();
        // The task's annotations: the thread's when the call starts (it may go on elsewhere).
        let thread = current_context::outgoing();
        // As for a blocking call: the methods running on this thread when the call starts (a
        // `&mut self` method blocking on this future) wait for it until it ends, across its
        // awaits; callbacks it causes must not wait for them (see `dispatch::BUSY_MESSAGE`).
        let chain = current_context::correlation_id().into_iter().chain(self.core.correlation_id());
        let _calling_out = crate::dispatch::busy::calling_out(chain);
        let (deadline, per_call) = self.core.call_deadline();
        let attempts = async {
            let mut retries = self.core.max_retries();
            loop {
                let attempt = self.invoke_once(method, flags, check, prepared.as_mut(), encode, annotate, &thread);
                match attempt.await {
                    Err(error) if retries > 0 && is_retried_by(&error, deadline) => retries -= 1,
                    result => return result,
                }
            }
        };
        let result = match per_call {
            Some(_) => crate::deadline::enter_async(deadline, attempts).await,
            None => attempts.await,
        };
        // The request was sent (or never will be): its buffer serves the thread's next one.
        if let Some(request) = prepared {
            crate::serializer::spare_buffer::give_back(request.data);
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn invoke_once<E>(
        &self,
        method: &str,
        flags: Flags,
        check: Check<'_>,
        prepared: Option<&mut Message>,
        encode: &E,
        annotate: Option<&Annotate<'_>>,
        thread: &current_context::Outgoing,
    ) -> Result<Option<Message>, Error>
    where
        E: Fn(&str) -> Result<Vec<u8>, Error>,
    {
        // The call's deadline (`invoke` made a per-call one current).
        let deadline = crate::deadline::current();
        let expired = |deadline: Deadline| self.core.call_expired(method, deadline);
        // Past its deadline, a call is not sent at all.
        if let Some(deadline) = deadline.filter(Deadline::is_past) {
            return Err(expired(deadline));
        }
        // Waiting for a connection, connecting and the handshake: by the deadline.
        // (Without a deadline each future is awaited as it is: no wrapper to move it through.)
        let mut lease = match deadline {
            None => self.pool.lease().await,
            Some(_) => until(deadline, &expired, async { Ok(self.pool.lease().await) }).await?,
        };
        let conn = match deadline {
            None => self.connect_lease(&mut lease, thread).await?,
            Some(_) => until(deadline, &expired, self.connect_lease(&mut lease, thread)).await?,
        };
        let mut storage = None;
        let request = match self.core.request_for(
            method,
            flags,
            check,
            prepared,
            &mut storage,
            encode,
            annotate,
            conn.object(),
            Some(thread),
        ) {
            Ok(request) => request,
            Err(err) => {
                // Nothing was sent: the connection is still good.
                lease.give_back();
                return Err(err);
            }
        };
        if let Some(deadline) = deadline {
            // What is left goes with the request; nothing left: not sent.
            if let Err(error) = self.core.stamp_deadline(request, method, deadline) {
                lease.give_back();
                return Err(error);
            }
        }
        let conn = self.connect_lease(&mut lease, thread).await?;
        conn.set_timeout(self.core.timeout());
        // On error (or if this future is dropped, or the deadline passes) the lease is dropped,
        // closing the connection: a late reply is never read as another call's.
        let reply = match deadline {
            None => conn.exchange(request).await?,
            Some(_) => until(deadline, &expired, conn.exchange(request)).await?,
        };
        if let Some(reply) = &reply {
            current_context::received(reply);
        }
        if reply.as_ref().is_some_and(|reply| conn.session().server_closes_after(reply)) {
            drop(lease);
        } else {
            lease.give_back();
        }
        Ok(reply)
    }
}

/// `future`, given up (dropped) once `deadline` has passed: then `expired(deadline)`; so is a
/// timeout it ends with after the deadline. Without a deadline, `future` as it is.
pub(crate) async fn until<T>(
    deadline: Option<Deadline>,
    expired: &(dyn Fn(Deadline) -> Error + Sync),
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(deadline) = deadline else { return future.await };
    match tokio::time::timeout_at(deadline.instant().into(), future).await {
        Ok(Err(Error::Timeout { .. })) if deadline.is_past() => Err(expired(deadline)),
        Ok(result) => result,
        Err(_) => Err(expired(deadline)),
    }
}

impl Clone for Proxy {
    /// A new, unconnected proxy with the same URI, settings and known metadata (Pyro5's
    /// `__copy__`).
    fn clone(&self) -> Proxy {
        Proxy::from_blocking(self.core.clone())
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("aio::Proxy")
            .field("uri", &self.uri().to_string())
            .field("serializer", &self.serializer())
            .field("timeout", &self.timeout())
            .field("max_retries", &self.max_retries())
            .field("max_connections", &self.max_connections())
            .field("open_connections", &self.open_connections())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Proxy {
    /// `<pyro.aio.Proxy at PYRO:obj@host:port>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<pyro.aio.Proxy at {}>", self.uri())
    }
}

/// Written as Pyro5's `Pyro5.client.Proxy` class dict, as the blocking proxy is.
impl Serialize for Proxy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.core.serialize(serializer)
    }
}

/// Read from a `Pyro5.client.Proxy` class dict into an unconnected async proxy.
impl<'de> serde::Deserialize<'de> for Proxy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Proxy, D::Error> {
        crate::proxy::Proxy::deserialize(deserializer).map(Proxy::from_blocking)
    }
}

impl From<crate::proxy::Proxy> for Proxy {
    fn from(proxy: crate::proxy::Proxy) -> Proxy {
        Proxy::from_blocking(proxy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_and_its_futures_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_send<T: Send>(_: &T) {}
        assert_send_sync::<Proxy>();
        if let Ok(proxy) = Proxy::from_uri_str("PYRO:x@localhost:1") {
            assert_send(&proxy.call::<_, Value>("x", &(1, "a")));
            assert_send(&proxy.ping());
            assert_send(&proxy.bind());
        }
    }
}
