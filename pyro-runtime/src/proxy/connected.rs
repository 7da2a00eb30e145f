//! A proxy over a connection the user already has (Pyro5's `Proxy(name,
//! connected_socket=s)`, reference 9.3 and 5.1): no CONNECT handshake; the metadata comes from
//! `Pyro.Daemon.get_metadata`.

use std::sync::{Arc, Mutex, PoisonError};

use super::connection::{self, Connection};
use super::pool::Lease;
use super::{EmptyKwargs, Known, Proxy};
use crate::dispatch::Metadata;
use crate::protocol::{Message, MessageType};
use crate::session::DAEMON_OBJECT_ID;
use crate::transport::{ConnectedStream, Socket};
use crate::{Config, Error, Uri, current_context};

/// The host Pyro5 puts in the URI of a proxy over a connected socket:
/// `PYRO:<object>@<<connected-socket>>:0`.
///
/// ```
/// use pyro::{proxy::CONNECTED_SOCKET_HOST, Uri};
/// assert_eq!(Uri::pyro("echo", CONNECTED_SOCKET_HOST, 0).unwrap().to_string(), "PYRO:echo@<<connected-socket>>:0");
/// ```
pub const CONNECTED_SOCKET_HOST: &str = "<<connected-socket>>";

/// The socket of a proxy over a connected socket, until its one connection takes it.
#[derive(Debug)]
pub(super) struct Adoptable(Mutex<Option<Socket>>);

impl Proxy {
    /// A proxy for the object `object` served over the connection `stream` (Pyro5's
    /// `Proxy(object, connected_socket=stream)`), e.g. one end of `UnixStream::pair()` whose
    /// other end a [`Daemon::connected`](crate::Daemon::connected) (or Python's
    /// `Daemon(connected_socket=...)`) serves. The process's [`Config::environment`] applies.
    ///
    /// As in Pyro5:
    /// - its URI is `PYRO:<object>@<<connected-socket>>:0`;
    /// - there is no CONNECT handshake: the proxy fetches the metadata at once, with an INVOKE
    ///   of `Pyro.Daemon.get_metadata(object)` (sequence number 1), and fails if that fails;
    ///   as a handshake, that waits no longer than the proxy's timeout (`COMMTIMEOUT`) and the
    ///   current [deadline](crate::deadline) (e.g. `deadline::within(budget, || Proxy::connected(..))`),
    ///   the earlier of the two, then fails with an [`Error::Timeout`] ("binding `<uri>`: the
    ///   deadline passed" for the deadline);
    /// - it has one connection (calls from several threads take turns), and calls, oneway
    ///   calls, batches and item streams go over it as over any connection;
    /// - it never closes or shuts down the user's connection: it uses a second handle
    ///   ([`ConnectedStream::connected_socket`]) and drops only that. Once the proxy lets go of
    ///   its connection ([`release`](Proxy::release), being dropped, or an error that drops the
    ///   connection) it cannot connect again: later calls fail with a communication error, as a
    ///   Pyro5 proxy tries to connect to `<<connected-socket>>:0` then. The stream stays open
    ///   for its owner, e.g. for the next proxy over it (Pyro5's socketpair example makes two,
    ///   one after the other). The proxy's timeout ([`set_timeout`](Proxy::set_timeout),
    ///   `COMMTIMEOUT`) is set on the socket itself, which its handles share.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use pyro::{Daemon, proxy::Proxy};
    /// let (server_end, client_end) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let daemon = Daemon::connected(&server_end).unwrap();
    /// let server = std::thread::spawn(move || daemon.request_loop());
    /// for _ in 0..2 {
    ///     let proxy = Proxy::connected(&client_end, "Pyro.Daemon").unwrap();
    ///     assert!(proxy.metadata().unwrap().methods.contains("ping"));
    ///     let () = proxy.call("ping", &()).unwrap();
    /// } // each proxy drops its own handle; the connection stays open for the next one
    /// drop(client_end);
    /// server.join().unwrap().unwrap();
    /// # }
    /// ```
    pub fn connected(stream: &impl ConnectedStream, object: &str) -> Result<Proxy, Error> {
        Proxy::connected_with_config(stream, object, &Config::environment()?)
    }

    /// [`Proxy::connected`] with the settings of `config` (serializer, timeout, retries,
    /// compression, message size). `SSL` is refused: TLS over a connected socket is not
    /// supported.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use pyro::{Config, Daemon, Serializer, proxy::Proxy};
    /// let (server_end, client_end) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let daemon = Daemon::builder().config(Config::default()).connected(&server_end).unwrap();
    /// let server = std::thread::spawn(move || daemon.request_loop());
    /// let config = Config { serializer: Some(Serializer::Json), ..Config::default() };
    /// let proxy = Proxy::connected_with_config(&client_end, "Pyro.Daemon", &config).unwrap();
    /// assert_eq!(proxy.serializer(), Serializer::Json);
    /// assert_eq!(proxy.max_connections(), 1);
    /// drop((proxy, client_end));
    /// server.join().unwrap().unwrap();
    /// # }
    /// ```
    pub fn connected_with_config(stream: &impl ConnectedStream, object: &str, config: &Config) -> Result<Proxy, Error> {
        if config.ssl {
            return Err(tls_refused());
        }
        let uri = Uri::pyro(object, CONNECTED_SOCKET_HOST, 0)?;
        let socket = stream.connected_socket().map_err(|source| Error::Communication {
            message: "cannot call over the connected socket".into(),
            source: Some(source),
        })?;
        let mut proxy = Proxy::with_config(uri, config);
        proxy.connected = Some(Box::new(Adoptable(Mutex::new(Some(socket)))));
        proxy.set_max_connections(1);
        proxy.bind()?;
        Ok(proxy)
    }

    /// Whether this proxy works over a connected socket ([`Proxy::connected`]).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(!proxy.is_over_connected_socket());
    /// ```
    pub fn is_over_connected_socket(&self) -> bool {
        self.connected.is_some()
    }

    /// Fills the lease with the connection over the connected socket and fetches the
    /// metadata over it (Pyro5's `_pyroGetMetadata` for a proxy without a handshake).
    pub(super) fn adopt<'l>(
        &self,
        lease: &'l mut Lease<'_>,
        adoptable: &Adoptable,
    ) -> Result<&'l mut Connection, Error> {
        let taken = adoptable.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(socket) = taken else {
            return Err(released_error());
        };
        let (serializer, mut request) = self.metadata_request(None)?;
        let conn =
            lease.fill(Connection::adopt(socket, &self.uri, serializer, self.timeout, self.options, lease.generation)?);
        // Bounded as a handshake is: by the call's deadline (`leased_by_deadline` made a
        // per-call one current) and the timeout; a timeout past the deadline becomes the
        // deadline's error there.
        let by = crate::deadline::current().map(|deadline| connection::by(deadline, self.timeout));
        let reply = conn
            .exchange_by(&mut request, by)?
            .ok_or_else(|| Error::Communication { message: "no reply to get_metadata".into(), source: None })?;
        self.adopt_metadata(conn.session(), &reply)?;
        Ok(conn)
    }

    /// The serializer of a connection over a connected socket (settled now: there is no
    /// handshake to negotiate it) and its first request, `Pyro.Daemon.get_metadata(object)`,
    /// stamped with the proxy's annotations and those of `thread` (else the current thread's).
    /// Shared with the async proxy over a connected socket.
    pub(crate) fn metadata_request(
        &self,
        thread: Option<&current_context::Outgoing>,
    ) -> Result<(crate::Serializer, Message), Error> {
        let serializer = self.serializer();
        self.serializer.settle(serializer);
        let payload = serializer.encode_call_with(
            self.serialize_options,
            DAEMON_OBJECT_ID,
            "get_metadata",
            &(self.uri.object(),),
            Some(&EmptyKwargs),
        )?;
        let mut request = Message::new(MessageType::Invoke, serializer.id(), payload);
        match thread {
            Some(thread) => self.stamp_from(&mut request, thread),
            None => self.stamp(&mut request),
        }
        Ok((serializer, request))
    }

    /// Takes the metadata from the reply to [`metadata_request`](Proxy::metadata_request).
    pub(crate) fn adopt_metadata(&self, session: &crate::session::ClientSession, reply: &Message) -> Result<(), Error> {
        current_context::received(reply);
        let metadata: Metadata = session.decode_result("get_metadata", reply)?;
        let known = Known { metadata, handshake_response: None, peer_certificates: Vec::new() };
        *self.known.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(known));
        Ok(())
    }
}

/// The error of a proxy over a connected socket that let go of its connection.
pub(crate) fn released_error() -> Error {
    Error::Communication {
        message: format!(
            "cannot connect to {CONNECTED_SOCKET_HOST}:0: this proxy over a connected socket released its connection \
             and cannot make another"
        ),
        source: None,
    }
}

/// The refusal of TLS over a connected socket.
pub(crate) fn tls_refused() -> Error {
    Error::Tls { message: "SSL configured for Pyro but TLS over a connected socket is not supported".into() }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::net::UnixStream;

    use super::*;
    use crate::protocol::EncodeOptions;
    use crate::transport::MessageStream;
    use crate::{Serializer, Value};

    /// Answers the proxy's requests as a daemon would, recording them.
    fn fake_daemon(end: UnixStream, replies: Vec<&'static [u8]>) -> std::thread::JoinHandle<Vec<Message>> {
        std::thread::spawn(move || {
            let mut stream = MessageStream::new(end, EncodeOptions::default());
            let mut seen = Vec::new();
            for reply in replies {
                let request = stream.receive("request").unwrap();
                let answer =
                    Message::new(MessageType::Result, request.serializer_id, reply.to_vec()).with_seq(request.seq);
                stream.send(&answer).unwrap();
                seen.push(request);
            }
            seen
        })
    }

    #[test]
    fn metadata_comes_from_get_metadata_with_seq_1_and_no_handshake() {
        let (client_end, server_end) = UnixStream::pair().unwrap();
        let daemon = fake_daemon(
            server_end,
            vec![br#"{"methods": ["echo"], "oneway": [], "attrs": []}"#, br#""pong""#, br#""again""#],
        );
        let config = Config { serializer: Some(Serializer::Json), ..Config::default() };
        let proxy = Proxy::connected_with_config(&client_end, "echo", &config).unwrap();
        assert_eq!(proxy.uri().to_string(), "PYRO:echo@<<connected-socket>>:0");
        assert!(proxy.metadata().unwrap().methods.contains("echo"));
        assert_eq!(proxy.call::<_, String>("echo", &("hi",)).unwrap(), "pong");
        // Unknown methods fail locally, from the fetched metadata.
        assert!(proxy.call::<_, Value>("nope", &()).is_err());
        assert_eq!(proxy.call::<_, String>("echo", &("hi",)).unwrap(), "again");
        let seen = daemon.join().unwrap();
        assert_eq!(
            seen.iter().map(|m| (m.msg_type, m.seq)).collect::<Vec<_>>(),
            [(MessageType::Invoke, 1), (MessageType::Invoke, 2), (MessageType::Invoke, 3)]
        );
        assert_eq!(
            seen[0].data,
            br#"{"object": "Pyro.Daemon", "method": "get_metadata", "params": ["echo"], "kwargs": {}}"#
        );
        // Released, the proxy cannot connect again; the user's socket is still open.
        proxy.release();
        let error = proxy.call::<_, String>("echo", &("hi",)).unwrap_err();
        assert!(
            matches!(&error, Error::Communication { message, .. } if message.contains("connected socket")),
            "{error}"
        );
        assert!(client_end.peer_addr().is_ok());
        let started = std::time::Instant::now();
        assert!(matches!(proxy.reconnect(3), Err(Error::ConnectionClosed { .. })));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // A copy is not connected either.
        assert!(!proxy.clone().is_over_connected_socket());
    }
}
