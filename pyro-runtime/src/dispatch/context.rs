//! [`CallContext`] (what a dispatched call knows about itself) and [`Reply`] (what it hands
//! back): the contract between a session driver and the generated dispatch code.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use uuid::Uuid;

use super::{PendingReply, Servant};
use crate::daemon::ShutdownHandle;
use crate::protocol::{Annotations, Flags};
use crate::serializer::SerializeOptions;
use crate::session::{Resource, ResourceHandle, SessionState};
use crate::{Deadline, Error, RemoteError, Serializer, Value};

/// Everything a call knows about itself, Pyro5's server-side `current_context` made explicit:
/// the serializer of the request, the session (connection) it came on, the client's address,
/// the request's sequence number and message flags, the correlation id, the request's
/// annotations and room for response annotations, and a handle on the daemon serving it.
///
/// | Pyro5 `current_context` | here |
/// |---|---|
/// | `client` (the connection) | [`session_id`](CallContext::session_id) |
/// | `client_sock_addr` | [`client_addr`](CallContext::client_addr) |
/// | `seq` | [`seq`](CallContext::seq) |
/// | `msg_flags` | [`flags`](CallContext::flags) |
/// | `serializer_id` | [`serializer`](CallContext::serializer)`().id()` |
/// | `correlation_id` | [`correlation_id`](CallContext::correlation_id) |
/// | `annotations` | [`annotations`](CallContext::annotations) |
/// | `response_annotations` | [`response_annotations_mut`](CallContext::response_annotations_mut) |
/// | (pyro's `DDLN` annotation) | [`deadline`](CallContext::deadline) |
///
/// An exposed method gets it by declaring a `&CallContext` or `&mut CallContext` parameter
/// (see the `pyro` crate's guide). Response annotations a method sets go back on its RESULT
/// message, as Pyro5 sends `current_context.response_annotations`: on a normal result and on a
/// batch's result (gathered from every call of the batch); as in Pyro5, not on an exception
/// reply nor on the reply that opens an item stream.
///
/// The [server session](crate::session::ServerSession) fills in what the message says; the
/// driver adds what only it knows (the client address, the daemon).
///
/// ```
/// use pyro::dispatch::CallContext;
/// use pyro::protocol::AnnotationId;
/// use pyro::Serializer;
///
/// let mut ctx = CallContext::new(Serializer::Json);
/// assert_eq!(ctx.serializer(), Serializer::Json);
/// assert_eq!(ctx.session_id(), 0);
/// ctx.response_annotations_mut().insert(AnnotationId::try_from("XMPL").unwrap(), b"hi".to_vec());
/// assert_eq!(ctx.response_annotations().len(), 1);
/// ```
#[derive(Clone)]
pub struct CallContext {
    serializer: Serializer,
    serialize_options: SerializeOptions,
    session_id: u64,
    seq: u16,
    flags: Flags,
    client_addr: Option<SocketAddr>,
    correlation_id: Option<Uuid>,
    annotations: Annotations,
    response_annotations: Annotations,
    daemon: Option<ShutdownHandle>,
    session_state: Option<Arc<SessionState>>,
    deadline: Option<Deadline>,
}

impl CallContext {
    /// A context for a call in `serializer`, with nothing else known (session 0, no client
    /// address, no correlation id, no annotations, no daemon): what direct calls and tests use.
    ///
    /// See [`CallContext`] for an example.
    pub fn new(serializer: Serializer) -> CallContext {
        CallContext {
            serializer,
            serialize_options: SerializeOptions::default(),
            session_id: 0,
            seq: 0,
            flags: Flags::EMPTY,
            client_addr: None,
            correlation_id: None,
            annotations: Annotations::default(),
            response_annotations: Annotations::default(),
            daemon: None,
            session_state: None,
            deadline: None,
        }
    }

    /// Sets the state of the connection the call came on (the server session does).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pyro::session::SessionState;
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json)
    ///     .with_session_state(Arc::new(SessionState::new()));
    /// assert!(ctx.session_state().is_some());
    /// ```
    #[must_use]
    pub fn with_session_state(mut self, state: Arc<SessionState>) -> CallContext {
        self.session_state = Some(state);
        self
    }

    /// The state of the connection the call came on (its session instances and tracked
    /// resources); `None` outside a connection (a direct call).
    ///
    /// See [`CallContext::with_session_state`] for an example.
    pub fn session_state(&self) -> Option<&Arc<SessionState>> {
        self.session_state.as_ref()
    }

    /// Tracks `resource` for the connection the call came on: it is closed when that client
    /// disconnects, unless untracked first (Pyro5's `current_context.track_resource`). Outside
    /// a connection this is Pyro5's `PyroError("cannot track resource on a connectionless
    /// call")`; on a connection that has closed already the resource is closed at once and the
    /// result is an error.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pyro::dispatch::CallContext;
    /// use pyro::session::{OnClose, SessionState};
    ///
    /// let state = Arc::new(SessionState::new());
    /// let ctx = CallContext::new(pyro::Serializer::Json).with_session_state(Arc::clone(&state));
    /// let handle = ctx.track_resource(OnClose::new(|| println!("closed"))).unwrap();
    /// assert_eq!(state.tracked_resources(), 1);
    /// assert!(ctx.untrack_resource(handle).is_some());
    ///
    /// let err = CallContext::new(pyro::Serializer::Json).track_resource(OnClose::new(|| ())).unwrap_err();
    /// assert_eq!(err.to_string(), "remote Pyro5.errors.PyroError: cannot track resource on a connectionless call");
    /// ```
    pub fn track_resource(&self, resource: impl Resource) -> Result<ResourceHandle, Error> {
        match &self.session_state {
            Some(state) => state.track_resource(Box::new(resource)),
            None => Err(connectionless()),
        }
    }

    /// Stops tracking a resource (Pyro5's `current_context.untrack_resource`) and gives it back,
    /// not closed; `None` if it is not tracked by this call's connection.
    ///
    /// See [`CallContext::track_resource`] for an example.
    pub fn untrack_resource(&self, handle: ResourceHandle) -> Option<Box<dyn Resource>> {
        self.session_state.as_ref()?.untrack_resource(handle)
    }

    /// Sets how results are written (Pyro5's `SERPENT_BYTES_REPR`); the daemon sets it from its
    /// configuration.
    ///
    /// ```
    /// use pyro::dispatch::CallContext;
    /// use pyro::serializer::SerializeOptions;
    /// let ctx = CallContext::new(pyro::Serializer::Serpent)
    ///     .with_serialize_options(SerializeOptions { serpent_bytes_repr: true });
    /// let bytes = ctx.encode(serde_bytes::Bytes::new(b"hi")).unwrap().into_bytes(ctx.serializer()).unwrap();
    /// assert!(bytes.ends_with(b"b'hi'"));
    /// ```
    #[must_use]
    pub fn with_serialize_options(mut self, options: SerializeOptions) -> CallContext {
        self.serialize_options = options;
        self
    }

    /// How results are written.
    ///
    /// ```
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json);
    /// assert!(!ctx.serialize_options().serpent_bytes_repr);
    /// ```
    pub fn serialize_options(&self) -> SerializeOptions {
        self.serialize_options
    }

    /// Sets the session (connection) id.
    ///
    /// ```
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json).with_session_id(7);
    /// assert_eq!(ctx.session_id(), 7);
    /// ```
    #[must_use]
    pub fn with_session_id(mut self, id: u64) -> CallContext {
        self.session_id = id;
        self
    }

    /// Sets the request's sequence number and message flags (Pyro5's `current_context.seq` and
    /// `msg_flags`).
    ///
    /// ```
    /// use pyro::protocol::Flags;
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json)
    ///     .with_message(12, Flags::ONEWAY);
    /// assert_eq!((ctx.seq(), ctx.flags()), (12, Flags::ONEWAY));
    /// ```
    #[must_use]
    pub fn with_message(mut self, seq: u16, flags: Flags) -> CallContext {
        self.seq = seq;
        self.flags = flags;
        self
    }

    /// Sets the correlation id.
    ///
    /// ```
    /// let id = uuid::Uuid::from_u128(1);
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json).with_correlation_id(id);
    /// assert_eq!(ctx.correlation_id(), Some(id));
    /// ```
    #[must_use]
    pub fn with_correlation_id(mut self, id: Uuid) -> CallContext {
        self.correlation_id = Some(id);
        self
    }

    /// Sets the request's annotations.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let mut annotations = Annotations::default();
    /// annotations.insert(AnnotationId::try_from("XMPL").unwrap(), b"v".to_vec());
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json).with_annotations(annotations);
    /// assert_eq!(ctx.annotations().get(AnnotationId::try_from("XMPL").unwrap()), Some(&b"v"[..]));
    /// ```
    #[must_use]
    pub fn with_annotations(mut self, annotations: Annotations) -> CallContext {
        self.annotations = annotations;
        self
    }

    /// Sets the call's deadline (the server session does, from the request's `DDLN`
    /// annotation).
    ///
    /// ```
    /// let d = pyro::Deadline::after(std::time::Duration::from_secs(1));
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json).with_deadline(Some(d));
    /// assert_eq!(ctx.deadline(), Some(d));
    /// ```
    #[must_use]
    pub fn with_deadline(mut self, deadline: Option<Deadline>) -> CallContext {
        self.deadline = deadline;
        self
    }

    /// The call's deadline, when the client sent one (a pyro proxy calling under a
    /// [deadline](crate::deadline)): the time left it said, from when the server session got
    /// the request. While the method runs it is also the thread's
    /// [`deadline::current`](crate::deadline::current), so the calls the method makes inherit
    /// it. A method may check it to give up early; nothing interrupts it.
    ///
    /// See [`CallContext::with_deadline`] for an example.
    pub fn deadline(&self) -> Option<Deadline> {
        self.deadline
    }

    /// Sets the client's address (`None` on a Unix socket).
    ///
    /// ```
    /// let addr: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json).with_client_addr(Some(addr));
    /// assert_eq!(ctx.client_addr(), Some(addr));
    /// ```
    #[must_use]
    pub fn with_client_addr(mut self, addr: Option<SocketAddr>) -> CallContext {
        self.client_addr = addr;
        self
    }

    /// Sets the daemon serving the call.
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json)
    ///     .with_daemon(Some(daemon.shutdown_handle()));
    /// assert!(ctx.daemon().is_some());
    /// ```
    #[must_use]
    pub fn with_daemon(mut self, daemon: Option<ShutdownHandle>) -> CallContext {
        self.daemon = daemon;
        self
    }

    /// Sets the client's address and the daemon in place (what a driver adds to a request).
    ///
    /// ```
    /// let mut ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json);
    /// ctx.set_origin("127.0.0.1:5000".parse().ok(), None);
    /// assert!(ctx.client_addr().is_some());
    /// ```
    pub fn set_origin(&mut self, client_addr: Option<SocketAddr>, daemon: Option<ShutdownHandle>) {
        self.client_addr = client_addr;
        self.daemon = daemon;
    }

    /// The serializer of the request, which the reply must use.
    ///
    /// See [`CallContext`] for an example.
    pub fn serializer(&self) -> Serializer {
        self.serializer
    }

    /// The id of the session (connection) the call came on, unique within its daemon.
    ///
    /// See [`CallContext`] for an example.
    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    /// The sequence number of the request (Pyro5's `current_context.seq`).
    ///
    /// See [`CallContext::with_message`] for an example.
    pub fn seq(&self) -> u16 {
        self.seq
    }

    /// The flags of the request message as its header had them (Pyro5's
    /// `current_context.msg_flags`): e.g. [`Flags::ONEWAY`], [`Flags::BATCH`], and
    /// [`Flags::CORR_ID`] when the request carried a correlation id; `.bits()` is Pyro5's
    /// number (a Pyro5 client's oneway call with a correlation id: 68).
    ///
    /// See [`CallContext::with_message`] for an example.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// The client's address, when the transport has one.
    ///
    /// See [`CallContext::with_client_addr`] for an example.
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.client_addr
    }

    /// The correlation id of the request (the daemon makes up a random one when the request
    /// carried none, as Pyro5 does).
    ///
    /// See [`CallContext::with_correlation_id`] for an example.
    pub fn correlation_id(&self) -> Option<Uuid> {
        self.correlation_id
    }

    /// The request's annotations.
    ///
    /// See [`CallContext::with_annotations`] for an example.
    pub fn annotations(&self) -> &Annotations {
        &self.annotations
    }

    /// The annotations to send with the reply.
    ///
    /// See [`CallContext`] for an example.
    pub fn response_annotations(&self) -> &Annotations {
        &self.response_annotations
    }

    /// The annotations to send with the reply, to add to.
    ///
    /// See [`CallContext`] for an example.
    pub fn response_annotations_mut(&mut self) -> &mut Annotations {
        &mut self.response_annotations
    }

    /// Takes the response annotations out (the session puts them on the reply).
    ///
    /// ```
    /// let mut ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json);
    /// assert!(ctx.take_response_annotations().is_empty());
    /// ```
    pub fn take_response_annotations(&mut self) -> Annotations {
        std::mem::take(&mut self.response_annotations)
    }

    /// A handle on the daemon serving the call (`None` outside a daemon), e.g. to shut it down
    /// from a remote method.
    ///
    /// See [`CallContext::with_daemon`] for an example.
    pub fn daemon(&self) -> Option<&ShutdownHandle> {
        self.daemon.as_ref()
    }

    /// Serializes `value` with the request's serializer into a [`Reply::Encoded`] (what
    /// generated code does with a typed result: straight to bytes, no [`Value`] in between).
    ///
    /// ```
    /// let ctx = pyro::dispatch::CallContext::new(pyro::Serializer::Json);
    /// let reply = ctx.encode(&42).unwrap();
    /// assert_eq!(reply.into_bytes(pyro::Serializer::Json).unwrap(), b"42");
    /// ```
    ///
    /// Inside a daemon, [`Remote`](super::Remote) objects in `value` are registered with it and
    /// written as proxies (autoproxy), for this call's session.
    pub fn encode<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<Reply, Error> {
        let _scope = crate::daemon::autoproxy::enter(self.daemon.as_ref(), self.session_id, self.serializer);
        let bytes = match self.serializer {
            // Into this thread's spare buffer (see `serializer::spare_buffer`).
            Serializer::Msgpack => {
                let mut out = crate::serializer::spare_buffer::take();
                crate::serializer::msgpack::write_to(&mut out, value)?;
                out
            }
            other => other.to_bytes_with(value, self.serialize_options)?,
        };
        Ok(Reply::Encoded(bytes))
    }
}

/// Pyro5's error for tracking a resource outside a connection.
fn connectionless() -> Error {
    RemoteError::new("Pyro5.errors.PyroError", vec![Value::from("cannot track resource on a connectionless call")])
        .into()
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("serializer", &self.serializer)
            .field("session_id", &self.session_id)
            .field("seq", &self.seq)
            .field("flags", &self.flags)
            .field("client_addr", &self.client_addr)
            .field("correlation_id", &self.correlation_id)
            .field("annotations", &self.annotations)
            .field("response_annotations", &self.response_annotations)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// The items of a streamed result (see [`Reply::Stream`]): each one a value, or the error that
/// ends the stream.
pub type ItemStream = Box<dyn Iterator<Item = Result<Value, Error>> + Send>;

/// What a dispatched call hands back.
///
/// ```
/// use pyro::dispatch::Reply;
/// use pyro::{Serializer, Value};
///
/// // The common case: already serialized with the request's serializer.
/// let encoded = Reply::Encoded(Serializer::Json.to_bytes(&[1, 2]).unwrap());
/// assert_eq!(encoded.into_value(Serializer::Json).unwrap(), Value::List(vec![1.into(), 2.into()]));
/// // A dynamic value, serialized by the session.
/// assert_eq!(Reply::Value(Value::Int(3)).into_bytes(Serializer::Json).unwrap(), b"3");
/// // An iterator, streamed item by item.
/// assert!(matches!(Reply::stream(1..4), Reply::Stream(_)));
/// ```
pub enum Reply {
    /// The result, serialized with the context's serializer.
    Encoded(Vec<u8>),
    /// The result as a value, to be serialized by the session.
    Value(Value),
    /// An iterator result, streamed to the client one item per `get_next_stream_item` call
    /// (Pyro5's item streaming). An `Err` item ends the stream with that
    /// exception. Batch calls do not stream (as in Pyro5): there it is an error.
    Stream(ItemStream),
    /// An object to be served and sent as a proxy (Pyro5's autoproxy): the daemon registers it
    /// for the call's session and replies with a proxy for it, as for a
    /// [`Remote`](super::Remote) in a typed result (see there for its lifetime). Outside a
    /// daemon it cannot be turned into bytes or a value.
    Object(Arc<dyn Servant>),
    /// The reply of an `async fn` method: a future yielding the real reply (any of the other
    /// variants), which the daemon awaits or waits for ([`PendingReply`]).
    Pending(PendingReply),
}

impl Reply {
    /// Streams the items of `iterator` (what `#[pyro::expose]` generates for a method returning
    /// `impl Iterator<Item = T> + Send + 'static`). Each item is turned into a [`Value`] when
    /// the client asks for it; one that cannot be ends the stream with a `SerializeError`.
    ///
    /// See [`Reply`] for an example.
    pub fn stream<I, T>(iterator: I) -> Reply
    where
        I: Iterator<Item = T> + Send + 'static,
        T: serde::Serialize,
    {
        Reply::Stream(Box::new(iterator.map(|item| Ok(crate::value::to_value(&item)?))))
    }

    /// The reply of an `async fn` method (what `#[pyro::expose]` generates for one): `call` gets
    /// its own copy of the call's context and returns a future giving it back with the reply
    /// (see [`PendingReply::new`]).
    ///
    /// ```
    /// use pyro::dispatch::{CallContext, Reply};
    /// let ctx = CallContext::new(pyro::Serializer::Json);
    /// let reply = Reply::pending(&ctx, |ctx| async move {
    ///     let reply = ctx.encode(&1);
    ///     (ctx, reply)
    /// });
    /// assert!(matches!(reply, Reply::Pending(_)));
    /// ```
    pub fn pending<F, Fut>(ctx: &CallContext, call: F) -> Reply
    where
        F: FnOnce(CallContext) -> Fut,
        Fut: std::future::Future<Output = (CallContext, Result<Reply, Error>)> + Send + 'static,
    {
        Reply::Pending(PendingReply::new(ctx, call))
    }

    /// Streams the items of an iterator of results: an `Err` item ends the stream with that
    /// exception (a Python generator raising mid-stream).
    ///
    /// ```
    /// use pyro::dispatch::Reply;
    /// use pyro::RemoteError;
    /// let items = vec![Ok(1), Err(RemoteError::new("builtins.ValueError", vec![]))];
    /// let Reply::Stream(mut stream) = Reply::try_stream(items.into_iter()) else { unreachable!() };
    /// assert!(stream.next().unwrap().is_ok());
    /// assert!(stream.next().unwrap().is_err());
    /// ```
    pub fn try_stream<I, T>(iterator: I) -> Reply
    where
        I: Iterator<Item = Result<T, crate::RemoteError>> + Send + 'static,
        T: serde::Serialize,
    {
        Reply::Stream(Box::new(iterator.map(|item| Ok(crate::value::to_value(&item?)?))))
    }

    /// The serialized result in `ser` (the serializer of the context the reply was made in).
    /// A stream and the reserved variant are errors.
    ///
    /// See [`Reply`] for an example.
    pub fn into_bytes(self, ser: Serializer) -> Result<Vec<u8>, Error> {
        self.into_bytes_with(ser, SerializeOptions::default())
    }

    /// [`into_bytes`](Reply::into_bytes), writing a [`Reply::Value`] with `options`.
    ///
    /// ```
    /// use pyro::dispatch::Reply;
    /// use pyro::serializer::SerializeOptions;
    /// let reply = Reply::Value(pyro::Value::Bytes(b"hi".to_vec()));
    /// let bytes = reply.into_bytes_with(pyro::Serializer::Serpent, SerializeOptions { serpent_bytes_repr: true }).unwrap();
    /// assert!(bytes.ends_with(b"b'hi'"));
    /// ```
    pub fn into_bytes_with(self, ser: Serializer, options: SerializeOptions) -> Result<Vec<u8>, Error> {
        match self {
            Reply::Encoded(bytes) => Ok(bytes),
            Reply::Value(value) => Ok(ser.to_bytes_with(&value, options)?),
            other => Err(other.unsupported()),
        }
    }

    /// The result as a value (a serialized result is decoded with `ser`), e.g. to put it in a
    /// batch's result list. A stream and the reserved variant are errors.
    ///
    /// See [`Reply`] for an example.
    pub fn into_value(self, ser: Serializer) -> Result<Value, Error> {
        match self {
            Reply::Encoded(bytes) => Ok(ser.from_bytes(&bytes)?),
            Reply::Value(value) => Ok(value),
            other => Err(other.unsupported()),
        }
    }

    /// The reply as a batch result: a serialized result or a value; a stream and the reserved
    /// variant are errors (as for [`into_value`](Reply::into_value)).
    pub(crate) fn into_batch_result(self) -> Result<Reply, Error> {
        match self {
            Reply::Encoded(_) | Reply::Value(_) => Ok(self),
            other => Err(other.unsupported()),
        }
    }

    fn unsupported(&self) -> Error {
        let text = match self {
            Reply::Stream(_) => "an iterator result cannot be sent as a value (no item streaming in batch calls)",
            Reply::Pending(_) => "an async method's reply must be awaited before it is sent",
            _ => "an object result can only be sent as a proxy by a daemon",
        };
        crate::RemoteError::new("Pyro5.errors.PyroError", vec![Value::from(text)]).into()
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Encoded(bytes) => f.debug_tuple("Encoded").field(&bytes.len()).finish(),
            Reply::Value(value) => f.debug_tuple("Value").field(value).finish(),
            Reply::Stream(_) => f.write_str("Stream(..)"),
            Reply::Object(_) => f.write_str("Object(..)"),
            Reply::Pending(_) => f.write_str("Pending(..)"),
        }
    }
}
