//! [`ServerSession`]: one client connection as the daemon sees it, without I/O: the
//! handshake, calls, batches, item streams and the `Pyro.Daemon` object, as Pyro5's daemon answers
//! them.

use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use uuid::Uuid;

use super::daemon_object::{self, DAEMON_OBJECT_ID, NextItem};
use super::exception;
use super::hooks::{ConnectionInfo, ServerHooks};
use super::request::{Completed, Outcome, Payload, ReplyTo, Request, Work, batch_calls, execute};
use super::response_annotations::ResponseAnnotations;
use super::state::SessionState;
use super::streams::Streams;
use crate::dispatch::{CallArgs, CallContext, Metadata, Reply, Servant, Vargs};
use crate::logging::Peer;
use crate::protocol::{AnnotationId, Annotations, Flags, Message, MessageType, ProtocolError, new_correlation_id};
use crate::serializer::batch_call::{self};
use crate::serializer::{DecodeLimit, SerializeOptions, marshal};
use crate::{Deadline, Error, RemoteError, Serializer, Value, deadline};

/// The method name of a batch call (Pyro5's `_pyroInvokeBatch`).
pub const BATCH_METHOD: &str = "<batch>";

/// The objects a session may call: what the daemon's registry offers the session.
///
/// ```
/// use std::sync::Arc;
/// use pyro::dispatch::Servant;
/// use pyro::session::Directory;
///
/// struct Nothing;
/// impl Directory for Nothing {
///     fn servant(&self, _id: &str) -> Option<Arc<dyn Servant>> { None }
///     fn ids(&self) -> Vec<String> { Vec::new() }
/// }
/// assert!(Nothing.servant("thing").is_none());
/// ```
pub trait Directory {
    /// The object registered as `id` (never asked for `Pyro.Daemon`).
    fn servant(&self, id: &str) -> Option<Arc<dyn Servant>>;
    /// The ids of the registered objects in registration order, `Pyro.Daemon` not included.
    fn ids(&self) -> Vec<String>;
}

/// What `Pyro.Daemon.info()` tells about the daemon, how its replies are written and how much
/// its requests may decode to.
///
/// ```
/// let info = pyro::session::DaemonInfo {
///     location: "localhost:9090".into(),
///     nat_location: None,
///     server: "<pyro thread pool server>".into(),
///     serialize_options: Default::default(),
///     decode_limit: Default::default(),
/// };
/// assert_eq!(info.location, "localhost:9090");
/// ```
#[derive(Clone, Debug, Default)]
pub struct DaemonInfo {
    /// Where the daemon listens.
    pub location: String,
    /// The NAT location, if any.
    pub nat_location: Option<String>,
    /// A description of the server type.
    pub server: String,
    /// How replies are written (Pyro5's `SERPENT_BYTES_REPR`), from the daemon's configuration.
    pub serialize_options: SerializeOptions,
    /// What one request's decoded values may cost; a request past it gets a `SerializeError`
    /// reply and its connection is closed, as for any payload that cannot be read.
    pub decode_limit: DecodeLimit,
}

/// What the driver must do after [`ServerSession::on_message`] (or
/// [`ServerSession::on_protocol_error`], [`ServerSession::reply`]).
#[derive(Debug)]
#[must_use]
pub enum Action {
    /// Send this message, then read the next one.
    Send(Message),
    /// Send this message, then close the connection.
    SendAndClose(Message),
    /// Close the connection without a reply.
    Close,
    /// Nothing to send (e.g. a oneway call that failed before running): read the next message.
    Continue,
    /// Run this call wherever the driver likes ([`Request::run`]) and give the outcome to
    /// [`ServerSession::reply`]. (Boxed: an action is moved at every step of a driver, and
    /// most actions are replies, a tenth of a request's size.)
    Dispatch(Box<Request>),
    /// Run this oneway call ([`Request::run`]) and drop its outcome: the client expects no
    /// reply. The driver may read the next message meanwhile; a driver that runs it later
    /// calls [`Request::pick_instance`] first, while the connection is open.
    DispatchOneway(Box<Request>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for CONNECT.
    Handshake,
    /// Serving INVOKE and PING.
    Ready,
    /// Closed: every message is refused.
    Closed,
}

/// The server half of a Pyro5 connection, sans-IO: it takes decoded messages and says what to
/// do. It owns the handshake (CONNECT → CONNECTOK/CONNECTFAIL), PING, INVOKE decoding, the
/// `Pyro.Daemon` object, batch calls and exception payloads; it never runs user code: a call
/// comes out as [`Action::Dispatch`] with a [`Request`] the driver runs where it wants (a
/// worker thread, a pool, an async task) and hands back to [`ServerSession::reply`].
///
/// ```
/// use std::sync::Arc;
/// use pyro::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply, Servant, Served};
/// use pyro::protocol::{Flags, Message, MessageType};
/// use pyro::session::{Action, DaemonInfo, Directory, ServerSession};
/// use pyro::{Error, Serializer, Value};
///
/// struct Echo;
/// impl Dispatch<Echo> for Echo {
///     fn metadata() -> Metadata { Metadata::new(["echo"], [], []) }
///     fn receiver(m: &str) -> Option<Receiver> { (m == "echo").then_some(Receiver::Shared) }
///     fn invoke_shared(&self, ctx: &mut CallContext, m: &str, mut args: CallArgs) -> Result<Reply, Error> {
///         let v: Value = args.required(0, "v")?;
///         args.finish()?;
///         ctx.encode(&v)
///     }
///     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
///         Err(CallArgs::unknown_method(m))
///     }
/// }
/// struct One(Arc<dyn Servant>);
/// impl Directory for One {
///     fn servant(&self, id: &str) -> Option<Arc<dyn Servant>> { (id == "echo").then(|| Arc::clone(&self.0)) }
///     fn ids(&self) -> Vec<String> { vec!["echo".into()] }
/// }
/// let objects = One(Arc::new(Served::new(Echo)));
/// let ser = Serializer::Json;
/// let mut session = ServerSession::new(1, Arc::new(DaemonInfo::default()));
///
/// let connect = Message::new(MessageType::Connect, ser.id(), br#"{"handshake":"hello","object":"echo"}"#.to_vec());
/// let Action::Send(ok) = session.on_message(connect, &objects) else { panic!() };
/// assert_eq!(ok.msg_type, MessageType::ConnectOk);
///
/// let call = ser.encode_call("echo", "echo", &("hi",), None::<&pyro::value::Dict>).unwrap();
/// let invoke = Message::new(MessageType::Invoke, ser.id(), call).with_seq(1);
/// let Action::Dispatch(request) = session.on_message(invoke, &objects) else { panic!() };
/// let Action::Send(reply) = session.reply(request.run()) else { panic!() };
/// assert_eq!((reply.seq, reply.flags.contains(Flags::EXCEPTION), &reply.data[..]), (1, false, &b"\"hi\""[..]));
/// ```
#[derive(Debug)]
pub struct ServerSession {
    id: u64,
    info: Arc<DaemonInfo>,
    state: State,
    denied: Option<String>,
    streams: Option<Arc<Streams>>,
    client_addr: Option<SocketAddr>,
    peer_certificates: Vec<Vec<u8>>,
    hooks: ServerHooks,
    /// The connection's session instances and tracked resources.
    connection: Arc<SessionState>,
    /// The client, once its handshake succeeded (the disconnect hook is owed then).
    client: Option<ConnectionInfo>,
    /// Whether [`ServerSession::close`] ran.
    closed_down: bool,
    response_annotations: Option<ResponseAnnotations>,
}

impl ServerSession {
    /// A session for connection `id` (unique within the daemon) of the daemon described by
    /// `info`, waiting for the CONNECT.
    ///
    /// See [`ServerSession`] for an example.
    pub fn new(id: u64, info: Arc<DaemonInfo>) -> ServerSession {
        ServerSession {
            id,
            info,
            state: State::Handshake,
            denied: None,
            streams: None,
            client_addr: None,
            peer_certificates: Vec::new(),
            hooks: ServerHooks::default(),
            connection: Arc::new(SessionState::new()),
            client: None,
            closed_down: false,
            response_annotations: None,
        }
    }

    /// A session on a connection that needs no handshake (Pyro5's `connected_socket`, reference
    /// 9.3): it serves INVOKE and PING from the first message on, and a CONNECT is refused as
    /// any other unexpected message type. The handshake validator never runs; neither does the
    /// disconnect hook (Pyro5's existing-connection server calls neither), but session instances
    /// are dropped and tracked resources closed when it closes.
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// use pyro::session::{Action, ServerSession};
    /// # struct Nothing;
    /// # impl pyro::session::Directory for Nothing {
    /// #     fn servant(&self, _: &str) -> Option<std::sync::Arc<dyn pyro::dispatch::Servant>> { None }
    /// #     fn ids(&self) -> Vec<String> { vec![] }
    /// # }
    /// let mut session = ServerSession::connected(1, Default::default());
    /// assert!(session.is_connected());
    /// let ping = Message::new(MessageType::Ping, 42, b"ping".to_vec());
    /// let Action::Send(pong) = session.on_message(ping, &Nothing) else { panic!() };
    /// assert_eq!(pong.data, b"pong");
    /// ```
    pub fn connected(id: u64, info: Arc<DaemonInfo>) -> ServerSession {
        let mut session = ServerSession::new(id, info);
        session.state = State::Ready;
        session
    }

    /// Sets the client's address (what the driver knows: `None` on a Unix socket), which the
    /// hooks see in their [`ConnectionInfo`].
    ///
    /// ```
    /// let session = pyro::session::ServerSession::new(1, Default::default())
    ///     .with_client_addr("127.0.0.1:5000".parse().ok());
    /// assert!(session.client_addr().is_some());
    /// ```
    #[must_use]
    pub fn with_client_addr(mut self, addr: Option<SocketAddr>) -> ServerSession {
        self.client_addr = addr;
        self
    }

    /// Sets the client's TLS certificate chain (DER, its own first; empty without TLS), which
    /// the hooks see as [`ConnectionInfo::peer_certificates`].
    ///
    /// ```
    /// let session = pyro::session::ServerSession::new(1, Default::default())
    ///     .with_peer_certificates(Vec::new());
    /// assert!(session.client_addr().is_none());
    /// ```
    #[must_use]
    pub fn with_peer_certificates(mut self, chain: Vec<Vec<u8>>) -> ServerSession {
        self.peer_certificates = chain;
        self
    }

    /// The client's address, if the driver gave one.
    ///
    /// See [`ServerSession::with_client_addr`] for an example.
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.client_addr
    }

    /// Runs `hooks` on this connection's life: the handshake validator on its CONNECT, the
    /// disconnect hook when it closes (if its handshake succeeded).
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// use pyro::session::{Action, ServerHooks, ServerSession};
    /// # struct Nothing;
    /// # impl pyro::session::Directory for Nothing {
    /// #     fn servant(&self, _: &str) -> Option<std::sync::Arc<dyn pyro::dispatch::Servant>> { None }
    /// #     fn ids(&self) -> Vec<String> { vec![] }
    /// # }
    /// let hooks = ServerHooks::default().validate_handshake(|_, data| Err(format!("not with {}", data.as_str().unwrap_or("?"))));
    /// let mut session = ServerSession::new(1, Default::default()).with_hooks(hooks);
    /// let connect = Message::new(MessageType::Connect, 3, br#"{"handshake": "hi", "object": "Pyro.Daemon"}"#.to_vec());
    /// let Action::SendAndClose(fail) = session.on_message(connect, &Nothing) else { panic!() };
    /// assert_eq!((fail.msg_type, &fail.data[..]), (MessageType::ConnectFail, &br#""not with hi""#[..]));
    /// ```
    #[must_use]
    pub fn with_hooks(mut self, hooks: ServerHooks) -> ServerSession {
        self.hooks = hooks;
        self
    }

    /// The connection's state: its session instances and tracked resources, which calls reach
    /// through their [`CallContext`].
    ///
    /// ```
    /// let session = pyro::session::ServerSession::new(1, Default::default());
    /// assert_eq!(session.session_state().tracked_resources(), 0);
    /// ```
    pub fn session_state(&self) -> &Arc<SessionState> {
        &self.connection
    }

    /// The connection is gone (also done when the session is dropped; later calls do nothing):
    /// its streams linger or are dropped, the disconnect hook runs (if the handshake had
    /// succeeded), then the session instances are dropped and the tracked resources closed,
    /// in Pyro5's order (`_clientDisconnect`, then `SocketConnection.close()`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pyro::session::{OnClose, ServerSession};
    /// let mut session = ServerSession::new(1, Default::default());
    /// let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    /// let flag = Arc::clone(&closed);
    /// session.session_state().track_resource(Box::new(OnClose::new(move || flag.store(true, std::sync::atomic::Ordering::SeqCst)))).unwrap();
    /// session.close();
    /// assert!(closed.load(std::sync::atomic::Ordering::SeqCst));
    /// ```
    pub fn close(&mut self) {
        if std::mem::replace(&mut self.closed_down, true) {
            return;
        }
        self.state = State::Closed;
        tracing::debug!(target: "pyro::daemon", "disconnected {}", Peer(self.client_addr));
        if let Some(streams) = &self.streams {
            streams.disconnected(self.id);
        }
        if let (Some(client), Some(hook)) = (self.client.take(), self.hooks.disconnect()) {
            let client = client.with_tracked_resources(self.connection.tracked_resource_names());
            let _ = catch_unwind(AssertUnwindSafe(|| hook(&client)));
        }
        self.connection.close();
    }

    /// Streams iterator results through `streams`, the daemon-wide stream registry shared by
    /// all its sessions. Without it, a call returning an iterator gets the
    /// stream reply without a stream id, as from a Pyro5 daemon with `ITER_STREAMING` off, and
    /// `Pyro.Daemon.get_next_stream_item` reports every stream terminated. Dropping the
    /// session tells the registry its client is gone (its streams linger or are dropped).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pyro::session::{ServerSession, Streams};
    /// let streams = Arc::new(Streams::new(Default::default()));
    /// let session = ServerSession::new(1, Default::default()).with_streams(Arc::clone(&streams));
    /// drop(session);
    /// ```
    #[must_use]
    pub fn with_streams(mut self, streams: Arc<Streams>) -> ServerSession {
        self.streams = Some(streams);
        self
    }

    /// Adds the annotations of `hook` to every message the session sends (Pyro5's
    /// `Daemon.annotations()`).
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Message, MessageType};
    /// use pyro::session::{Action, ResponseAnnotations, ServerSession};
    /// # struct Nothing;
    /// # impl pyro::session::Directory for Nothing {
    /// #     fn servant(&self, _: &str) -> Option<std::sync::Arc<dyn pyro::dispatch::Servant>> { None }
    /// #     fn ids(&self) -> Vec<String> { vec![] }
    /// # }
    /// let id = AnnotationId::try_from("DDAA").unwrap();
    /// let hook = ResponseAnnotations::new(move || [(id, b"daemon".to_vec())].into_iter().collect());
    /// let mut session = ServerSession::new(1, Default::default()).with_response_annotations(hook);
    /// let connect = Message::new(MessageType::Connect, 3, br#"{"handshake":"hello","object":"nothing"}"#.to_vec());
    /// let Action::SendAndClose(fail) = session.on_message(connect, &Nothing) else { panic!() };
    /// assert_eq!(fail.annotations.get(id), Some(&b"daemon"[..]));
    /// ```
    #[must_use]
    pub fn with_response_annotations(mut self, hook: ResponseAnnotations) -> ServerSession {
        self.response_annotations = Some(hook);
        self
    }

    /// A session that refuses its CONNECT with CONNECTFAIL `reason` (marshal-serialized, as
    /// Pyro5 does when its thread pool is full).
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// use pyro::session::{Action, ServerSession};
    /// # struct Nothing;
    /// # impl pyro::session::Directory for Nothing {
    /// #     fn servant(&self, _: &str) -> Option<std::sync::Arc<dyn pyro::dispatch::Servant>> { None }
    /// #     fn ids(&self) -> Vec<String> { vec![] }
    /// # }
    /// let mut session = ServerSession::denying(0, Default::default(), "busy");
    /// let connect = Message::new(MessageType::Connect, 3, b"{}".to_vec());
    /// let Action::SendAndClose(fail) = session.on_message(connect, &Nothing) else { panic!() };
    /// assert_eq!((fail.msg_type, fail.serializer_id), (MessageType::ConnectFail, 2));
    /// ```
    pub fn denying(id: u64, info: Arc<DaemonInfo>, reason: impl Into<String>) -> ServerSession {
        let mut session = ServerSession::new(id, info);
        session.denied = Some(reason.into());
        session
    }

    /// The connection id.
    ///
    /// ```
    /// assert_eq!(pyro::session::ServerSession::new(7, Default::default()).id(), 7);
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the handshake is done.
    ///
    /// ```
    /// assert!(!pyro::session::ServerSession::new(7, Default::default()).is_connected());
    /// ```
    pub fn is_connected(&self) -> bool {
        self.state == State::Ready
    }

    /// The message types the session accepts next (a reader may refuse others as soon as their
    /// header arrives, as Pyro5's `recv_stub` does).
    ///
    /// ```
    /// use pyro::protocol::MessageType;
    /// let session = pyro::session::ServerSession::new(0, Default::default());
    /// assert_eq!(session.expecting(), [MessageType::Connect]);
    /// ```
    pub fn expecting(&self) -> &'static [MessageType] {
        match self.state {
            State::Handshake => &[MessageType::Connect],
            State::Ready | State::Closed => &[MessageType::Invoke, MessageType::Ping],
        }
    }

    /// Handles invalid bytes from the client (the decoder's or reader's error): during the
    /// handshake a marshal CONNECTFAIL with Pyro5's text, then close; later, close without reply.
    ///
    /// ```
    /// use pyro::protocol::ProtocolError;
    /// use pyro::session::{Action, ServerSession};
    /// let mut session = ServerSession::new(0, Default::default());
    /// let Action::SendAndClose(fail) = session.on_protocol_error(ProtocolError::InvalidTag { found: *b"!!!!" }) else { panic!() };
    /// assert_eq!(pyro::serializer::marshal::decode_str(&fail.data).as_deref(), Some("invalid data"));
    /// ```
    pub fn on_protocol_error(&mut self, error: ProtocolError) -> Action {
        let mut action = self.protocol_error(error);
        self.annotate(&mut action);
        action
    }

    fn protocol_error(&mut self, error: ProtocolError) -> Action {
        let state = std::mem::replace(&mut self.state, State::Closed);
        if state != State::Handshake {
            // Pyro5's thread server logs the request loop's errors as warnings.
            tracing::warn!(target: "pyro::daemon", "error during handleRequest from {}: {error}", Peer(self.client_addr));
            return Action::Close;
        }
        tracing::debug!(target: "pyro::daemon", "handshake failed with {}: {error}", Peer(self.client_addr));
        let reason = match error {
            ProtocolError::InvalidMagic { .. } => "invalid message or protocol version".to_owned(),
            ProtocolError::UnknownMessageType { msg_type } => {
                ProtocolError::UnexpectedMessageType { msg_type, expected: &[MessageType::Connect] }.to_string()
            }
            other => other.to_string(),
        };
        Action::SendAndClose(connect_fail(0, None, &reason))
    }

    /// Handles one message from the client.
    ///
    /// See [`ServerSession`] for an example.
    pub fn on_message(&mut self, message: Message, directory: &dyn Directory) -> Action {
        let mut action = self.message(message, directory);
        self.annotate(&mut action);
        action
    }

    /// Adds the daemon's response annotations to the message `action` sends, if any.
    fn annotate(&self, action: &mut Action) {
        if let (Some(hook), Action::Send(message) | Action::SendAndClose(message)) =
            (&self.response_annotations, action)
        {
            hook.apply(message);
        }
    }

    fn message(&mut self, message: Message, directory: &dyn Directory) -> Action {
        match self.state {
            State::Closed => Action::Close,
            State::Handshake if message.msg_type != MessageType::Connect => {
                let error = ProtocolError::UnexpectedMessageType {
                    msg_type: u8::from(message.msg_type),
                    expected: &[MessageType::Connect],
                };
                self.protocol_error(error)
            }
            State::Handshake => self.handshake(message, directory),
            State::Ready => match message.msg_type {
                MessageType::Ping => Action::Send(
                    Message::new(MessageType::Ping, message.serializer_id, b"pong".to_vec())
                        .with_seq(message.seq)
                        .with_correlation_id(message.correlation_id.unwrap_or_else(new_correlation_id)),
                ),
                MessageType::Invoke => self.invoke(message, directory),
                other => {
                    tracing::warn!(
                        target: "pyro::daemon",
                        "error during handleRequest from {}: unexpected message type {}",
                        Peer(self.client_addr),
                        u8::from(other)
                    );
                    self.state = State::Closed;
                    Action::Close
                }
            },
        }
    }

    /// Pyro5's `Daemon._handshake`.
    fn handshake(&mut self, message: Message, directory: &dyn Directory) -> Action {
        self.state = State::Closed;
        let correlation_id = message.correlation_id.unwrap_or_else(new_correlation_id);
        if let Some(reason) = &self.denied {
            tracing::debug!(target: "pyro::daemon", "handshake failed with {}: {reason}", Peer(self.client_addr));
            return Action::SendAndClose(connect_fail(message.seq, Some(correlation_id), reason));
        }
        // An id no Pyro5 knows: closed without reply, as Pyro5 does.
        let Ok(ser) = Serializer::from_id(message.serializer_id) else {
            tracing::debug!(
                target: "pyro::daemon",
                "handshake failed with {}: unknown serializer id {}",
                Peer(self.client_addr),
                message.serializer_id
            );
            return Action::Close;
        };
        let client = ConnectionInfo::new(self.id, self.client_addr, ser, Some(correlation_id))
            .with_peer_certificates(self.peer_certificates.clone());
        let validate = |data: &Value| match self.hooks.handshake() {
            None => Ok(Value::from("hello")),
            Some(hook) => catch_unwind(AssertUnwindSafe(|| hook(&client, data))).unwrap_or_else(|panic| {
                Err(format!("handshake validation panicked: {}", exception::panic_text(panic.as_ref())))
            }),
        };
        let (msg_type, data) = match connect_reply(directory, ser, &message.data, validate) {
            Ok(data) => {
                tracing::debug!(target: "pyro::daemon", "handshake accepted from {}", Peer(self.client_addr));
                (MessageType::ConnectOk, data)
            }
            Err(reason) => {
                tracing::debug!(target: "pyro::daemon", "handshake failed with {}: {reason}", Peer(self.client_addr));
                (MessageType::ConnectFail, ser.to_bytes(&reason).unwrap_or_else(|_| marshal::encode_str(&reason)))
            }
        };
        let reply = Message::new(msg_type, ser.id(), data).with_seq(message.seq).with_correlation_id(correlation_id);
        if msg_type == MessageType::ConnectOk {
            self.state = State::Ready;
            self.client = Some(client);
            Action::Send(reply)
        } else {
            Action::SendAndClose(reply)
        }
    }

    /// Pyro5's `Daemon.handleRequest` for an INVOKE, up to running the call.
    fn invoke(&mut self, message: Message, directory: &dyn Directory) -> Action {
        // A deadline the request carries counts from now: when the message was read.
        let received = Instant::now();
        let Ok(ser) = Serializer::from_id(message.serializer_id) else {
            tracing::warn!(
                target: "pyro::daemon",
                "error during handleRequest from {}: unknown serializer id {}",
                Peer(self.client_addr),
                message.serializer_id
            );
            self.state = State::Closed;
            return Action::Close;
        };
        let oneway = message.flags.contains(Flags::ONEWAY);
        let batch = message.flags.contains(Flags::BATCH);
        let correlation_id = message.correlation_id.unwrap_or_else(new_correlation_id);
        // The target is known once the payload is decoded ("?" until then, for the errors; made
        // only where one can happen first, so that a call allocates no placeholder).
        let reply_to = |object: String, method: Arc<str>| ReplyTo {
            seq: message.seq,
            correlation_id,
            serializer: ser,
            object,
            method,
            oneway,
        };
        let unknown = || reply_to("?".to_owned(), Arc::from("?"));
        // Pyro5's `msg_flags` are the header's flags: CORR_ID included, COMPRESSED cleared.
        let mut header_flags = message.flags;
        if message.correlation_id.is_some() {
            header_flags.insert(Flags::CORR_ID);
        }
        if message.flags.contains(Flags::KEEPSERIALIZED) {
            let to = unknown();
            return self.invoke_blob(message, to, header_flags, received, directory);
        }
        // A batch is read entry by entry (msgpack: straight from the bytes), not as one tree.
        let payload = if batch {
            batch_call::decode(ser, &message.data, self.info.decode_limit).map(Payload::Batch)
        } else {
            crate::serializer::decode_call_shared(ser, &message.data, self.info.decode_limit).map(Payload::Call)
        };
        let mut payload = match payload {
            Ok(payload) => payload,
            // Pyro5 replies with the SerializeError, then closes the connection.
            Err(error) => {
                tracing::warn!(target: "pyro::daemon", "error during handleRequest from {}: {error}", Peer(self.client_addr));
                self.state = State::Closed;
                return if oneway { Action::Close } else { self.failure(&unknown(), error.into()) };
            }
        };
        let to = match &mut payload {
            Payload::Call(call) => reply_to(std::mem::take(&mut call.object), Arc::clone(&call.method)),
            Payload::Batch(call) => {
                reply_to(std::mem::take(&mut call.object), Arc::from(std::mem::take(&mut call.method)))
            }
        };
        let work = match payload {
            Payload::Batch(call) => match batch_calls(call.entries) {
                Ok(calls) => Work::Batch(calls),
                Err(error) => return self.failure(&to, error),
            },
            // Empty keyword arguments bind as none at all (and more cheaply).
            Payload::Call(call) => {
                let kwargs = call.kwargs.filter(|kwargs| !kwargs.is_empty());
                Work::Call(CallArgs::shared(call.method, Vargs::Many(call.vargs), kwargs))
            }
        };
        self.dispatch(to, work, message.annotations, header_flags, received, directory)
    }

    /// A KEEPSERIALIZED INVOKE (Pyro5's `__deserializeBlobArgs`): the target comes from the
    /// `BLBI` annotation, the payload is not deserialized, and the method gets one argument, the
    /// [`SerializedBlob`](crate::SerializedBlob).
    fn invoke_blob(
        &mut self,
        message: Message,
        mut to: ReplyTo,
        header_flags: Flags,
        received: Instant,
        directory: &dyn Directory,
    ) -> Action {
        // As in Pyro5: a missing annotation is its KeyError, bad marshal data its ValueError,
        // and the connection stays open.
        let Some(annotation) = message.annotations.get(AnnotationId::BLOB_INFO) else {
            return self.failure(&to, RemoteError::new("builtins.KeyError", vec![Value::from("BLBI")]).into());
        };
        let (info, object, method) = match crate::SerializedBlob::read_annotation(annotation) {
            Ok(target) => target,
            Err(error) => {
                let message = format!("bad BLBI annotation: {error}");
                return self.failure(&to, RemoteError::new("builtins.ValueError", vec![Value::from(message)]).into());
            }
        };
        (to.object, to.method) = (object, Arc::from(method));
        let blob = crate::SerializedBlob::received(info, to.serializer, message.data);
        let work = Work::Call(CallArgs::shared(Arc::clone(&to.method), Vargs::One(blob.to_value()), None));
        self.dispatch(to, work, message.annotations, header_flags, received, directory)
    }

    /// Runs `work` for `to`: on the daemon object here, else handed to the driver.
    fn dispatch(
        &mut self,
        to: ReplyTo,
        work: Work,
        annotations: Annotations,
        header_flags: Flags,
        received: Instant,
        directory: &dyn Directory,
    ) -> Action {
        let (ser, correlation_id, oneway) = (to.serializer, to.correlation_id, to.oneway);
        let deadline = match call_deadline(&annotations, received) {
            Ok(deadline) => deadline,
            Err(error) => return self.failure(&to, error),
        };
        let context = CallContext::new(ser)
            .with_deadline(deadline)
            .with_serialize_options(self.info.serialize_options)
            .with_session_id(self.id)
            .with_message(to.seq, header_flags)
            .with_correlation_id(correlation_id)
            .with_annotations(annotations)
            .with_session_state(Arc::clone(&self.connection));
        if to.object == DAEMON_OBJECT_ID {
            // Answered here: the daemon object runs no user code.
            if let (Work::Call(_), "get_next_stream_item", Some(streams)) = (&work, &*to.method, &self.streams) {
                // The stream's iterator is user code: the driver runs it, like any call.
                let servant: Arc<dyn Servant> = Arc::new(NextItem { streams: Arc::clone(streams) });
                let request = Request { to, servant, context, work };
                let request = Box::new(request);
                return if oneway { Action::DispatchOneway(request) } else { Action::Dispatch(request) };
            }
            let info = Arc::clone(&self.info);
            let streams = self.streams.clone();
            let call = |ctx: &mut CallContext, method: &str, args: CallArgs| {
                daemon_object::call(directory, &info, streams.as_deref(), ctx, method, args)
            };
            let completed = execute(to, context, work, daemon_object::metadata(), &call);
            return self.result(completed);
        }
        let Some(servant) = directory.servant(&to.object) else {
            tracing::debug!(target: "pyro::daemon", "unknown object requested: {}", to.object);
            return self.failure(&to, daemon_object::unknown_object());
        };
        let request = Request { to, servant, context, work };
        let request = Box::new(request);
        if oneway { Action::DispatchOneway(request) } else { Action::Dispatch(request) }
    }

    /// The RESULT message for a call that has run.
    ///
    /// See [`ServerSession`] for an example.
    pub fn reply(&mut self, completed: Completed) -> Action {
        let mut action = self.result(completed);
        self.annotate(&mut action);
        action
    }

    fn result(&mut self, completed: Completed) -> Action {
        let Completed { to, outcome, annotations } = completed;
        if to.oneway {
            return Action::Continue;
        }
        let ser = to.serializer;
        let (flags, data) = match outcome {
            Outcome::Returned(Ok(Reply::Stream(iterator))) => return self.stream_reply(&to, iterator),
            Outcome::Returned(Ok(reply)) => match reply.into_bytes_with(ser, self.info.serialize_options) {
                Ok(data) => (Flags::EMPTY, data),
                Err(error) => return self.failure(&to, error),
            },
            Outcome::Batch(Ok(results)) => match results.list.finish() {
                Ok(data) => (Flags::BATCH, data),
                Err(error) => return self.failure(&to, error.into()),
            },
            Outcome::Returned(Err(error)) | Outcome::Batch(Err(error)) => return self.failure(&to, error),
        };
        let mut reply = to.message(flags, data);
        if !annotations.is_empty() {
            reply = reply.with_annotations(annotations);
        }
        Action::Send(reply)
    }

    /// The reply to a call that returned an iterator (Pyro5's `_streamResponse`): the stream is
    /// registered and the reply is an exception RESULT with `ProtocolError("result of call is
    /// an iterator")` (kept by Pyro5 for old clients), flags `EXCEPTION|ITEMSTREAMRESULT`, and
    /// the stream id in the `STRM` annotation; with streaming off, the same without `STRM`.
    fn stream_reply(&mut self, to: &ReplyTo, iterator: crate::dispatch::ItemStream) -> Action {
        let id = match &self.streams {
            Some(streams) if streams.settings().enabled => match streams.open(iterator, self.id) {
                Ok(id) => Some(id),
                Err(error) => return self.failure(to, error),
            },
            _ => {
                drop(iterator);
                None
            }
        };
        let remote = RemoteError::new("Pyro5.errors.ProtocolError", vec![Value::from("result of call is an iterator")]);
        let reply = to.message(
            Flags::EXCEPTION | Flags::ITEMSTREAMRESULT,
            exception::payload(to.serializer, self.info.serialize_options, &remote),
        );
        Action::Send(match id {
            Some(id) => {
                let mut annotations = Annotations::default();
                annotations.insert(AnnotationId::STREAM, id.into_bytes());
                reply.with_annotations(annotations)
            }
            None => reply,
        })
    }

    /// The exception RESULT for `error` (nothing for a oneway call); closes after the exception
    /// classes Pyro5 closes after (communication errors and `SecurityError`). Unlike Pyro5, which
    /// sends nothing for a communication error other than `SerializeError`, the reply is still
    /// sent, so the client learns why.
    fn failure(&mut self, to: &ReplyTo, error: Error) -> Action {
        if to.oneway {
            return if self.state == State::Closed { Action::Close } else { Action::Continue };
        }
        let remote = exception::remote_exception(&to.object, &to.method, error);
        let reply =
            to.message(Flags::EXCEPTION, exception::payload(to.serializer, self.info.serialize_options, &remote));
        if self.state == State::Closed || exception::closes_connection(&remote.class) {
            self.state = State::Closed;
            Action::SendAndClose(reply)
        } else {
            Action::Send(reply)
        }
    }
}

impl Drop for ServerSession {
    /// The connection is gone: see [`ServerSession::close`].
    fn drop(&mut self) {
        self.close();
    }
}

/// The deadline of a request with these annotations, read at `received`: none without a
/// `DDLN` annotation; a malformed one is a `ValueError` naming it (the connection stays open,
/// as for a bad `BLBI`).
fn call_deadline(annotations: &Annotations, received: Instant) -> Result<Option<Deadline>, Error> {
    let Some(value) = annotations.get(AnnotationId::DEADLINE) else { return Ok(None) };
    match deadline::decode(value) {
        Ok(left) => Ok(Some(deadline::starting(received, left))),
        Err(error) => Err(RemoteError::new("builtins.ValueError", vec![Value::from(error.to_string())]).into()),
    }
}

/// The CONNECTOK payload, or the reason for refusing (Python's `str(exception)`): the handshake
/// data goes through `validate` first, then the object's metadata is looked up, in Pyro5's order.
fn connect_reply(
    directory: &dyn Directory,
    ser: Serializer,
    data: &[u8],
    validate: impl FnOnce(&Value) -> Result<Value, String>,
) -> Result<Vec<u8>, String> {
    #[derive(serde::Serialize)]
    struct ConnectOk<'a> {
        handshake: &'a Value,
        meta: &'a Metadata,
    }
    let request: Value = ser.from_bytes(data).map_err(|e| e.to_string())?;
    let dict = request.as_dict().ok_or_else(|| format!("invalid handshake data: {}", request.type_name()))?;
    let handshake = dict.get("handshake").ok_or_else(|| "'handshake'".to_owned())?;
    let response = validate(handshake)?;
    let object = dict.get("object").ok_or_else(|| "'object'".to_owned())?;
    let meta = object
        .as_str()
        .and_then(|id| daemon_object::metadata_of(directory, id))
        .ok_or_else(|| daemon_object::unknown_object().to_remote().message)?;
    ser.to_bytes(&ConnectOk { handshake: &response, meta: &meta }).map_err(|e| e.to_string())
}

/// A CONNECTFAIL in marshal (what Pyro5 sends before it knows the serializer, or when refusing).
fn connect_fail(seq: u16, correlation_id: Option<Uuid>, reason: &str) -> Message {
    let reply =
        Message::new(MessageType::ConnectFail, Serializer::MARSHAL_ID, marshal::encode_str(reason)).with_seq(seq);
    match correlation_id {
        Some(id) => reply.with_correlation_id(id),
        None => reply,
    }
}
