//! An async proxy over a connection the user already has (Pyro5's `Proxy(name,
//! connected_socket=s)`), the async twin of the blocking
//! [`proxy::Proxy::connected`](crate::proxy::Proxy::connected): a tokio stream, no CONNECT
//! handshake, the metadata from `Pyro.Daemon.get_metadata`.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use super::connection::Connection;
use super::pool::Lease;
use super::proxy::Proxy;
use super::transport::AsyncSocket;
use crate::proxy::CONNECTED_SOCKET_HOST;
use crate::proxy::connected::{released_error, tls_refused};
use crate::transport::Socket;
use crate::{Config, Error, Uri, current_context};

/// A connected tokio stream an async proxy can call over ([`Proxy::connected`]):
/// `tokio::net::TcpStream` and, on Unix, `tokio::net::UnixStream` (e.g. one end of
/// `UnixStream::pair()`).
///
/// The proxy works over a second handle of the stream (the same connection; the proxy drops
/// only its handle), so the stream stays open for its owner.
///
/// ```
/// # #[cfg(unix)] {
/// use pyro::aio::AsyncConnectedStream;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (a, _b) = tokio::net::UnixStream::pair().unwrap();
/// assert!(matches!(a.connected_socket().unwrap(), pyro::transport::Socket::Unix(_)));
/// # });
/// # }
/// ```
pub trait AsyncConnectedStream {
    /// A second handle of the connection, as a std socket sharing the stream's (non-blocking)
    /// state; the async proxy hands it back to tokio.
    ///
    /// See [`AsyncConnectedStream`] for an example.
    fn connected_socket(&self) -> io::Result<Socket>;
}

impl AsyncConnectedStream for tokio::net::TcpStream {
    fn connected_socket(&self) -> io::Result<Socket> {
        #[cfg(unix)]
        let handle = std::os::fd::AsFd::as_fd(self).try_clone_to_owned()?;
        #[cfg(windows)]
        let handle = std::os::windows::io::AsSocket::as_socket(self).try_clone_to_owned()?;
        Ok(Socket::Tcp(std::net::TcpStream::from(handle)))
    }
}

#[cfg(unix)]
impl AsyncConnectedStream for tokio::net::UnixStream {
    fn connected_socket(&self) -> io::Result<Socket> {
        let handle = std::os::fd::AsFd::as_fd(self).try_clone_to_owned()?;
        Ok(Socket::Unix(std::os::unix::net::UnixStream::from(handle)))
    }
}

/// The socket of an async proxy over a connected socket, until its one connection takes it.
#[derive(Debug)]
pub(crate) struct Adoptable {
    socket: Mutex<Option<AsyncSocket>>,
    /// Made from a blocking proxy over a connected socket, whose socket it cannot use.
    from_blocking: bool,
}

impl Adoptable {
    /// The mark of an async proxy made from a blocking one over a connected socket.
    pub(crate) fn from_blocking() -> Adoptable {
        Adoptable { socket: Mutex::new(None), from_blocking: true }
    }
}

impl Proxy {
    /// An async proxy for the object `object` served over the connected tokio stream `stream`
    /// (Pyro5's `Proxy(object, connected_socket=stream)`), with the process's settings
    /// ([`Config::environment`]); see [`Proxy::connected_with_config`].
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let (server_end, client_end) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let daemon = pyro::Daemon::connected(&server_end).unwrap();
    /// let server = std::thread::spawn(move || daemon.request_loop());
    /// client_end.set_nonblocking(true).unwrap();
    /// let client_end = tokio::net::UnixStream::from_std(client_end).unwrap();
    /// let proxy = pyro::aio::Proxy::connected(&client_end, "Pyro.Daemon").await.unwrap();
    /// let () = proxy.call("ping", &()).await.unwrap();
    /// drop((proxy, client_end));
    /// server.join().unwrap().unwrap();
    /// # });
    /// # }
    /// ```
    pub async fn connected(stream: &impl AsyncConnectedStream, object: &str) -> Result<Proxy, Error> {
        Proxy::connected_with_config(stream, object, &Config::environment()?).await
    }

    /// An async proxy over the connected tokio stream `stream` with the settings of `config`,
    /// with the rules of the blocking [`proxy::Proxy::connected`](crate::proxy::Proxy::connected):
    /// its URI is `PYRO:<object>@<<connected-socket>>:0`; no CONNECT handshake, the metadata is
    /// fetched at once with `Pyro.Daemon.get_metadata(object)` (sequence number 1), failing if
    /// that fails; one connection (calls take turns); the user's stream is never closed (the
    /// proxy drops only its own handle). Once the proxy lets go of that connection (released,
    /// dropped, or an error) it cannot connect again: calls fail with a communication error,
    /// [`reconnect`](Proxy::reconnect) at once. `SSL` is refused, and so is a call outside a
    /// tokio runtime.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let (_server_end, client_end) = tokio::net::UnixStream::pair().unwrap();
    /// let config = pyro::Config { ssl: true, ..Default::default() };
    /// let err = pyro::aio::Proxy::connected_with_config(&client_end, "thing", &config).await.unwrap_err();
    /// assert!(matches!(err, pyro::Error::Tls { .. }));
    /// # });
    /// # }
    /// ```
    pub async fn connected_with_config(
        stream: &impl AsyncConnectedStream,
        object: &str,
        config: &Config,
    ) -> Result<Proxy, Error> {
        if config.ssl {
            return Err(tls_refused());
        }
        let uri = Uri::pyro(object, CONNECTED_SOCKET_HOST, 0)?;
        let socket = stream.connected_socket().and_then(to_tokio).map_err(|source| Error::Communication {
            message: "cannot call over the connected socket".into(),
            source: Some(source),
        })?;
        let mut proxy = Proxy::with_config(uri, config);
        proxy.connected = Some(Arc::new(Adoptable { socket: Mutex::new(Some(socket)), from_blocking: false }));
        proxy.set_max_connections(1);
        proxy.bind().await?;
        Ok(proxy)
    }

    /// Whether this proxy works over a connected socket ([`Proxy::connected`], or made from a
    /// blocking proxy over one, which cannot call).
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(!proxy.is_over_connected_socket());
    /// ```
    pub fn is_over_connected_socket(&self) -> bool {
        self.connected.is_some()
    }

    /// Fills the lease with the connection over the connected socket and fetches the metadata
    /// over it.
    pub(super) async fn adopt<'l>(
        &self,
        lease: &'l mut Lease,
        adoptable: &Adoptable,
        thread: &current_context::Outgoing,
    ) -> Result<&'l mut Connection, Error> {
        if adoptable.from_blocking {
            return Err(Error::Communication {
                message: format!(
                    "cannot call {} from an async proxy: it was made from a blocking proxy over a connected \
                     socket, which only the blocking proxy can use (make the async one with aio::Proxy::connected)",
                    self.uri()
                ),
                source: None,
            });
        }
        let taken = adoptable.socket.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(socket) = taken else {
            return Err(released_error());
        };
        let core = self.core();
        let (serializer, mut request) = core.metadata_request(Some(thread))?;
        let conn = lease.fill(Connection::adopt(socket, core, serializer, lease.generation));
        let reply = conn
            .exchange(&mut request)
            .await?
            .ok_or_else(|| Error::Communication { message: "no reply to get_metadata".into(), source: None })?;
        core.adopt_metadata(conn.session(), &reply)?;
        Ok(conn)
    }
}

/// The std socket handed to tokio (it shares the non-blocking state of the user's tokio
/// stream). Outside a tokio runtime this is an error rather than tokio's panic.
fn to_tokio(socket: Socket) -> io::Result<AsyncSocket> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(io::Error::other("an async proxy over a connected socket needs a tokio runtime"));
    }
    match socket {
        Socket::Tcp(tcp) => {
            tcp.set_nonblocking(true)?;
            tokio::net::TcpStream::from_std(tcp).map(AsyncSocket::Tcp)
        }
        #[cfg(unix)]
        Socket::Unix(unix) => {
            unix.set_nonblocking(true)?;
            tokio::net::UnixStream::from_std(unix).map(AsyncSocket::Unix)
        }
        Socket::Tls(_) => {
            Err(io::Error::new(io::ErrorKind::Unsupported, "TLS over a connected socket is not supported"))
        }
    }
}
