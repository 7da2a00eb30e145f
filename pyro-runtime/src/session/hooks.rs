//! [`ServerHooks`]: the daemon's user hooks on a connection's life (Pyro5's overridable
//! `Daemon.validateHandshake(conn, data)` and `Daemon.clientDisconnect(conn)`).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use uuid::Uuid;

use crate::{Serializer, Value};

/// What a hook knows about a client connection (what Pyro5 hands its hooks as `conn`, plus the
/// handshake's context): the connection id, the client's address, the serializer and
/// correlation id of its CONNECT message, and (for the disconnect hook) the resources the
/// connection still tracks.
///
/// ```
/// use pyro::session::ConnectionInfo;
/// let info = ConnectionInfo::new(3, "127.0.0.1:5000".parse().ok(), pyro::Serializer::Serpent, None);
/// assert_eq!(info.id(), 3);
/// assert_eq!(info.client_addr().map(|a| a.port()), Some(5000));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    id: u64,
    client_addr: Option<SocketAddr>,
    serializer: Serializer,
    correlation_id: Option<Uuid>,
    tracked_resources: Vec<String>,
    peer_certificates: Vec<Vec<u8>>,
}

impl ConnectionInfo {
    /// Information about connection `id` (unique within its daemon) from `client_addr` (`None`
    /// on a Unix socket), whose CONNECT came in `serializer` with `correlation_id`.
    ///
    /// See [`ConnectionInfo`] for an example.
    pub fn new(
        id: u64,
        client_addr: Option<SocketAddr>,
        serializer: Serializer,
        correlation_id: Option<Uuid>,
    ) -> ConnectionInfo {
        ConnectionInfo {
            id,
            client_addr,
            serializer,
            correlation_id,
            tracked_resources: Vec::new(),
            peer_certificates: Vec::new(),
        }
    }

    /// The same connection, tracking the resources named `names` (the session gives the
    /// disconnect hook these).
    ///
    /// See [`ConnectionInfo::tracked_resources`] for an example.
    #[must_use]
    pub fn with_tracked_resources(mut self, names: Vec<String>) -> ConnectionInfo {
        self.tracked_resources = names;
        self
    }

    /// The same connection, whose client presented the TLS certificate chain `chain` (DER,
    /// its own certificate first).
    ///
    /// See [`ConnectionInfo::peer_certificates`] for an example.
    #[must_use]
    pub fn with_peer_certificates(mut self, chain: Vec<Vec<u8>>) -> ConnectionInfo {
        self.peer_certificates = chain;
        self
    }

    /// The client's TLS certificate chain, DER encoded, its own certificate first (Pyro5's
    /// `conn.getpeercert()`, which a handshake validator checks); empty without TLS or when the
    /// daemon does not require client certificates (`SSL_REQUIRECLIENTCERT`).
    ///
    /// ```
    /// # use pyro::session::ConnectionInfo;
    /// let info = ConnectionInfo::new(0, None, pyro::Serializer::Json, None);
    /// assert!(info.peer_certificates().is_empty());
    /// let info = info.with_peer_certificates(vec![vec![0x30, 0x82]]);
    /// assert_eq!(info.peer_certificates()[0], [0x30, 0x82]);
    /// ```
    pub fn peer_certificates(&self) -> &[Vec<u8>] {
        &self.peer_certificates
    }

    /// The [names](super::Resource::name) of the resources the connection tracks, in the order
    /// tracked (Pyro5's `conn.tracked_resources`): for the disconnect hook, those still tracked
    /// when the client went away, which are closed right after the hook; for the handshake
    /// validator none (no call has run yet).
    ///
    /// ```
    /// # use pyro::session::ConnectionInfo;
    /// let info = ConnectionInfo::new(0, None, pyro::Serializer::Json, None);
    /// assert!(info.tracked_resources().is_empty());
    /// let info = info.with_tracked_resources(vec!["lease".into()]);
    /// assert_eq!(info.tracked_resources(), ["lease"]);
    /// ```
    pub fn tracked_resources(&self) -> &[String] {
        &self.tracked_resources
    }

    /// The connection (session) id, the one calls see as
    /// [`CallContext::session_id`](crate::dispatch::CallContext::session_id).
    ///
    /// See [`ConnectionInfo`] for an example.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The client's address (Pyro5's `conn.sock.getpeername()`), `None` on a Unix socket.
    ///
    /// See [`ConnectionInfo`] for an example.
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.client_addr
    }

    /// The serializer of the client's CONNECT message (its calls may use others).
    ///
    /// ```
    /// # use pyro::session::ConnectionInfo;
    /// let info = ConnectionInfo::new(0, None, pyro::Serializer::Json, None);
    /// assert_eq!(info.serializer(), pyro::Serializer::Json);
    /// ```
    pub fn serializer(&self) -> Serializer {
        self.serializer
    }

    /// The correlation id of the CONNECT message (a random one if it carried none, as Pyro5
    /// makes up).
    ///
    /// ```
    /// # use pyro::session::ConnectionInfo;
    /// let id = uuid::Uuid::from_u128(7);
    /// let info = ConnectionInfo::new(0, None, pyro::Serializer::Json, Some(id));
    /// assert_eq!(info.correlation_id(), Some(id));
    /// ```
    pub fn correlation_id(&self) -> Option<Uuid> {
        self.correlation_id
    }
}

/// Validates a client's handshake: sees the connection and the handshake data the client sent
/// (Pyro5's `_pyroHandshake`, `"hello"` by default) and returns the response data the client
/// gets in its CONNECTOK, or the reason to refuse it with CONNECTFAIL.
pub type HandshakeHook = Arc<dyn Fn(&ConnectionInfo, &Value) -> Result<Value, String> + Send + Sync>;

/// Called when a client that completed its handshake disconnects.
pub type DisconnectHook = Arc<dyn Fn(&ConnectionInfo) + Send + Sync>;

/// The user hooks of a daemon's connections. Without a handshake hook every handshake is
/// accepted with the response `"hello"` (Pyro5's default `validateHandshake`).
///
/// ```
/// use pyro::session::ServerHooks;
/// use pyro::Value;
///
/// let hooks = ServerHooks::default()
///     .validate_handshake(|_conn, data| match data.as_str() {
///         Some("secret") => Ok(Value::from("welcome")),
///         _ => Err("wrong secret".into()),
///     })
///     .client_disconnect(|conn| println!("client {} left", conn.id()));
/// assert!(hooks.has_handshake_hook());
/// ```
#[derive(Clone, Default)]
pub struct ServerHooks {
    handshake: Option<HandshakeHook>,
    disconnect: Option<DisconnectHook>,
}

impl ServerHooks {
    /// Sets the handshake validator (Pyro5's `Daemon.validateHandshake`): `Ok(response)`
    /// accepts the client, which reads `response` (a Python proxy's `_pyroValidateHandshake`
    /// gets it; a Rust proxy's [`handshake_response`](crate::proxy::Proxy::handshake_response));
    /// `Err(reason)` refuses it with CONNECTFAIL `reason`, which a Python client raises as
    /// `CommunicationError("connection to ... rejected: <reason>")`. A validator that panics
    /// refuses the client too.
    ///
    /// See [`ServerHooks`] for an example.
    #[must_use]
    pub fn validate_handshake(
        mut self,
        hook: impl Fn(&ConnectionInfo, &Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> ServerHooks {
        self.handshake = Some(Arc::new(hook));
        self
    }

    /// Sets the client-disconnect hook (Pyro5's `Daemon.clientDisconnect`): called once for each
    /// connection that completed its handshake, when it closes, before its session instances
    /// are dropped and its tracked resources closed (Pyro5's order). A panic in it is ignored.
    ///
    /// See [`ServerHooks`] for an example.
    #[must_use]
    pub fn client_disconnect(mut self, hook: impl Fn(&ConnectionInfo) + Send + Sync + 'static) -> ServerHooks {
        self.disconnect = Some(Arc::new(hook));
        self
    }

    /// Whether a handshake validator is set.
    ///
    /// See [`ServerHooks`] for an example.
    pub fn has_handshake_hook(&self) -> bool {
        self.handshake.is_some()
    }

    /// Whether a client-disconnect hook is set.
    ///
    /// ```
    /// assert!(!pyro::session::ServerHooks::default().has_disconnect_hook());
    /// ```
    pub fn has_disconnect_hook(&self) -> bool {
        self.disconnect.is_some()
    }

    pub(super) fn handshake(&self) -> Option<&HandshakeHook> {
        self.handshake.as_ref()
    }

    pub(super) fn disconnect(&self) -> Option<&DisconnectHook> {
        self.disconnect.as_ref()
    }
}

impl fmt::Debug for ServerHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHooks")
            .field("validate_handshake", &self.handshake.is_some())
            .field("client_disconnect", &self.disconnect.is_some())
            .finish()
    }
}
