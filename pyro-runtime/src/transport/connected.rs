//! [`ConnectedStream`]: a stream the user already has (one end of a socketpair, an accepted or
//! connected TCP stream), served by a daemon or called over by a proxy without taking it from
//! its owner (Pyro5's `connected_socket`, reference 9.3).

use std::io;
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

use super::Socket;
use crate::uri::Location;

/// What Pyro5 names the location of a connected Unix socket that is not bound to a path (one
/// end of `socket.socketpair()`): `./u:<<not-bound>>`.
///
/// ```
/// let location = pyro::uri::Location::unix(pyro::transport::NOT_BOUND);
/// assert_eq!(location.to_string(), "./u:<<not-bound>>");
/// ```
pub const NOT_BOUND: &str = "<<not-bound>>";

/// A connected stream that a [`Daemon`](crate::Daemon) can serve or a
/// [`Proxy`](crate::proxy::Proxy) can call over while its owner keeps it: they work on a
/// second handle ([`try_clone`](TcpStream::try_clone), a duplicated descriptor) and never shut
/// the connection down, as Pyro5 never closes a `connected_socket`. Dropping the daemon or the
/// proxy closes only that handle; the connection stays open until its owner drops the stream.
///
/// ```
/// # #[cfg(unix)] {
/// use pyro::transport::ConnectedStream;
/// let (one, _other) = std::os::unix::net::UnixStream::pair().unwrap();
/// let handle = one.connected_socket().unwrap();
/// drop(handle);
/// assert!(one.peer_addr().is_ok()); // still connected
/// assert_eq!(one.connected_location().unwrap().to_string(), "./u:<<not-bound>>");
/// # }
/// ```
pub trait ConnectedStream {
    /// A second handle on the connection, for the daemon or proxy to read and write.
    ///
    /// See [`ConnectedStream`] for an example.
    fn connected_socket(&self) -> io::Result<Socket>;

    /// Where the stream's own end is, as Pyro5 gives a connected daemon's `locationStr`: the
    /// local TCP address (`host:port`, `[ipv6]:port`), or `./u:<path>` for a Unix socket
    /// (`./u:<<not-bound>>` when it has no path, as for a socketpair).
    ///
    /// See [`ConnectedStream`] for an example.
    fn connected_location(&self) -> io::Result<Location>;
}

impl ConnectedStream for TcpStream {
    fn connected_socket(&self) -> io::Result<Socket> {
        self.peer_addr()?; // Pyro5 checks that it is connected
        self.try_clone().map(Socket::Tcp)
    }

    fn connected_location(&self) -> io::Result<Location> {
        let local = self.local_addr()?;
        Ok(Location::tcp(local.ip().to_string(), local.port()))
    }
}

#[cfg(unix)]
impl ConnectedStream for UnixStream {
    fn connected_socket(&self) -> io::Result<Socket> {
        self.peer_addr()?;
        self.try_clone().map(Socket::Unix)
    }

    fn connected_location(&self) -> io::Result<Location> {
        let local = self.local_addr()?;
        if let Some(path) = local.as_pathname() {
            return Ok(Location::unix(path.display().to_string()));
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            #[cfg(target_os = "android")]
            use std::os::android::net::SocketAddrExt;
            #[cfg(target_os = "linux")]
            use std::os::linux::net::SocketAddrExt;
            if let Some(name) = local.as_abstract_name() {
                return Ok(Location::unix(format!("\0{}", String::from_utf8_lossy(name))));
            }
        }
        Ok(Location::unix(NOT_BOUND))
    }
}

/// A plain [`Socket`] (TCP or Unix). A TLS socket cannot be shared this way: its second handle
/// would bypass TLS, so it is refused with [`io::ErrorKind::Unsupported`].
impl ConnectedStream for Socket {
    fn connected_socket(&self) -> io::Result<Socket> {
        match self {
            Socket::Tcp(tcp) => tcp.connected_socket(),
            #[cfg(unix)]
            Socket::Unix(unix) => unix.connected_socket(),
            Socket::Tls(_) => Err(tls_unsupported()),
        }
    }

    fn connected_location(&self) -> io::Result<Location> {
        match self {
            Socket::Tcp(tcp) => tcp.connected_location(),
            #[cfg(unix)]
            Socket::Unix(unix) => unix.connected_location(),
            Socket::Tls(_) => Err(tls_unsupported()),
        }
    }
}

fn tls_unsupported() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, "a TLS connection cannot be served or called over as a connected socket")
}

impl Socket {
    /// The read timeout (`None`: reads block).
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let socket = pyro::transport::Socket::Unix(a);
    /// socket.set_read_timeout(Some(std::time::Duration::from_secs(1))).unwrap();
    /// assert_eq!(socket.read_timeout().unwrap(), Some(std::time::Duration::from_secs(1)));
    /// # }
    /// ```
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        match self {
            Socket::Tcp(s) => s.read_timeout(),
            #[cfg(unix)]
            Socket::Unix(s) => s.read_timeout(),
            Socket::Tls(s) => s.tcp().read_timeout(),
        }
    }

    /// The write timeout (`None`: writes block).
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let socket = pyro::transport::Socket::Unix(a);
    /// assert_eq!(socket.write_timeout().unwrap(), None);
    /// # }
    /// ```
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        match self {
            Socket::Tcp(s) => s.write_timeout(),
            #[cfg(unix)]
            Socket::Unix(s) => s.write_timeout(),
            Socket::Tls(s) => s.tcp().write_timeout(),
        }
    }

    /// Sets only the read timeout (`None`: block).
    ///
    /// See [`Socket::read_timeout`] for an example.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_read_timeout(timeout),
            #[cfg(unix)]
            Socket::Unix(s) => s.set_read_timeout(timeout),
            Socket::Tls(s) => s.tcp().set_read_timeout(timeout),
        }
    }

    /// Sets only the write timeout (`None`: block).
    ///
    /// See [`Socket::read_timeout`] for an example.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_write_timeout(timeout),
            #[cfg(unix)]
            Socket::Unix(s) => s.set_write_timeout(timeout),
            Socket::Tls(s) => s.tcp().set_write_timeout(timeout),
        }
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_pyro5s() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let local = client.local_addr().unwrap();
        assert_eq!(client.connected_location().unwrap().to_string(), format!("127.0.0.1:{}", local.port()));
        let dir = std::env::temp_dir().join(format!("pyro-connected-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let unix = std::os::unix::net::UnixListener::bind(&dir).unwrap();
        let _client = UnixStream::connect(&dir).unwrap();
        let (served, _) = unix.accept().unwrap();
        assert_eq!(served.connected_location().unwrap().to_string(), format!("./u:{}", dir.display()));
        std::fs::remove_file(&dir).unwrap();
    }
}
