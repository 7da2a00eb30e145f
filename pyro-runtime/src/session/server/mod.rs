//! [`ServerSession`]: one client connection as the daemon sees it, without I/O: the
//! handshake, calls, batches, item streams and the `Pyro.Daemon` object, as Pyro5's daemon answers
//! them.

use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::hooks::{ConnectionInfo, ServerHooks};
use super::request::Request;
use super::response_annotations::ResponseAnnotations;
use super::state::SessionState;
use super::streams::Streams;
use crate::dispatch::Servant;
use crate::logging::Peer;
use crate::protocol::{Message, MessageType, ProtocolError, new_correlation_id};
use crate::serializer::{DecodeLimit, SerializeOptions};

mod handshake;
mod invoke;
mod reply;

use handshake::connect_fail;

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
    /// through their [`CallContext`](crate::dispatch::CallContext).
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
}

impl Drop for ServerSession {
    /// The connection is gone: see [`ServerSession::close`].
    fn drop(&mut self) {
        self.close();
    }
}
