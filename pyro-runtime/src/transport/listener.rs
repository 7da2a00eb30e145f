//! [`Listener`]: the listening side of a transport — a bound TCP (IPv4 or IPv6) or Unix socket
//! (a filesystem path or, on Linux, the abstract namespace) that accepts [`Socket`]s.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};

use super::Socket;
use crate::config::IpVersion;

/// A listening socket: TCP or, on Unix, a Unix domain socket.
///
/// ```
/// use pyro::config::IpVersion;
/// use pyro::transport::Listener;
///
/// let listener = Listener::bind_tcp("127.0.0.1", 0, IpVersion::Any).unwrap();
/// let addr = listener.tcp_addr().unwrap();
/// let _client = std::net::TcpStream::connect(addr).unwrap();
/// let _server_side = listener.accept().unwrap();
/// ```
#[derive(Debug)]
pub enum Listener {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A Unix domain socket listener and the path it is bound to (starting with NUL for
    /// Linux's abstract namespace).
    #[cfg(unix)]
    Unix(UnixListener, String),
}

impl Listener {
    /// Binds TCP `host:port` (port 0 = any free port). A host name is resolved, preferring
    /// `prefer` ([`IpVersion::Any`] takes IPv4 first, as `localhost` is `127.0.0.1` for Pyro5);
    /// IPv6 addresses are given without brackets (`"::1"`).
    ///
    /// See [`Listener`] for an example.
    pub fn bind_tcp(host: &str, port: u16, prefer: IpVersion) -> io::Result<Listener> {
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
        let pick = |v6: bool| addrs.iter().find(|a| a.is_ipv6() == v6).copied();
        let addr = match prefer {
            IpVersion::V4 => pick(false),
            IpVersion::V6 => pick(true),
            IpVersion::Any => pick(false).or_else(|| pick(true)),
        }
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("{host} has no address of the preferred IP version"),
            )
        })?;
        Ok(Listener::Tcp(TcpListener::bind(addr)?))
    }

    /// Binds a Unix domain socket at `path`. A path starting with NUL (`"\0name"`) is bound in
    /// Linux's abstract namespace; otherwise a stale socket file at `path` is removed first.
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// let listener = pyro::transport::Listener::bind_unix("\0pyro-doc-listener").unwrap();
    /// assert_eq!(listener.unix_path(), Some("\0pyro-doc-listener"));
    /// # }
    /// ```
    #[cfg(unix)]
    pub fn bind_unix(path: &str) -> io::Result<Listener> {
        if let Some(name) = path.strip_prefix('\0') {
            return bind_abstract(name).map(|l| Listener::Unix(l, path.to_owned()));
        }
        remove_stale_socket(path);
        Ok(Listener::Unix(UnixListener::bind(path)?, path.to_owned()))
    }

    /// Waits for the next connection.
    ///
    /// See [`Listener`] for an example.
    pub fn accept(&self) -> io::Result<Socket> {
        match self {
            Listener::Tcp(l) => l.accept().map(|(s, _)| Socket::Tcp(s)),
            #[cfg(unix)]
            Listener::Unix(l, _) => l.accept().map(|(s, _)| Socket::Unix(s)),
        }
    }

    /// The bound TCP address (with the real port when bound to port 0), `None` for Unix sockets.
    ///
    /// See [`Listener`] for an example.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok(),
            #[cfg(unix)]
            Listener::Unix(..) => None,
        }
    }

    /// The Unix socket path, `None` for TCP.
    ///
    /// ```
    /// let listener = pyro::transport::Listener::bind_tcp("127.0.0.1", 0, Default::default()).unwrap();
    /// assert_eq!(listener.unix_path(), None);
    /// ```
    pub fn unix_path(&self) -> Option<&str> {
        match self {
            Listener::Tcp(_) => None,
            #[cfg(unix)]
            Listener::Unix(_, path) => Some(path),
        }
    }

    /// Connects to this listener (to wake a thread blocked in [`Listener::accept`]). A TCP
    /// listener bound to the unspecified address is reached through loopback.
    ///
    /// ```
    /// let listener = pyro::transport::Listener::bind_tcp("0.0.0.0", 0, Default::default()).unwrap();
    /// let _wake = listener.connect_to_self().unwrap();
    /// listener.accept().unwrap();
    /// ```
    pub fn connect_to_self(&self) -> io::Result<Socket> {
        match self {
            Listener::Tcp(l) => {
                let mut addr = l.local_addr()?;
                if addr.ip().is_unspecified() {
                    addr.set_ip(match addr.ip() {
                        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
                    });
                }
                TcpStream::connect(addr).map(Socket::Tcp)
            }
            #[cfg(unix)]
            Listener::Unix(_, path) => match path.strip_prefix('\0') {
                Some(name) => connect_abstract(name).map(Socket::Unix),
                None => UnixStream::connect(path).map(Socket::Unix),
            },
        }
    }
}

#[cfg(unix)]
fn remove_stale_socket(path: &str) {
    use std::os::unix::fs::FileTypeExt;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        // Best effort, like Pyro5: binding reports the real problem if the file stays.
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(target_os = "linux")]
fn bind_abstract(name: &str) -> io::Result<UnixListener> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    UnixListener::bind_addr(&addr)
}

#[cfg(target_os = "linux")]
fn connect_abstract(name: &str) -> io::Result<UnixStream> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    UnixStream::connect_addr(&addr)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn bind_abstract(_name: &str) -> io::Result<UnixListener> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "abstract Unix socket names exist only on Linux"))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn connect_abstract(_name: &str) -> io::Result<UnixStream> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "abstract Unix socket names exist only on Linux"))
}
