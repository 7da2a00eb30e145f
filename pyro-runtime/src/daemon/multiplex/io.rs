//! The bytes of one multiplexed connection: a plain non-blocking socket, or TLS driven by
//! readiness over a non-blocking TCP socket (rustls' `read_tls`, `process_new_packets` and
//! `write_tls`), so a TLS handshake waits for the client's bytes without holding the loop.

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use rustls::ServerConnection;

use crate::transport::Socket;

/// A connection's byte stream. Reads and writes never block: nothing to read (or no room to
/// write) is [`ErrorKind::WouldBlock`], the client's end is `Ok(0)` from a read.
pub(super) enum Io {
    Plain(Socket),
    Tls(Box<Tls>),
}

/// The server side of a TLS session over a non-blocking TCP socket.
pub(super) struct Tls {
    conn: ServerConnection,
    tcp: TcpStream,
}

impl Io {
    /// Makes `socket` non-blocking; with `tls`, the TLS session starts (its handshake is
    /// driven by the reads and writes that follow).
    pub(super) fn new(socket: Socket, tls: Option<ServerConnection>) -> io::Result<Io> {
        set_nonblocking(&socket, true)?;
        Ok(match (socket, tls) {
            (Socket::Tcp(tcp), Some(conn)) => Io::Tls(Box::new(Tls { conn, tcp })),
            (socket, _) => Io::Plain(socket),
        })
    }

    pub(super) fn fd(&self) -> RawFd {
        match self {
            Io::Plain(socket) => socket_fd(socket),
            Io::Tls(tls) => tls.tcp.as_raw_fd(),
        }
    }

    pub(super) fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Io::Plain(socket) => socket.peer_addr(),
            Io::Tls(tls) => tls.tcp.peer_addr().ok(),
        }
    }

    /// `true` while a TLS handshake is under way.
    pub(super) fn is_handshaking(&self) -> bool {
        matches!(self, Io::Tls(tls) if tls.conn.is_handshaking())
    }

    /// The client's certificate chain (DER, its own first) once the TLS handshake is done;
    /// empty without TLS or when the client presented none.
    pub(super) fn peer_certificates(&self) -> Vec<Vec<u8>> {
        match self {
            Io::Tls(tls) => tls
                .conn
                .peer_certificates()
                .map(|chain| chain.iter().map(|cert| cert.as_ref().to_vec()).collect())
                .unwrap_or_default(),
            Io::Plain(_) => Vec::new(),
        }
    }

    /// `true` if encrypted bytes wait for the socket to take them.
    pub(super) fn wants_write(&self) -> bool {
        matches!(self, Io::Tls(tls) if tls.conn.wants_write())
    }

    /// Writes what TLS has waiting, until done or the socket would block.
    pub(super) fn push(&mut self) -> io::Result<()> {
        match self {
            Io::Plain(_) => Ok(()),
            Io::Tls(tls) => tls.push(),
        }
    }

    /// `true` if a read that filled less than its buffer took all there was (a plain stream
    /// socket; TLS hands out decrypted bytes a record at a time).
    pub(super) fn short_read_drains(&self) -> bool {
        matches!(self, Io::Plain(Socket::Tcp(_) | Socket::Unix(_)))
    }

    /// Reads what the client sent (plaintext); `Ok(0)` at its end.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(socket) => socket.read(buf),
            Io::Tls(tls) => tls.read(buf),
        }
    }

    /// Writes (some of) `data`; with TLS, what rustls took is written as far as the socket
    /// takes it, the rest later by [`push`](Io::push).
    pub(super) fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Io::Plain(socket) => socket.write(data),
            Io::Tls(tls) => tls.write(data),
        }
    }

    /// Writes `data` and whatever TLS has waiting, blocking up to `timeout` per write (used
    /// when the loop ends).
    pub(super) fn write_all_blocking(&mut self, data: &[u8], timeout: Duration) -> io::Result<()> {
        match self {
            Io::Plain(socket) => {
                set_nonblocking(socket, false)?;
                socket.set_timeout(Some(timeout))?;
                socket.write_all(data)
            }
            Io::Tls(tls) => {
                tls.tcp.set_nonblocking(false)?;
                tls.tcp.set_write_timeout(Some(timeout))?;
                // rustls takes a bounded amount at a time: write that out, then the rest.
                let mut rest = data;
                loop {
                    while tls.conn.wants_write() {
                        tls.conn.write_tls(&mut tls.tcp)?;
                    }
                    if rest.is_empty() {
                        return Ok(());
                    }
                    let taken = tls.conn.writer().write(rest)?;
                    if taken == 0 && !tls.conn.wants_write() {
                        return Err(ErrorKind::WriteZero.into());
                    }
                    rest = rest.get(taken..).unwrap_or_default();
                }
            }
        }
    }

    /// Ends the connection: with TLS a `close_notify` first (written if the socket takes it
    /// now), then both directions of the socket are shut down.
    pub(super) fn shutdown(&mut self) {
        match self {
            Io::Plain(socket) => {
                let _ = socket.shutdown();
            }
            Io::Tls(tls) => {
                tls.conn.send_close_notify();
                let _ = tls.push();
                let _ = tls.tcp.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

impl Tls {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // Plaintext decrypted already comes first (`read_tls` refuses more while it waits).
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(error) if error.kind() == ErrorKind::WouldBlock => {}
                // The client closed the TCP connection without a `close_notify`.
                Err(error) if error.kind() == ErrorKind::UnexpectedEof => return Ok(0),
                Err(error) => return Err(error),
            }
            if self.conn.read_tls(&mut self.tcp)? == 0 {
                return Ok(0);
            }
            let processed = self.conn.process_new_packets();
            // Handshake messages, or the alert telling the client what went wrong.
            let pushed = self.push();
            if let Err(error) = processed {
                return Err(io::Error::new(ErrorKind::InvalidData, error));
            }
            pushed?;
        }
    }

    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let taken = self.conn.writer().write(data)?;
        self.push()?;
        if taken == 0 && !data.is_empty() {
            // rustls' buffer is full until the socket takes some of it.
            return Err(ErrorKind::WouldBlock.into());
        }
        Ok(taken)
    }

    fn push(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.tcp) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}

pub(super) fn socket_fd(socket: &Socket) -> RawFd {
    match socket {
        Socket::Tcp(tcp) => tcp.as_raw_fd(),
        Socket::Unix(unix) => unix.as_raw_fd(),
        Socket::Tls(tls) => tls.tcp().as_raw_fd(),
    }
}

fn set_nonblocking(socket: &Socket, on: bool) -> io::Result<()> {
    match socket {
        Socket::Tcp(tcp) => tcp.set_nonblocking(on),
        Socket::Unix(unix) => unix.set_nonblocking(on),
        Socket::Tls(tls) => tls.tcp().set_nonblocking(on),
    }
}
