//! The async transport: connecting on tokio (TCP over IPv4 or IPv6, Unix sockets, TLS through
//! tokio-rustls with the blocking proxy's [`TlsClient`] configuration) and moving whole messages
//! through the same sans-IO [`MessageDecoder`] the blocking [`MessageStream`] uses.
//!
//! [`MessageStream`]: crate::transport::MessageStream

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::Error;
use crate::protocol::{EncodeOptions, Message, MessageDecoder};
use crate::transport::connect::{no_connection, nodelay_error};
use crate::transport::{StreamError, TlsClient, TransportError};
use crate::uri::Location;

/// Bytes read at once (as the blocking stream reads).
const READ_BUFFER: usize = 16 * 1024;
/// The read buffer grows up to this size while a large body is being received.
const LARGE_READ_BUFFER: usize = 256 * 1024;
/// Messages up to this size go out as one buffer (one write, one TLS record).
const COALESCE: usize = 64 * 1024;

/// A connected async socket.
#[derive(Debug)]
pub(crate) enum AsyncSocket {
    /// TCP.
    Tcp(TcpStream),
    /// A Unix domain socket.
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    /// TLS over TCP (Pyro5's `SSL`).
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncSocket {
    /// The peer's TLS certificate chain (DER, its own first); empty without TLS.
    pub(crate) fn peer_certificates(&self) -> Vec<Vec<u8>> {
        match self {
            AsyncSocket::Tls(tls) => tls
                .get_ref()
                .1
                .peer_certificates()
                .map(|chain| chain.iter().map(|cert| cert.as_ref().to_vec()).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

impl AsyncRead for AsyncSocket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncSocket::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            AsyncSocket::Unix(s) => Pin::new(s).poll_read(cx, buf),
            AsyncSocket::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for AsyncSocket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            AsyncSocket::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            AsyncSocket::Unix(s) => Pin::new(s).poll_write(cx, buf),
            AsyncSocket::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncSocket::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            AsyncSocket::Unix(s) => Pin::new(s).poll_flush(cx),
            AsyncSocket::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncSocket::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            AsyncSocket::Unix(s) => Pin::new(s).poll_shutdown(cx),
            AsyncSocket::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// `future` bounded by `timeout` (none: unbounded); an expired timeout is
/// [`TransportError::Timeout`] while `context`.
pub(crate) async fn bounded<T>(
    timeout: Option<Duration>,
    context: &str,
    future: impl Future<Output = Result<T, StreamError>>,
) -> Result<T, StreamError> {
    match timeout {
        None => future.await,
        Some(limit) => match tokio::time::timeout(limit, future).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout { context: context.to_owned(), after: Some(limit) }.into()),
        },
    }
}

/// Connects to `location` as [`connect_with_tls`](crate::transport::connect_with_tls) does, on
/// tokio: every resolved address in turn, each with `timeout`, `TCP_NODELAY` set; then the TLS
/// handshake with `tls`, verifying the certificate for the location's host. The same errors:
/// refused is [`Error::ConnectionRefused`], an expired timeout [`Error::Timeout`], TLS failures
/// [`Error::Tls`].
pub(crate) async fn connect(
    location: &Location,
    timeout: Option<Duration>,
    tls: Option<&TlsClient>,
) -> Result<AsyncSocket, Error> {
    match location {
        Location::Tcp { host, port } => {
            let tcp = connect_tcp(host, *port, timeout).await?;
            match tls {
                None => Ok(AsyncSocket::Tcp(tcp)),
                Some(tls) => {
                    let name = crate::transport::tls::server_name(host)?;
                    let connector = tokio_rustls::TlsConnector::from(tls.rustls_config());
                    let handshake = async {
                        connector
                            .connect(name, tcp)
                            .await
                            .map_err(|e| Error::Tls { message: format!("TLS handshake with {host} failed: {e}") })
                    };
                    let stream = match timeout {
                        None => handshake.await?,
                        Some(limit) => tokio::time::timeout(limit, handshake).await.map_err(|_| Error::Timeout {
                            after: limit,
                            context: format!("the TLS handshake with {host}"),
                        })??,
                    };
                    Ok(AsyncSocket::Tls(Box::new(stream)))
                }
            }
        }
        Location::Unix { path } if tls.is_some() => Err(Error::Tls {
            message: format!("TLS over Unix domain sockets is not supported (./u:{})", path.escape_debug()),
        }),
        Location::Unix { path } => connect_unix(path),
    }
}

async fn connect_tcp(host: &str, port: u16, timeout: Option<Duration>) -> Result<TcpStream, Error> {
    let address = Location::tcp(host, port).to_string();
    // A URI may carry an IPv6 zone as `%25` (URL-encoded `%`); the resolver wants a plain `%`.
    let host = host.replace("%25", "%");
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| Error::Communication { message: format!("cannot resolve {address}"), source: Some(e) })?
        .collect();
    let mut last_error = None;
    for addr in &addrs {
        let attempt = match timeout {
            Some(limit) => match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
                Ok(attempt) => attempt,
                Err(_) => Err(io::ErrorKind::TimedOut.into()),
            },
            None => TcpStream::connect(addr).await,
        };
        match attempt {
            Ok(stream) => {
                stream.set_nodelay(true).map_err(|e| nodelay_error(&address, e))?;
                return Ok(stream);
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(no_connection(last_error, &address, timeout))
}

/// A Unix socket connects at once (no network in between): the blocking connect (which knows
/// Linux's abstract names too), then handed to tokio.
#[cfg(unix)]
fn connect_unix(path: &str) -> Result<AsyncSocket, Error> {
    let socket = crate::transport::connect::connect_unix(path)?;
    let crate::transport::Socket::Unix(std) = socket else {
        return Err(Error::Communication { message: format!("cannot connect to ./u:{path}"), source: None });
    };
    let adopt = || -> io::Result<tokio::net::UnixStream> {
        std.set_nonblocking(true)?;
        tokio::net::UnixStream::from_std(std)
    };
    adopt().map(AsyncSocket::Unix).map_err(|e| Error::Communication {
        message: format!("cannot use the Unix socket ./u:{} from tokio", path.escape_debug()),
        source: Some(e),
    })
}

#[cfg(not(unix))]
fn connect_unix(path: &str) -> Result<AsyncSocket, Error> {
    crate::transport::connect::connect_unix(path).and_then(|_| {
        Err(Error::Communication {
            message: format!("Unix domain sockets are not supported here ({path})"),
            source: None,
        })
    })
}

/// Whole messages over an [`AsyncSocket`]: reads through a [`MessageDecoder`] (checked as
/// early, never allocating what was merely claimed), writes a message with one write.
///
/// A future of it that is dropped mid-way leaves the stream out of step (part of a message
/// written or read): the connection must then be dropped, which the pool's lease does.
#[derive(Debug)]
pub(crate) struct AsyncMessageStream {
    socket: AsyncSocket,
    options: EncodeOptions,
    decoder: MessageDecoder,
    buffer: Box<[u8]>,
    head: Vec<u8>,
    /// What [`send`](AsyncMessageStream::send) writes, kept for the next send.
    wire: Vec<u8>,
}

impl AsyncMessageStream {
    pub(crate) fn new(socket: AsyncSocket, options: EncodeOptions) -> AsyncMessageStream {
        let mut decoder = MessageDecoder::with_max_message_size(options.max_message_size);
        decoder.set_wire_log(options.wire_log);
        AsyncMessageStream {
            socket,
            options,
            decoder,
            buffer: vec![0; READ_BUFFER].into_boxed_slice(),
            head: Vec::with_capacity(crate::protocol::HEADER_SIZE + 64),
            wire: Vec::new(),
        }
    }

    /// Whether a whole message has been read already: [`receive`](AsyncMessageStream::receive)
    /// returns it without waiting.
    pub(crate) fn has_buffered_message(&self) -> bool {
        self.decoder.ready_messages() > 0
    }

    /// Writes `messages` in order, with one write when they are small.
    pub(crate) async fn send(&mut self, messages: &[&Message], timeout: Option<Duration>) -> Result<(), StreamError> {
        const CONTEXT: &str = "sending a message";
        // The buffer of the last send, reused (a call allocates nothing to be written).
        let mut wire = std::mem::take(&mut self.wire);
        wire.clear();
        let mut large = Vec::new();
        for message in messages {
            self.head.clear();
            let (_, payload) = message.encode_into(&mut self.head, &self.options)?;
            if wire.len() + self.head.len() + payload.len() <= COALESCE {
                wire.reserve(self.head.len() + payload.len());
                wire.extend_from_slice(&self.head);
                wire.extend_from_slice(&payload);
            } else {
                large.push((std::mem::take(&mut wire), self.head.clone(), payload.into_owned()));
            }
        }
        let socket = &mut self.socket;
        let io = async {
            for (before, head, payload) in &large {
                socket.write_all(before).await?;
                socket.write_all(head).await?;
                socket.write_all(payload).await?;
            }
            socket.write_all(&wire).await?;
            socket.flush().await
        };
        let sent = bounded(timeout, CONTEXT, async {
            io.await.map_err(|e| TransportError::from_io(e, CONTEXT, timeout).into())
        })
        .await;
        if wire.capacity() <= COALESCE {
            self.wire = wire;
        }
        sent
    }

    /// Reads one whole message; `context` says what for, in errors. A stream that ends is
    /// [`TransportError::Closed`]. `timeout` bounds the whole message.
    pub(crate) async fn receive(&mut self, context: &str, timeout: Option<Duration>) -> Result<Message, StreamError> {
        // The message received before was handled: its share of a budget goes back.
        self.decoder.release_budget();
        let read = async {
            loop {
                if let Some(message) = self.decoder.next_message()? {
                    return Ok(message);
                }
                if self.buffer.len() < LARGE_READ_BUFFER && self.decoder.bytes_needed() > self.buffer.len() {
                    self.buffer = vec![0; LARGE_READ_BUFFER].into_boxed_slice();
                }
                let n = self
                    .socket
                    .read(&mut self.buffer)
                    .await
                    .map_err(|e| TransportError::from_io(e, context, timeout))?;
                if n == 0 {
                    return Err(TransportError::Closed { context: context.to_owned() }.into());
                }
                self.decoder.feed(self.buffer.get(..n).unwrap_or_default());
            }
        };
        bounded(timeout, context, read).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;

    #[tokio::test]
    async fn messages_round_trip_over_tcp_ipv4_and_ipv6() {
        for host in ["127.0.0.1", "::1"] {
            let Ok(listener) = tokio::net::TcpListener::bind((host, 0)).await else { continue };
            let port = listener.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                let (socket, _) = listener.accept().await.unwrap();
                let mut stream = AsyncMessageStream::new(AsyncSocket::Tcp(socket), EncodeOptions::default());
                let got = stream.receive("test", None).await.unwrap();
                stream.send(&[&got, &got], None).await.unwrap();
            });
            let socket = connect(&Location::tcp(host, port), Some(Duration::from_secs(5)), None).await.unwrap();
            let mut stream = AsyncMessageStream::new(socket, EncodeOptions::default());
            let big = Message::new(MessageType::Invoke, 4, vec![7; 200_000]);
            stream.send(&[&big], None).await.unwrap();
            assert_eq!(stream.receive("reply", None).await.unwrap().data.len(), 200_000);
            assert_eq!(stream.receive("reply", None).await.unwrap().data.len(), 200_000);
            server.await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_silent_peer_times_out_and_a_closed_one_is_closed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let socket = connect(&Location::tcp("127.0.0.1", port), None, None).await.unwrap();
        let (peer, _) = listener.accept().await.unwrap();
        let mut stream = AsyncMessageStream::new(socket, EncodeOptions::default());
        let err = stream.receive("waiting", Some(Duration::from_millis(100))).await.unwrap_err();
        assert!(matches!(err, StreamError::Transport(TransportError::Timeout { .. })), "{err}");
        drop(peer);
        let err = stream.receive("waiting", Some(Duration::from_secs(5))).await.unwrap_err();
        assert!(matches!(err, StreamError::Transport(TransportError::Closed { .. })), "{err}");
    }

    #[tokio::test]
    async fn refused_and_tls_over_unix_are_typed_errors() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = connect(&Location::tcp("127.0.0.1", port), None, None).await.unwrap_err();
        assert!(matches!(err, Error::ConnectionRefused { .. }), "{err:?}");
        let config = crate::Config { ssl: true, ..crate::Config::default() };
        let tls = TlsClient::from_config(&config).unwrap();
        let err = connect(&Location::unix("/tmp/x.sock"), None, Some(&tls)).await.unwrap_err();
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    }
}
