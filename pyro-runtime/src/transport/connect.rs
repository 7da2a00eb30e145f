//! [`connect`]: opening the client side of a connection to a [`Location`] (TCP over IPv4 or IPv6 with
//! host name resolution, or a Unix domain socket, including Linux's abstract namespace).

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::Socket;
use crate::Error;
use crate::uri::Location;

/// Connects to `location` and returns the connected [`Socket`] with its read/write timeout set to
/// `timeout` (`None` = block forever).
///
/// TCP: the host name is resolved and every address is tried in turn, each with `timeout` as the
/// connect timeout; `TCP_NODELAY` is set (pyro's calls are small request/reply exchanges, where
/// Nagle's algorithm only adds latency). A Unix socket path starting with NUL is an abstract
/// name (Linux). A refused TCP connection is [`Error::ConnectionRefused`], an expired connect
/// timeout [`Error::Timeout`], anything else [`Error::Communication`].
///
/// ```no_run
/// use pyro::transport::connect;
/// use pyro::uri::Location;
///
/// let socket = connect(&Location::tcp("localhost", 9090), Some(std::time::Duration::from_secs(5)))?;
/// println!("connected to {}", socket.peer_description());
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn connect(location: &Location, timeout: Option<Duration>) -> Result<Socket, Error> {
    connect_with_tls(location, timeout, None)
}

/// Like [`connect`], then, with `tls`, performs the TLS handshake (Pyro5's `SSL`), verifying
/// the server's certificate for the location's host: a [`Socket::Tls`]. TLS over a Unix socket
/// is refused with [`Error::Tls`].
///
/// ```no_run
/// use pyro::transport::{TlsClient, connect_with_tls};
/// use pyro::uri::Location;
///
/// let config = pyro::Config { ssl: true, ssl_ca_certs: Some("ca.crt".into()), ..Default::default() };
/// let tls = TlsClient::from_config(&config)?;
/// let socket = connect_with_tls(&Location::tcp("localhost", 9090), None, Some(&tls))?;
/// assert!(!socket.peer_certificates().is_empty());
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn connect_with_tls(
    location: &Location,
    timeout: Option<Duration>,
    tls: Option<&super::TlsClient>,
) -> Result<Socket, Error> {
    let socket = match location {
        Location::Tcp { host, port } => Socket::Tcp(connect_tcp(host, *port, timeout)?),
        Location::Unix { path } if tls.is_some() => {
            return Err(Error::Tls {
                message: format!("TLS over Unix domain sockets is not supported (./u:{})", path.escape_debug()),
            });
        }
        Location::Unix { path } => connect_unix(path)?,
    };
    // A new socket has no timeouts: only setting one costs system calls.
    if timeout.is_some() {
        socket.set_timeout(timeout).map_err(|e| Error::Communication {
            message: format!("cannot set the socket timeout for {location}"),
            source: Some(e),
        })?;
    }
    match (socket, tls, location) {
        (Socket::Tcp(tcp), Some(tls), Location::Tcp { host, .. }) => Ok(Socket::Tls(tls.connect(host, tcp)?)),
        (socket, _, _) => Ok(socket),
    }
}

fn connect_tcp(host: &str, port: u16, timeout: Option<Duration>) -> Result<TcpStream, Error> {
    let address = crate::uri::Location::tcp(host, port).to_string();
    // A URI may carry an IPv6 zone as `%25` (URL-encoded `%`); the resolver wants a plain `%`.
    let host = host.replace("%25", "%");
    let addrs: Vec<SocketAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| Error::Communication { message: format!("cannot resolve {address}"), source: Some(e) })?
        .collect();
    let mut last_error = None;
    for addr in &addrs {
        let attempt = match timeout {
            Some(t) if !t.is_zero() => TcpStream::connect_timeout(addr, t),
            _ => TcpStream::connect(addr),
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

/// Setting `TCP_NODELAY` on a new connection to `address` failed.
pub(crate) fn nodelay_error(address: &str, e: io::Error) -> Error {
    Error::Communication { message: format!("cannot set TCP_NODELAY on the connection to {address}"), source: Some(e) }
}

/// No resolved address of `address` took the connection: the last attempt's error, or none
/// resolved at all.
pub(crate) fn no_connection(last_error: Option<io::Error>, address: &str, timeout: Option<Duration>) -> Error {
    match last_error {
        None => Error::Communication { message: format!("cannot resolve {address}: no addresses"), source: None },
        Some(e) => connect_error(e, address, timeout),
    }
}

pub(crate) fn connect_error(e: io::Error, address: &str, timeout: Option<Duration>) -> Error {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Error::ConnectionRefused { address: address.to_owned(), source: e },
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            Error::Timeout { after: timeout.unwrap_or_default(), context: format!("connecting to {address}") }
        }
        _ => Error::Communication { message: format!("cannot connect to {address}"), source: Some(e) },
    }
}

#[cfg(unix)]
pub(crate) fn connect_unix(path: &str) -> Result<Socket, Error> {
    use std::os::unix::net::UnixStream;

    let address = format!("./u:{}", path.escape_debug());
    let result = match path.strip_prefix('\0') {
        Some(name) => connect_abstract(name),
        None => UnixStream::connect(path),
    };
    result.map(Socket::Unix).map_err(|e| match e.kind() {
        io::ErrorKind::ConnectionRefused => Error::ConnectionRefused { address, source: e },
        _ => Error::Communication { message: format!("cannot connect to {address}"), source: Some(e) },
    })
}

#[cfg(target_os = "linux")]
fn connect_abstract(name: &str) -> io::Result<std::os::unix::net::UnixStream> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixStream};

    UnixStream::connect_addr(&SocketAddr::from_abstract_name(name.as_bytes())?)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn connect_abstract(_name: &str) -> io::Result<std::os::unix::net::UnixStream> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "abstract Unix socket names exist only on Linux"))
}

#[cfg(not(unix))]
pub(crate) fn connect_unix(path: &str) -> Result<Socket, Error> {
    Err(Error::Communication { message: format!("Unix domain sockets are not supported here ({path})"), source: None })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn tcp_ipv4_and_host_name() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        for host in ["127.0.0.1", "localhost"] {
            let mut socket = connect(&Location::tcp(host, port), Some(Duration::from_secs(5))).unwrap();
            let (mut server, _) = listener.accept().unwrap();
            socket.write_all(b"hi").unwrap();
            let mut buf = [0; 2];
            server.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"hi");
            match &socket {
                Socket::Tcp(s) => assert!(s.nodelay().unwrap()),
                #[cfg(unix)]
                Socket::Unix(_) => panic!("expected TCP"),
                Socket::Tls(_) => panic!("expected plain TCP"),
            }
        }
    }

    #[test]
    fn tcp_ipv6() {
        let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
            eprintln!("no IPv6 loopback here; skipping");
            return;
        };
        let port = listener.local_addr().unwrap().port();
        let socket = connect(&Location::tcp("::1", port), None).unwrap();
        assert!(socket.peer_description().starts_with("[::1]:"));
    }

    #[test]
    fn refused_is_connection_refused() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let err = connect(&Location::tcp("127.0.0.1", port), Some(Duration::from_secs(5))).unwrap_err();
        assert!(
            matches!(&err, Error::ConnectionRefused { address, .. } if address == &format!("127.0.0.1:{port}")),
            "{err:?}"
        );
    }

    #[test]
    fn unresolvable_host_is_communication_error() {
        let err = connect(&Location::tcp("no-such-host.invalid", 1), Some(Duration::from_secs(5))).unwrap_err();
        assert!(matches!(err, Error::Communication { .. }), "{err:?}");
    }

    #[cfg(unix)]
    #[test]
    fn unix_path_socket() {
        let dir = std::env::temp_dir().join(format!("pyro-connect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let mut socket = connect(&Location::unix(path.to_str().unwrap()), None).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        server.write_all(b"ok").unwrap();
        let mut buf = [0; 2];
        socket.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ok");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn unix_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("pyro-connect-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
        let mut socket = connect(&Location::unix(format!("\0{name}")), None).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        server.write_all(b"ab").unwrap();
        let mut buf = [0; 2];
        socket.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ab");
    }

    #[cfg(unix)]
    #[test]
    fn missing_unix_socket_is_an_error() {
        let err = connect(&Location::unix("/nonexistent/pyro.sock"), None).unwrap_err();
        assert!(matches!(err, Error::Communication { .. }), "{err:?}");
    }
}
