//! A daemon serving one connection the user already has (Pyro5's `Daemon(connected_socket=s)`,
//! its existing-connection server, reference 9.3): no listening socket, no handshake.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::connection::{Driver, Next, flush};
use super::{Daemon, DaemonBuilder, Endpoint, Inner};
use crate::session::ServerSession;
use crate::transport::{ConnectedStream, MessageStream, Socket, StreamError, TransportError};
use crate::{Error, config::Config};

/// How often a connected daemon waiting for its client's next request looks whether it was
/// shut down (it must not shut the user's connection down to wake itself).
const SHUTDOWN_POLL: Duration = Duration::from_millis(100);

/// The connection a connected daemon serves, until its request loop takes it.
pub(crate) struct Connected {
    socket: Mutex<Option<Socket>>,
    /// Made by [`aio::Daemon::connected`](crate::aio::Daemon::connected): the socket shares a
    /// tokio stream's non-blocking state, so only the async daemon can serve it.
    #[cfg(feature = "tokio")]
    for_tokio: bool,
}

impl Daemon {
    /// A daemon serving the connection `stream` (Pyro5's `Daemon(connected_socket=s)`) with the
    /// process's [`Config::environment`]: see [`DaemonBuilder::connected`].
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use pyro::daemon::Daemon;
    /// let (server_end, client_end) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let daemon = Daemon::connected(&server_end).unwrap();
    /// assert_eq!(daemon.location().to_string(), "./u:<<not-bound>>");
    /// # drop(client_end);
    /// # }
    /// ```
    pub fn connected(stream: &impl ConnectedStream) -> Result<Daemon, Error> {
        Daemon::builder().connected(stream)
    }
}

impl DaemonBuilder {
    /// A daemon serving the one connection `stream` (Pyro5's `Daemon(connected_socket=s)`, its
    /// existing-connection server), e.g. one end of `UnixStream::pair()` or an accepted
    /// `TcpStream`, the other end used by a [`Proxy::connected`](crate::proxy::Proxy::connected)
    /// (or a Python `Proxy(name, connected_socket=...)`). Objects are registered as usual; their
    /// URIs carry the stream's location (`./u:<<not-bound>>` for a socketpair, as in Pyro5).
    ///
    /// - There is no handshake: the first message may be an INVOKE (Pyro5's proxy starts with
    ///   `Pyro.Daemon.get_metadata`); the handshake and disconnect hooks do not run (Pyro5's
    ///   existing-connection server calls neither), but session instances and tracked
    ///   resources end with the connection.
    /// - [`request_loop`](Daemon::request_loop) serves the connection until the client closes
    ///   its end, sends garbage, or the daemon is shut down (noticed within 0.1 s while waiting
    ///   for a request; a call under way answers first). Then the daemon is done: it counts as
    ///   shut down and a second `request_loop` returns at once, as in Pyro5.
    /// - The daemon never closes or shuts down the user's connection: it serves a second handle
    ///   ([`ConnectedStream::connected_socket`], a duplicated descriptor) and drops only that.
    ///   The connection lives on while `stream` does; drop `stream` to close it. While serving,
    ///   the daemon sets the socket's timeouts (they belong to the connection, not the handle)
    ///   and puts the old ones back when it stops.
    /// - `COMMTIMEOUT`, if set, bounds each request from its first byte to its last and each
    ///   reply's send; an idle client is not disconnected (it is the user's connection).
    /// - `SERVERTYPE` does not apply (Pyro5 uses its existing-connection server regardless); a
    ///   host, port, Unix socket path or NAT address set on the builder is refused, as is `SSL`
    ///   (Pyro5 requires an `ssl.SSLSocket` then; TLS over a connected stream is not supported).
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use pyro::daemon::Daemon;
    /// use pyro::proxy::Proxy;
    /// use pyro::Value;
    ///
    /// let (server_end, client_end) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let daemon = Daemon::builder().config(Default::default()).connected(&server_end).unwrap();
    /// let server = std::thread::spawn(move || daemon.request_loop());
    /// let proxy = Proxy::connected(&client_end, "Pyro.Daemon").unwrap();
    /// assert_eq!(proxy.uri().to_string(), "PYRO:Pyro.Daemon@<<connected-socket>>:0");
    /// assert_eq!(proxy.call::<_, Vec<String>>("registered", &()).unwrap(), ["Pyro.Daemon"]);
    /// drop(proxy);
    /// drop(client_end); // the client closes its end: the daemon's loop ends
    /// server.join().unwrap().unwrap();
    /// # }
    /// ```
    pub fn connected(self, stream: &impl ConnectedStream) -> Result<Daemon, Error> {
        self.connected_endpoint(stream, false)
    }

    /// [`connected`](DaemonBuilder::connected) for the async daemon
    /// ([`aio::Daemon::connected_with`](crate::aio::Daemon::connected_with)): `stream` is (a
    /// handle of) a tokio stream, non-blocking, which the blocking request loop refuses.
    #[cfg(feature = "tokio")]
    pub(crate) fn connected_for_tokio(self, stream: &impl ConnectedStream) -> Result<Daemon, Error> {
        self.connected_endpoint(stream, true)
    }

    /// The daemon on the connected `stream`; `for_tokio`: for the async daemon.
    fn connected_endpoint(self, stream: &impl ConnectedStream, for_tokio: bool) -> Result<Daemon, Error> {
        #[cfg(not(feature = "tokio"))]
        let _ = for_tokio;
        #[cfg(unix)]
        let unix_socket = self.unix_socket.is_some();
        #[cfg(not(unix))]
        let unix_socket = false;
        if self.host.is_some() || self.port != 0 || unix_socket || self.nat_host.is_some() || self.nat_port.is_some() {
            return Err(Error::Daemon {
                message: "a daemon on a connected socket has no host, port, unix socket or NAT address".into(),
            });
        }
        let config = self.validated_config()?;
        if config.ssl {
            return Err(Error::Tls {
                message: "SSL configured for Pyro but the connected socket is not a TLS socket (TLS over a \
                          connected socket is not supported)"
                    .into(),
            });
        }
        let io =
            |source| Error::Communication { message: "cannot serve the connected socket".into(), source: Some(source) };
        let location = stream.connected_location().map_err(io)?;
        let socket = stream.connected_socket().map_err(io)?;
        let server = format!("<pyro existing connection server on {location}>");
        let connected = Connected {
            socket: Mutex::new(Some(socket)),
            #[cfg(feature = "tokio")]
            for_tokio,
        };
        let endpoint = Endpoint::Connected(connected);
        Ok(self.build(config, endpoint, location, None, server, None))
    }
}

impl Connected {
    /// Serves the connection until it ends or the daemon is shut down; then the daemon is
    /// shut down (a later call returns at once).
    pub(crate) fn request_loop(&self, inner: &Arc<Inner>) -> Result<(), Error> {
        #[cfg(feature = "tokio")]
        if self.for_tokio {
            return Err(Error::Daemon {
                message: "a daemon made by aio::Daemon::connected serves its tokio stream with aio::Daemon::serve, \
                          not the blocking request loop"
                    .into(),
            });
        }
        let Some(socket) = self.take() else { return Ok(()) };
        let housekeeper = inner.start_housekeeper();
        let served = serve(inner, socket);
        // As Pyro5's existing-connection server: once its one connection is over, so is it.
        inner.shutdown();
        if let Some(housekeeper) = housekeeper {
            let _ = housekeeper.join();
        }
        inner.streams.clear();
        served
    }
}

impl Connected {
    /// The connection's socket for the loop that serves it; `None` once taken (served).
    pub(crate) fn take(&self) -> Option<Socket> {
        self.socket.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// Whether it was made for the async daemon ([`DaemonBuilder::connected_for_tokio`]).
    #[cfg(feature = "tokio")]
    pub(crate) fn is_for_tokio(&self) -> bool {
        self.for_tokio
    }
}

/// The request loop of the one connection: the thread server's, but waiting for each request
/// in slices of [`SHUTDOWN_POLL`] so that a shutdown is noticed without touching the socket.
fn serve(inner: &Arc<Inner>, socket: Socket) -> Result<(), Error> {
    let Some(guard) = inner.guard_connection(None) else { return Ok(()) };
    let saved = (socket.read_timeout().unwrap_or(None), socket.write_timeout().unwrap_or(None));
    let config: &Config = &inner.config;
    let mut stream = MessageStream::new(socket, inner.encode_options());
    let timeouts =
        stream.set_timeout(config.comm_timeout).and_then(|()| stream.get_ref().set_read_timeout(Some(SHUTDOWN_POLL)));
    if let Err(source) = timeouts {
        return Err(Error::Communication {
            message: "cannot set the connected socket's timeouts".into(),
            source: Some(source),
        });
    }
    stream.share_budget(Arc::clone(&inner.in_flight));
    let client_addr = stream.get_ref().peer_addr();
    let mut session = inner.equip(ServerSession::connected(guard.id, Arc::clone(&inner.info)), client_addr, Vec::new());
    let driver = Driver { inner, client_addr };
    let mut held = Vec::new();
    // When a request was first seen only partly read (for COMMTIMEOUT).
    let mut partial_since: Option<Instant> = None;
    loop {
        if !held.is_empty() && !stream.has_buffered_message() && flush(&mut stream, &mut held).is_err() {
            break;
        }
        if inner.is_shutting_down() {
            break;
        }
        let action = match stream.receive_message(session.expecting(), "reading a request") {
            Ok(message) => {
                partial_since = None;
                if !guard.begin_request() {
                    break;
                }
                session.on_message(message, inner.registry.as_ref())
            }
            Err(StreamError::Transport(TransportError::Timeout { .. })) => {
                if !stream.has_partial_message() {
                    partial_since = None;
                } else if let Some(limit) = config.comm_timeout
                    && partial_since.get_or_insert_with(Instant::now).elapsed() >= limit
                {
                    break;
                }
                continue;
            }
            Err(StreamError::Protocol(error)) => {
                if !guard.begin_request() {
                    break;
                }
                session.on_protocol_error(error)
            }
            Err(StreamError::Transport(_)) => break,
        };
        let next = driver.perform(&mut session, &mut stream, &mut held, action);
        if !guard.end_request() {
            break;
        }
        if let Next::Close = next {
            break;
        }
    }
    let _ = flush(&mut stream, &mut held);
    session.close();
    // The timeouts belong to the connection, which stays the user's.
    let _ = stream.get_ref().set_read_timeout(saved.0);
    let _ = stream.get_ref().set_write_timeout(saved.1);
    drop(guard);
    Ok(())
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    use super::*;
    use crate::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply};
    use crate::protocol::{EncodeOptions, Message, MessageType};
    use crate::{Serializer, Value};

    struct Echo;

    impl Dispatch<Echo> for Echo {
        fn metadata() -> Metadata {
            Metadata::new(["echo"], [], [])
        }
        fn receiver(m: &str) -> Option<Receiver> {
            (m == "echo").then_some(Receiver::Shared)
        }
        fn invoke_shared(&self, ctx: &mut CallContext, _: &str, mut args: CallArgs) -> Result<Reply, Error> {
            let value: Value = args.required(0, "value")?;
            args.finish()?;
            ctx.encode(&value)
        }
        fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
            Err(CallArgs::unknown_method(m))
        }
    }

    fn daemon(end: &UnixStream) -> Daemon {
        let daemon = Daemon::builder().config(Config::default()).connected(end).unwrap();
        daemon.register(Echo, Some("echo")).unwrap();
        daemon
    }

    #[test]
    fn an_invoke_first_is_answered_and_the_users_socket_stays_open() {
        let (server_end, client_end) = UnixStream::pair().unwrap();
        let daemon = daemon(&server_end);
        assert_eq!(daemon.uri_for("echo").unwrap().to_string(), "PYRO:echo@./u:<<not-bound>>");
        let server = std::thread::spawn(move || daemon.request_loop());
        let mut client = MessageStream::new(client_end.try_clone().unwrap(), EncodeOptions::default());
        let call = Serializer::Json.encode_call("echo", "echo", &("hi",), None::<&crate::value::Dict>).unwrap();
        client.send(&Message::new(MessageType::Invoke, 3, call).with_seq(1)).unwrap();
        let reply = client.receive("reply").unwrap();
        assert_eq!((reply.msg_type, reply.seq, &reply.data[..]), (MessageType::Result, 1, &b"\"hi\""[..]));
        // A CONNECT is an unexpected message here: the connection is closed, no reply.
        let connect = Message::new(MessageType::Connect, 3, br#"{"handshake":"hello","object":"echo"}"#.to_vec());
        client.send(&connect).unwrap();
        server.join().unwrap().unwrap();
        // The daemon dropped its handle, but the user's end is still connected: bytes still
        // flow between the two ends the user holds.
        (&client_end).write_all(b"still open").unwrap();
        let mut got = [0u8; 10];
        (&server_end).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"still open");
    }

    #[test]
    fn shutdown_ends_the_loop_without_touching_the_socket() {
        let (server_end, client_end) = UnixStream::pair().unwrap();
        let daemon = daemon(&server_end);
        let stop = daemon.shutdown_handle();
        let server = std::thread::spawn(move || {
            daemon.request_loop().unwrap();
            // Served once: a second loop returns at once.
            daemon.request_loop().unwrap();
        });
        std::thread::sleep(Duration::from_millis(150));
        let started = Instant::now();
        stop.shutdown();
        server.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
        (&client_end).write_all(b"x").unwrap();
        let mut got = [0u8; 1];
        (&server_end).read_exact(&mut got).unwrap();
        assert_eq!(server_end.read_timeout().unwrap(), None, "the old timeout is back");
    }

    #[test]
    fn over_tcp_with_a_rust_proxy() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (served, _) = listener.accept().unwrap();
        let daemon = Daemon::builder().config(Config::default()).connected(&served).unwrap();
        let port = served.local_addr().unwrap().port();
        assert_eq!(daemon.location().to_string(), format!("127.0.0.1:{port}"));
        daemon.register(Echo, Some("echo")).unwrap();
        let server = std::thread::spawn(move || daemon.request_loop());
        let proxy = crate::proxy::Proxy::connected_with_config(&client, "echo", &Config::default()).unwrap();
        assert_eq!(proxy.call::<_, String>("echo", &("over tcp",)).unwrap(), "over tcp");
        // A request and reply far larger than the socket buffers, read in many pieces.
        let big = "x".repeat(3 << 20);
        assert_eq!(proxy.call::<_, String>("echo", &(&big,)).unwrap(), big);
        let mut batch = proxy.batch();
        let one = batch.call_with::<_, i64>("echo", &(1,));
        let two = batch.call_with::<_, String>("echo", &("two",));
        batch.run().unwrap();
        assert_eq!((one.get().unwrap(), two.get().unwrap()), (1, "two".to_owned()));
        drop(proxy);
        // The client closes its end: the daemon sees the end of the stream and stops.
        drop(client);
        server.join().unwrap().unwrap();
    }

    #[test]
    fn commtimeout_bounds_a_request_but_not_an_idle_wait() {
        let (server_end, mut client_end) = UnixStream::pair().unwrap();
        let config = Config { comm_timeout: Some(Duration::from_millis(300)), ..Config::default() };
        let daemon = Daemon::builder().config(config).connected(&server_end).unwrap();
        let server = std::thread::spawn(move || daemon.request_loop());
        // Idle for longer than COMMTIMEOUT: still served.
        std::thread::sleep(Duration::from_millis(700));
        assert!(!server.is_finished());
        // Half a message, then nothing: the daemon gives up on it.
        let wire = Message::ping().to_bytes(&EncodeOptions::default()).unwrap();
        client_end.write_all(&wire[..10]).unwrap();
        let started = Instant::now();
        server.join().unwrap().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn builder_settings_that_cannot_apply_are_refused() {
        let (end, _other) = UnixStream::pair().unwrap();
        let error = Daemon::builder().config(Config::default()).port(9999).connected(&end).unwrap_err();
        assert!(matches!(error, Error::Daemon { .. }), "{error}");
        let ssl = Config { ssl: true, ..Config::default() };
        let error = Daemon::builder().config(ssl).connected(&end).unwrap_err();
        assert!(matches!(error, Error::Tls { .. }), "{error}");
        let daemon = Daemon::builder().config(Config::default()).connected(&end).unwrap();
        let error = daemon.event_loop().unwrap_err();
        assert!(error.to_string().contains("connected socket"), "{error}");
    }
}
