//! [`Socket`]: a connected TCP or Unix stream, the one type every transport user reads and writes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A connected stream socket: TCP (IPv4 or IPv6) or, on Unix, a Unix domain socket.
///
/// ```no_run
/// use pyro::transport::Socket;
/// let socket = Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
/// socket.set_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
/// ```
#[derive(Debug)]
pub enum Socket {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix domain socket connection.
    #[cfg(unix)]
    Unix(UnixStream),
    /// A TLS connection over TCP (Pyro5's `SSL`).
    Tls(super::TlsStream),
}

impl Socket {
    /// Sets the read and write timeout (`None` blocks forever).
    ///
    /// See [`Socket`] for an example.
    pub fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_read_timeout(timeout).and_then(|()| s.set_write_timeout(timeout)),
            #[cfg(unix)]
            Socket::Unix(s) => s.set_read_timeout(timeout).and_then(|()| s.set_write_timeout(timeout)),
            Socket::Tls(s) => s.tcp().set_read_timeout(timeout).and_then(|()| s.tcp().set_write_timeout(timeout)),
        }
    }

    /// A second handle on the same connection (e.g. to shut it down from another thread). For a
    /// TLS socket it is the underlying TCP socket: good for [`shutdown`](Socket::shutdown), not
    /// for reading or writing (those would bypass TLS).
    ///
    /// ```no_run
    /// # let socket = pyro::transport::Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
    /// let other = socket.try_clone().unwrap();
    /// ```
    pub fn try_clone(&self) -> io::Result<Socket> {
        Ok(match self {
            Socket::Tcp(s) => Socket::Tcp(s.try_clone()?),
            #[cfg(unix)]
            Socket::Unix(s) => Socket::Unix(s.try_clone()?),
            Socket::Tls(s) => Socket::Tcp(s.tcp().try_clone()?),
        })
    }

    /// Shuts down both directions; blocked reads on other handles return.
    ///
    /// ```no_run
    /// # let socket = pyro::transport::Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
    /// socket.shutdown().unwrap();
    /// ```
    pub fn shutdown(&self) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.shutdown(Shutdown::Both),
            #[cfg(unix)]
            Socket::Unix(s) => s.shutdown(Shutdown::Both),
            Socket::Tls(s) => s.tcp().shutdown(Shutdown::Both),
        }
    }

    /// The peer's address as text (`"127.0.0.1:5555"`, `"[::1]:5555"`, or the socket path).
    ///
    /// ```no_run
    /// # let socket = pyro::transport::Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
    /// println!("{}", socket.peer_description());
    /// ```
    pub fn peer_description(&self) -> String {
        match self {
            Socket::Tcp(s) => s.peer_addr().map_or_else(|_| "<unknown>".to_owned(), |a| a.to_string()),
            #[cfg(unix)]
            Socket::Unix(s) => s
                .peer_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
                .unwrap_or_else(|| "<unix socket>".to_owned()),
            Socket::Tls(s) => s.tcp().peer_addr().map_or_else(|_| "<unknown>".to_owned(), |a| a.to_string()),
        }
    }

    /// The peer's TCP address, `None` on a Unix socket.
    ///
    /// ```no_run
    /// # let socket = pyro::transport::Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
    /// assert!(socket.peer_addr().is_some());
    /// ```
    pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Socket::Tcp(s) => s.peer_addr().ok(),
            #[cfg(unix)]
            Socket::Unix(_) => None,
            Socket::Tls(s) => s.tcp().peer_addr().ok(),
        }
    }

    /// The peer's certificate chain (DER, its own first) on a TLS socket; empty otherwise
    /// (see [`TlsStream::peer_certificates`](super::TlsStream::peer_certificates)).
    ///
    /// ```no_run
    /// # let socket = pyro::transport::Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
    /// assert!(socket.peer_certificates().is_empty());
    /// ```
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        match self {
            Socket::Tls(s) => s.peer_certificates(),
            _ => Vec::new(),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Socket::Unix(s) => s.read(buf),
            Socket::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Socket::Unix(s) => s.write(buf),
            // Sent at once: the record must not wait in rustls's buffer.
            Socket::Tls(s) => s.write(buf).and_then(|n| s.flush().map(|()| n)),
        }
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write_vectored(bufs),
            #[cfg(unix)]
            Socket::Unix(s) => s.write_vectored(bufs),
            Socket::Tls(s) => s.write_vectored(bufs).and_then(|n| s.flush().map(|()| n)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
