//! [`BroadcastResponder`]: answers `GET_NSURI` datagrams with the name server's uri, so that
//! clients find the name server without knowing its host (Pyro5's `BroadcastServer`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use pyro::Uri;
use pyro::uri::Location;

/// The request datagram a client broadcasts to find the name server.
///
/// ```
/// assert_eq!(pyro_ns::broadcast::GET_NSURI, b"GET_NSURI");
/// ```
pub const GET_NSURI: &[u8] = b"GET_NSURI";

/// Pyro5 reads at most 100 bytes of a request (longer datagrams are truncated, so never equal
/// to [`GET_NSURI`]).
const MAX_REQUEST: usize = 100;

/// How long the responder thread waits for a datagram before it checks whether it should stop
/// (a stop also wakes it with a datagram, so this is only the fallback).
const POLL: Duration = Duration::from_millis(500);

/// A UDP socket that answers each [`GET_NSURI`] datagram with the name server's uri as text
/// (ISO-8859-1), sent back to the requester; other datagrams are ignored. When the name server
/// listens on every interface (`0.0.0.0`, `::`), the reply names the local address facing the
/// requester instead.
///
/// The responder works on any address; the startup helper ([`NameServerBuilder`](crate::NameServerBuilder))
/// starts one only where Pyro5 does (not for a name server on loopback, IPv6 or a Unix socket).
///
/// ```
/// use std::net::UdpSocket;
/// use pyro_ns::broadcast::{BroadcastResponder, GET_NSURI};
///
/// let uri = "PYRO:Pyro.NameServer@127.0.0.1:9999".parse().unwrap();
/// let responder = BroadcastResponder::bind(uri, Some("127.0.0.1"), 0).unwrap();
/// let address = responder.local_addr().unwrap();
/// let running = responder.spawn().unwrap();
///
/// let client = UdpSocket::bind("127.0.0.1:0").unwrap();
/// client.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
/// client.send_to(GET_NSURI, address).unwrap();
/// let mut reply = [0; 100];
/// let (n, _) = client.recv_from(&mut reply).unwrap();
/// assert_eq!(&reply[..n], b"PYRO:Pyro.NameServer@127.0.0.1:9999");
/// running.stop();
/// ```
#[derive(Debug)]
pub struct BroadcastResponder {
    socket: UdpSocket,
    ns_uri: Uri,
    location: String,
}

impl BroadcastResponder {
    /// Binds the UDP socket to `host` (`None` or `""`: every interface, IPv4 — or IPv6 when
    /// the name server's host is an IPv6 address) and `port` (0 = any free port).
    ///
    /// See [`BroadcastResponder`] for an example.
    pub fn bind(ns_uri: Uri, host: Option<&str>, port: u16) -> io::Result<BroadcastResponder> {
        let ipv6 = ns_uri.host().is_some_and(|h| h.contains(':'));
        let socket = match host.filter(|h| !h.is_empty()) {
            Some(host) => UdpSocket::bind((host, port))?,
            None if ipv6 => UdpSocket::bind((Ipv6Addr::UNSPECIFIED, port))?,
            None => UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port))?,
        };
        socket.set_read_timeout(Some(POLL))?;
        let address = socket.local_addr()?;
        let location = match address {
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
            SocketAddr::V4(a) => a.to_string(),
        };
        Ok(BroadcastResponder { socket, ns_uri, location })
    }

    /// The bound address.
    ///
    /// See [`BroadcastResponder`] for an example.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Where it listens, as Pyro5 prints it (`0.0.0.0:9091`, `[::]:9091`).
    ///
    /// ```
    /// let uri = "PYRO:Pyro.NameServer@127.0.0.1:9999".parse().unwrap();
    /// let responder = pyro_ns::broadcast::BroadcastResponder::bind(uri, Some("127.0.0.1"), 0).unwrap();
    /// assert!(responder.location().starts_with("127.0.0.1:"));
    /// ```
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The UDP socket, to watch for readability in an event loop of one's own (then call
    /// [`process_request`](BroadcastResponder::process_request)).
    ///
    /// ```
    /// let uri = "PYRO:Pyro.NameServer@127.0.0.1:9999".parse().unwrap();
    /// let responder = pyro_ns::broadcast::BroadcastResponder::bind(uri, Some("127.0.0.1"), 0).unwrap();
    /// assert_eq!(responder.socket().local_addr().unwrap(), responder.local_addr().unwrap());
    /// ```
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// The uri it hands out.
    ///
    /// ```
    /// let uri: pyro::Uri = "PYRO:Pyro.NameServer@127.0.0.1:9999".parse().unwrap();
    /// let responder = pyro_ns::broadcast::BroadcastResponder::bind(uri.clone(), Some("127.0.0.1"), 0).unwrap();
    /// assert_eq!(responder.ns_uri(), &uri);
    /// ```
    pub fn ns_uri(&self) -> &Uri {
        &self.ns_uri
    }

    /// Waits (up to half a second) for one datagram and answers it if it is a request.
    /// Returns whether a reply was sent.
    ///
    /// ```
    /// let uri = "PYRO:Pyro.NameServer@127.0.0.1:9999".parse().unwrap();
    /// let responder = pyro_ns::broadcast::BroadcastResponder::bind(uri, Some("127.0.0.1"), 0).unwrap();
    /// assert!(!responder.process_request().unwrap()); // nothing arrived
    /// ```
    pub fn process_request(&self) -> io::Result<bool> {
        let mut request = [0u8; MAX_REQUEST];
        let (size, requester) = match self.socket.recv_from(&mut request) {
            Ok(received) => received,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return Ok(false),
            Err(e) => return Err(e),
        };
        if request.get(..size) != Some(GET_NSURI) {
            return Ok(false);
        }
        let reply = self.reply_for(requester);
        tracing::debug!(target: "pyro::ns", %requester, %reply, "responding to a name server broadcast request");
        self.socket.send_to(&latin1(&reply), requester)?;
        Ok(true)
    }

    /// The uri text to send to `requester`.
    fn reply_for(&self, requester: SocketAddr) -> String {
        let Some(Location::Tcp { host, port }) = self.ns_uri.location() else {
            return self.ns_uri.to_string();
        };
        let any = host.is_empty() || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified());
        if !any {
            return self.ns_uri.to_string();
        }
        match interface_facing(requester).and_then(|ip| {
            Uri::pyro_at(self.ns_uri.object(), Location::tcp(ip.to_string(), *port))
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }) {
            Ok(uri) => uri.to_string(),
            Err(_) => self.ns_uri.to_string(),
        }
    }

    /// Runs the responder on its own thread until [`RunningResponder::stop`] (or drop).
    ///
    /// See [`BroadcastResponder`] for an example.
    pub fn spawn(self) -> io::Result<RunningResponder> {
        let address = self.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new().name("pyro-ns-broadcast".into()).spawn(move || {
            tracing::info!(target: "pyro::ns", location = %self.location, "name server broadcast responder running");
            while !stopped.load(Ordering::Acquire) {
                if let Err(error) = self.process_request() {
                    // e.g. an ICMP error from an earlier reply; keep serving.
                    tracing::debug!(target: "pyro::ns", %error, "broadcast responder");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            tracing::debug!(target: "pyro::ns", "name server broadcast responder stopped");
        })?;
        Ok(RunningResponder { address, stop, thread: Some(thread) })
    }
}

/// A [`BroadcastResponder`] running on its own thread; stops when dropped.
///
/// See [`BroadcastResponder`] for an example.
#[derive(Debug)]
pub struct RunningResponder {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RunningResponder {
    /// The responder's bound address.
    ///
    /// ```
    /// let uri = "PYRO:Pyro.NameServer@127.0.0.1:9999".parse().unwrap();
    /// let running = pyro_ns::broadcast::BroadcastResponder::bind(uri, Some("127.0.0.1"), 0).unwrap().spawn().unwrap();
    /// assert_ne!(running.local_addr().port(), 0);
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Stops the thread and waits for it.
    ///
    /// See [`BroadcastResponder`] for an example.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            // Wake the blocking receive at once (else it notices within `POLL`).
            let target = match self.address.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from((Ipv4Addr::LOCALHOST, self.address.port())),
                IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::from((Ipv6Addr::LOCALHOST, self.address.port())),
                _ => self.address,
            };
            let local =
                if target.is_ipv6() { (Ipv6Addr::UNSPECIFIED, 0).into() } else { (Ipv4Addr::UNSPECIFIED, 0).into() };
            if let Ok(waker) = UdpSocket::bind::<SocketAddr>(local) {
                let _ = waker.send_to(b"", target);
            }
            let _ = thread.join();
        }
    }
}

impl Drop for RunningResponder {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The local address this host uses to reach `peer` (a connected UDP socket sends nothing).
fn interface_facing(peer: SocketAddr) -> io::Result<IpAddr> {
    let local: SocketAddr =
        if peer.is_ipv6() { (Ipv6Addr::UNSPECIFIED, 0).into() } else { (Ipv4Addr::UNSPECIFIED, 0).into() };
    let probe = UdpSocket::bind(local)?;
    probe.connect(peer)?;
    Ok(probe.local_addr()?.ip())
}

/// `text.encode("iso-8859-1")`; a character outside Latin-1 (impossible in a uri Pyro5 could
/// parse from such a reply anyway) becomes `?`.
fn latin1(text: &str) -> Vec<u8> {
    text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn any_address_is_replaced_by_the_interface_facing_the_requester() {
        let uri: Uri = "PYRO:Pyro.NameServer@0.0.0.0:9999".parse().unwrap();
        let responder = BroadcastResponder::bind(uri, Some("127.0.0.1"), 0).unwrap();
        let reply = responder.reply_for("127.0.0.1:5555".parse().unwrap());
        assert_eq!(reply, "PYRO:Pyro.NameServer@127.0.0.1:9999");
    }

    #[test]
    fn latin1_encoding() {
        assert_eq!(latin1("PYRO:é@h:1"), b"PYRO:\xe9@h:1");
        assert_eq!(latin1("€"), b"?");
    }
}
