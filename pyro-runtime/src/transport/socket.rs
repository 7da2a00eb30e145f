//! [`Socket`]: a connected TCP or Unix stream, the one type every transport user reads and writes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A connected stream socket: TCP (IPv4 or IPv6) or, on Unix, a Unix domain socket.
///
/// ```no_run
/// use pyro_runtime::transport::Socket;
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
        }
    }

    /// A second handle on the same connection (e.g. to shut it down from another thread).
    ///
    /// ```no_run
    /// # let socket = pyro_runtime::transport::Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
    /// let other = socket.try_clone().unwrap();
    /// ```
    pub fn try_clone(&self) -> io::Result<Socket> {
        Ok(match self {
            Socket::Tcp(s) => Socket::Tcp(s.try_clone()?),
            #[cfg(unix)]
            Socket::Unix(s) => Socket::Unix(s.try_clone()?),
        })
    }

    /// Shuts down both directions; blocked reads on other handles return.
    ///
    /// ```no_run
    /// # let socket = pyro_runtime::transport::Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
    /// socket.shutdown().unwrap();
    /// ```
    pub fn shutdown(&self) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.shutdown(Shutdown::Both),
            #[cfg(unix)]
            Socket::Unix(s) => s.shutdown(Shutdown::Both),
        }
    }

    /// The peer's address as text (`"127.0.0.1:5555"`, `"[::1]:5555"`, or the socket path).
    ///
    /// ```no_run
    /// # let socket = pyro_runtime::transport::Socket::Tcp(std::net::TcpStream::connect("localhost:9090").unwrap());
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
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Socket::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Socket::Unix(s) => s.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write_vectored(bufs),
            #[cfg(unix)]
            Socket::Unix(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
