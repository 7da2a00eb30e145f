//! [`DaemonBuilder`]: the configuration, bind address, NAT address and hooks of a [`Daemon`], and
//! binding its listener.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};

use super::autoproxy::SessionObjects;
use super::callback;
use super::oneway::{ONEWAY_QUEUE, ONEWAY_WORKERS, OnewayRunner};
use super::registry::Registry;
use super::{ConnectionInfo, Daemon, Endpoint, Inner, ServerHooks, in_flight_limit};
use crate::protocol::{Annotations, ByteBudget};
use crate::session::{DaemonInfo, ResponseAnnotations, StreamSettings, Streams};
use crate::transport::Listener;
use crate::uri::Location;
use crate::{Config, Error, Value};

/// Builds a [`Daemon`]: configuration, bind address, NAT address.
///
/// ```
/// use pyro::daemon::Daemon;
/// let config = pyro::Config { threadpool_size: 8, threadpool_size_min: 2, ..Default::default() };
/// let daemon = Daemon::builder().config(config).host("127.0.0.1").port(0).bind().unwrap();
/// assert_eq!(daemon.config().threadpool_size, 8);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DaemonBuilder {
    pub(super) config: Option<Config>,
    pub(super) host: Option<String>,
    pub(super) port: u16,
    #[cfg(unix)]
    pub(super) unix_socket: Option<String>,
    pub(super) nat_host: Option<String>,
    pub(super) nat_port: Option<u16>,
    pub(super) max_streams: Option<usize>,
    pub(super) max_in_flight: Option<u64>,
    pub(super) decode_limit: Option<crate::serializer::DecodeLimit>,
    pub(super) hooks: ServerHooks,
    pub(super) response_annotations: Option<ResponseAnnotations>,
    pub(super) callback_hook: callback::CallbackHook,
}

impl DaemonBuilder {
    /// The configuration (default: [`Config::environment`], the defaults overridden by the
    /// `PYRO_*` environment variables; an invalid one makes [`bind`](DaemonBuilder::bind) fail).
    ///
    /// See [`DaemonBuilder`] for an example.
    #[must_use]
    pub fn config(mut self, config: Config) -> DaemonBuilder {
        self.config = Some(config);
        self
    }

    /// The host to bind (default: the configuration's `HOST`). IPv6 addresses without brackets.
    ///
    /// See [`DaemonBuilder`] for an example.
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> DaemonBuilder {
        self.host = Some(host.into());
        self
    }

    /// The TCP port (default 0: any free port).
    ///
    /// See [`DaemonBuilder`] for an example.
    #[must_use]
    pub fn port(mut self, port: u16) -> DaemonBuilder {
        self.port = port;
        self
    }

    /// Listen on a Unix domain socket instead of TCP (`"\0name"`: Linux's abstract namespace).
    ///
    /// See [`Daemon::bind_unix`] for an example.
    #[cfg(unix)]
    #[must_use]
    pub fn unix_socket(mut self, path: impl Into<String>) -> DaemonBuilder {
        self.unix_socket = Some(path.into());
        self
    }

    /// The external host and port to put in URIs (default: the configuration's `NATHOST` and
    /// `NATPORT`); port 0 = the daemon's own port.
    ///
    /// See [`Daemon::uri_for`] for an example.
    #[must_use]
    pub fn nat(mut self, host: impl Into<String>, port: u16) -> DaemonBuilder {
        self.nat_host = Some(host.into());
        self.nat_port = Some(port);
        self
    }

    /// The most item streams open at once (default
    /// [`DEFAULT_MAX_STREAMS`](crate::session::DEFAULT_MAX_STREAMS)); past it, a call returning
    /// an iterator gets `Pyro5.errors.PyroError("too many open item streams ...")` instead of a
    /// stream, and its iterator is dropped. Streams end when iterated to the end, closed by
    /// the client, or expired (`ITER_STREAM_LIFETIME`, `ITER_STREAM_LINGER`).
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::builder().host("127.0.0.1").max_streams(10).bind().unwrap();
    /// assert_eq!(daemon.open_streams(), 0);
    /// ```
    #[must_use]
    pub fn max_streams(mut self, max: usize) -> DaemonBuilder {
        self.max_streams = Some(max);
        self
    }

    /// The most bytes of decompressed messages all connections together may hold at once
    /// (default: `MAX_MESSAGE_SIZE`, but at least 64 MiB). A compressed message that would
    /// inflate past what is left is refused (`server busy: too many bytes in flight`) and its
    /// connection closed, so compression bombs on many connections take no more memory than this.
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::builder().host("127.0.0.1").max_in_flight(256 << 20).bind().unwrap();
    /// ```
    #[must_use]
    pub fn max_in_flight(mut self, bytes: u64) -> DaemonBuilder {
        self.max_in_flight = Some(bytes);
        self
    }

    /// What the decoded values of one request may cost in memory (default
    /// [`DecodeLimit::default`](crate::serializer::DecodeLimit): 16 bytes per byte of the
    /// request, at least 64 MiB, at most 1 GiB; see there for what is counted). A request past
    /// its limit is refused, mostly before any of its values is built: the client gets Pyro5's
    /// `SerializeError` and the connection is closed, as for any payload that cannot be read.
    ///
    /// ```
    /// use pyro::serializer::DecodeLimit;
    /// let limit = DecodeLimit::new(256 << 20).with_floor(256 << 20);
    /// let daemon = pyro::daemon::Daemon::builder().host("127.0.0.1").decode_limit(limit).bind().unwrap();
    /// ```
    #[must_use]
    pub fn decode_limit(mut self, limit: crate::serializer::DecodeLimit) -> DaemonBuilder {
        self.decode_limit = Some(limit);
        self
    }

    /// Validates each client's handshake (Pyro5's overridable `Daemon.validateHandshake(conn,
    /// data)`): `hook` sees the connection (its id and the client's address) and the handshake
    /// data the client sent (a Pyro5 proxy's `_pyroHandshake`, a Rust proxy's
    /// [`set_handshake`](crate::proxy::Proxy::set_handshake); `"hello"` by default), and returns
    /// `Ok(response)` to accept (the client reads the response: Pyro5's
    /// `_pyroValidateHandshake`, [`Proxy::handshake_response`](crate::proxy::Proxy::handshake_response))
    /// or `Err(reason)` to refuse with CONNECTFAIL: a Python client raises
    /// `CommunicationError("connection to <location> rejected: <reason>")`, a Rust proxy
    /// returns [`Error::ConnectionRejected`]. The default accepts everyone with `"hello"`.
    ///
    /// ```
    /// use pyro::Value;
    /// let daemon = pyro::daemon::Daemon::builder()
    ///     .host("127.0.0.1")
    ///     .validate_handshake(|conn, data| match data.as_str() {
    ///         Some("pancakes") => Ok(Value::from(format!("welcome, client {}", conn.id()))),
    ///         _ => Err("wrong secret code, connection refused".into()),
    ///     })
    ///     .bind()
    ///     .unwrap();
    /// ```
    #[must_use]
    pub fn validate_handshake(
        mut self,
        hook: impl Fn(&ConnectionInfo, &Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> DaemonBuilder {
        self.hooks = self.hooks.validate_handshake(hook);
        self
    }

    /// Calls `hook` when a client disconnects (Pyro5's overridable `Daemon.clientDisconnect`):
    /// once for every connection that completed its handshake, before its session instances
    /// are dropped and its tracked resources closed, as in Pyro5 (the hook sees their names in
    /// [`ConnectionInfo::tracked_resources`]).
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::builder()
    ///     .host("127.0.0.1")
    ///     .client_disconnect(|conn| println!("{:?} leaves {:?} open", conn.client_addr(), conn.tracked_resources()))
    ///     .bind()
    ///     .unwrap();
    /// ```
    #[must_use]
    pub fn client_disconnect(mut self, hook: impl Fn(&ConnectionInfo) + Send + Sync + 'static) -> DaemonBuilder {
        self.hooks = self.hooks.client_disconnect(hook);
        self
    }

    /// Annotations to add to every reply the daemon sends (Pyro5's overridable
    /// `Daemon.annotations()`): the handshake's CONNECTOK or CONNECTFAIL, PING answers and every
    /// RESULT. `annotations` runs once per reply; an id a method also set in its response
    /// annotations gets the daemon's value, as in Pyro5. Clients read them as response
    /// annotations ([`current_context::response_annotations`](crate::current_context::response_annotations)
    /// for a Rust proxy, `current_context.response_annotations` in Python).
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let daemon = pyro::daemon::Daemon::builder()
    ///     .host("127.0.0.1")
    ///     .annotations(|| {
    ///         let mut annotations = Annotations::new();
    ///         annotations.insert(AnnotationId::try_from("DDAA").unwrap(), b"set by the daemon".to_vec());
    ///         annotations
    ///     })
    ///     .bind()
    ///     .unwrap();
    /// ```
    #[must_use]
    pub fn annotations(mut self, annotations: impl Fn() -> Annotations + Send + Sync + 'static) -> DaemonBuilder {
        self.response_annotations = Some(ResponseAnnotations::new(annotations));
        self
    }

    /// Binds the socket (every daemon serves `Pyro.Daemon`). Fails on an invalid configuration
    /// (pool sizes), a NAT host together with a Unix socket, or a socket that cannot be bound.
    ///
    /// See [`DaemonBuilder`] for an example.
    pub fn bind(self) -> Result<Daemon, Error> {
        let config = self.validated_config()?;
        crate::logging::init(&config)?;
        let tls = if config.ssl {
            #[cfg(unix)]
            if self.unix_socket.is_some() {
                return Err(Error::Tls { message: "TLS over Unix domain sockets is not supported".into() });
            }
            Some(crate::transport::TlsServer::from_config(&config)?)
        } else {
            None
        };
        let nat_host = self.nat_host.clone().or_else(|| config.nat_host.clone());
        let nat_port = self.nat_port.unwrap_or(config.nat_port);
        let (listener, location) = self.listen(&config, nat_host.is_some())?;
        let nat_location = match (&location, nat_host) {
            (Location::Tcp { port, .. }, Some(host)) => {
                Some(Location::tcp(host, if nat_port == 0 { *port } else { nat_port }))
            }
            _ => None,
        };
        let server = Daemon::server_description(&config, &location);
        Ok(self.build(config, Endpoint::Listener(listener), location, nat_location, server, tls))
    }

    /// The configuration given (else the environment's), checked.
    pub(super) fn validated_config(&self) -> Result<Config, Error> {
        let config = match &self.config {
            Some(config) => config.clone(),
            None => Config::environment()?,
        };
        config.validate()?;
        Ok(config)
    }

    /// The daemon, once its endpoint is there; `server` is what `Pyro.Daemon.info()` names.
    pub(super) fn build(
        self,
        config: Config,
        endpoint: Endpoint,
        location: Location,
        nat_location: Option<Location>,
        server: String,
        tls: Option<crate::transport::TlsServer>,
    ) -> Daemon {
        let info = DaemonInfo {
            location: location.to_string(),
            nat_location: nat_location.as_ref().map(ToString::to_string),
            server,
            serialize_options: crate::serializer::SerializeOptions::from_config(&config),
            decode_limit: self.decode_limit.unwrap_or_default(),
        };
        let oneway = OnewayRunner::new(config.threadpool_size.min(ONEWAY_WORKERS), ONEWAY_QUEUE);
        let mut stream_settings = StreamSettings::from_config(&config);
        if let Some(max) = self.max_streams {
            stream_settings.max_streams = max;
        }
        let in_flight = Arc::new(ByteBudget::new(self.max_in_flight.unwrap_or_else(|| in_flight_limit(&config))));
        let inner = Inner {
            streams: Arc::new(Streams::new(stream_settings)),
            hooks: self.hooks.clone(),
            response_annotations: self.response_annotations.clone(),
            config,
            endpoint,
            location,
            nat_location,
            registry: Arc::new(Registry::default()),
            autoproxied: SessionObjects::default(),
            callback_hook: self.callback_hook.0.clone(),
            info: Arc::new(info),
            oneway,
            connections: Mutex::default(),
            connection_closed: Condvar::new(),
            shutting_down: AtomicBool::new(false),
            refusals: Arc::default(),
            in_flight,
            tls,
        };
        tracing::debug!(target: "pyro::daemon", "daemon created on {} (pid {})", inner.location, std::process::id());
        Daemon { inner: Arc::new(inner) }
    }

    fn listen(&self, config: &Config, has_nat: bool) -> Result<(Listener, Location), Error> {
        #[cfg(unix)]
        if let Some(path) = &self.unix_socket {
            if has_nat {
                return Err(Error::Daemon { message: "cannot use nathost together with unixsocket".into() });
            }
            let listener = Listener::bind_unix(path).map_err(|e| bind_error(&format!("./u:{path}"), e))?;
            return Ok((listener, Location::unix(path.clone())));
        }
        let _ = has_nat;
        let host = self.host.clone().unwrap_or_else(|| config.host.clone());
        let listener = Listener::bind_tcp(&host, self.port, config.prefer_ip_version)
            .map_err(|e| bind_error(&Location::tcp(host.clone(), self.port).to_string(), e))?;
        let port = listener.tcp_addr().map_or(self.port, |a| a.port());
        Ok((listener, Location::tcp(host, port)))
    }
}

fn bind_error(location: &str, source: std::io::Error) -> Error {
    Error::Communication { message: format!("cannot bind a daemon to {location}"), source: Some(source) }
}
