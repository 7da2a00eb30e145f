//! Finding a name server: [`locate_ns`].

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use super::{BROADCAST_REQUEST, NAMESERVER_NAME, NameServerProxy};
use crate::config::IpVersion;
use crate::uri::Protocol;
use crate::{Config, Error, Uri};

/// How long each broadcast round waits for an answer (Pyro5: 0.7 s).
pub(crate) const BROADCAST_TIMEOUT: Duration = Duration::from_millis(700);

/// How many broadcast rounds are sent before giving up (Pyro5: 3).
pub(crate) const BROADCAST_ROUNDS: usize = 3;

/// What `BROADCAST_ADDRS` writes for the limited broadcast address.
const BROADCAST_ALIAS: &str = "<broadcast>";

/// Finds a name server the way Pyro5's `locate_ns(host, port)` does, with the configuration
/// of the process ([`Config::environment`]: defaults overridden by `PYRO_*` variables such as `PYRO_NS_HOST`).
/// See [`locate_ns_with_config`] for the steps.
///
/// As in Pyro5, `port` means the name server's TCP port when a `host` is given, and the
/// broadcast port when not.
///
/// ```no_run
/// // A name server on a known host and port:
/// let ns = pyro::naming::locate_ns(Some("nshost"), Some(9090))?;
/// // Anywhere: NS_HOST if it is local, else by broadcast, else NS_HOST anyway.
/// let ns = pyro::naming::locate_ns(None, None)?;
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn locate_ns(host: Option<&str>, port: Option<u16>) -> Result<NameServerProxy, Error> {
    locate_ns_with_config(host, port, &Config::environment()?)
}

/// Finds a name server as Pyro5's `locate_ns(host, port)` does, with the settings of `config`
/// (`ns_host`, `ns_port`, `ns_broadcast_port`, `broadcast_addrs`, `prefer_ip_version`; the
/// returned client's serializer and timeout come from it too). A port of 0 counts as none.
///
/// With a `host`: connects to `PYRO:Pyro.NameServer@host:<port or NS_PORT>` (a host
/// `./u:<path>` is a Unix domain socket; an IPv6 address may come with or without brackets).
///
/// Without a `host`:
/// 1. if `ns_host` is `localhost`, `::1` or `127.*`, tries to connect to
///    `PYRO:Pyro.NameServer@<ns_host>:<port or NS_PORT>`;
/// 2. unless `prefer_ip_version` is 6, broadcasts up to 3 rounds of the datagram `GET_NSURI`
///    to every address of `broadcast_addrs` (`"<broadcast>"` is 255.255.255.255) at
///    `<port or NS_BCPORT>`, waiting 0.7 s for an answer after each round; the first answer that
///    is a `PYRO:` URI is the result (not connected yet, as in Pyro5);
/// 3. connects to `PYRO:Pyro.NameServer@<ns_host>:<NS_PORT>`.
///
/// A connection that fails is [`Error::Naming`] whose message starts with
/// `"Failed to locate the nameserver"` and names the URI and the cause.
///
/// Deliberate differences from Pyro5: the extra attempt at `127.0.1.1` (step 1) is not made; a
/// broadcast that cannot be sent (no network, an unresolvable address) and an answer that is
/// not a `PYRO:` URI are ignored rather than raised.
///
/// ```no_run
/// use pyro::{naming::locate_ns_with_config, Config};
/// let config = Config { broadcast_addrs: vec!["10.0.0.255".into()], ..Config::default() };
/// let ns = locate_ns_with_config(None, None, &config)?;
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn locate_ns_with_config(host: Option<&str>, port: Option<u16>, config: &Config) -> Result<NameServerProxy, Error> {
    let port = port.filter(|&port| port != 0);
    if let Some(host) = host.filter(|host| !host.is_empty()) {
        return connect(host, port.unwrap_or(config.ns_port), config);
    }
    if is_local(&config.ns_host) {
        let ns = NameServerProxy::with_config(ns_uri(&config.ns_host, port.unwrap_or(config.ns_port))?, config);
        if ns.proxy().bind().is_ok() {
            return Ok(ns);
        }
    }
    if config.prefer_ip_version != IpVersion::V6 {
        let port = port.unwrap_or(config.ns_broadcast_port);
        if let Some(uri) = broadcast(&config.broadcast_addrs, port, BROADCAST_ROUNDS, BROADCAST_TIMEOUT) {
            return Ok(NameServerProxy::with_config(uri, config));
        }
    }
    connect(&config.ns_host, config.ns_port, config)
}

/// Whether Pyro5 tries `NS_HOST` directly before broadcasting.
pub(crate) fn is_local(host: &str) -> bool {
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// `PYRO:Pyro.NameServer@host:port`, or `@./u:path` for a Unix socket host.
pub(crate) fn ns_uri(host: &str, port: u16) -> Result<Uri, Error> {
    if let Some(path) = host.strip_prefix("./u:") {
        return Ok(Uri::pyro_unix(NAMESERVER_NAME, path)?);
    }
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    Ok(Uri::pyro(NAMESERVER_NAME, host, port)?)
}

/// Connects to the name server at `host:port`.
fn connect(host: &str, port: u16, config: &Config) -> Result<NameServerProxy, Error> {
    let uri = ns_uri(host, port)?;
    let ns = NameServerProxy::with_config(uri, config);
    match ns.proxy().bind() {
        Ok(()) => Ok(ns),
        Err(err) => Err(Error::Naming { message: format!("Failed to locate the nameserver at {}: {err}", ns.uri()) }),
    }
}

/// Broadcasts `GET_NSURI` to `addrs` at `port` for up to `rounds` rounds; the first `PYRO:`
/// URI that comes back.
fn broadcast(addrs: &[String], port: u16, rounds: usize, timeout: Duration) -> Option<Uri> {
    let targets: Vec<SocketAddr> = addrs.iter().filter_map(|addr| broadcast_target(addr, port)).collect();
    if targets.is_empty() {
        return None;
    }
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.set_broadcast(true).ok()?;
    for _ in 0..rounds {
        for target in &targets {
            // Pyro5 ignores "address not available" here; any failure just means no answer.
            let _ = socket.send_to(BROADCAST_REQUEST, target);
        }
        if let Some(uri) = receive_answer(&socket, Instant::now() + timeout) {
            return Some(uri);
        }
    }
    None
}

/// Where a `BROADCAST_ADDRS` entry points: an IPv4 socket address (the socket is IPv4).
pub(crate) fn broadcast_target(addr: &str, port: u16) -> Option<SocketAddr> {
    if addr == BROADCAST_ALIAS {
        return Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::BROADCAST, port)));
    }
    (addr, port).to_socket_addrs().ok()?.find(SocketAddr::is_ipv4)
}

/// Waits until `deadline` for an answer that is a `PYRO:` URI, skipping anything else.
fn receive_answer(socket: &UdpSocket, deadline: Instant) -> Option<Uri> {
    let mut buffer = [0u8; 1024];
    loop {
        let left = deadline.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())?;
        socket.set_read_timeout(Some(left)).ok()?;
        // A timeout ends the round; so does any other error, rather than spinning on it.
        let (len, _sender) = socket.recv_from(&mut buffer).ok()?;
        if let Some(uri) = answer_uri(buffer.get(..len).unwrap_or_default()) {
            return Some(uri);
        }
    }
}

/// The name server's `PYRO:` URI in a broadcast answer, if it is one (shared with the async
/// locator).
pub(crate) fn answer_uri(answer: &[u8]) -> Option<Uri> {
    // ISO-8859-1, as Pyro5 decodes the answer.
    let text: String = answer.iter().map(|&byte| char::from(byte)).collect();
    text.trim().parse::<Uri>().ok().filter(|uri| uri.protocol() == Protocol::Pyro)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::thread;

    /// A UDP responder on 127.0.0.1 answering each `GET_NSURI` with the next of `answers`.
    fn responder(answers: Vec<&'static str>) -> (u16, mpsc::Receiver<Vec<u8>>) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let (requests, received) = mpsc::channel();
        thread::spawn(move || {
            let mut buffer = [0u8; 100];
            for answer in answers {
                let (len, from) = socket.recv_from(&mut buffer).unwrap();
                requests.send(buffer[..len].to_vec()).unwrap();
                socket.send_to(answer.as_bytes(), from).unwrap();
            }
        });
        (port, received)
    }

    fn closed_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    #[test]
    fn broadcast_returns_the_first_pyro_uri_answered() {
        let (port, requests) = responder(vec!["garbage", "PYRONAME:loop", "PYRO:Pyro.NameServer@127.0.0.1:4567"]);
        let addrs = vec!["127.0.0.1".to_string()];
        let uri = broadcast(&addrs, port, 3, Duration::from_millis(300)).unwrap();
        assert_eq!(uri.to_string(), "PYRO:Pyro.NameServer@127.0.0.1:4567");
        assert_eq!(requests.recv().unwrap(), b"GET_NSURI");
    }

    #[test]
    fn locate_without_host_uses_the_broadcast_answer() {
        let (port, _requests) = responder(vec!["PYRO:Pyro.NameServer@127.0.0.1:4567"]);
        // Not local, so no direct attempt comes first.
        let config =
            Config { ns_host: "ns.invalid".into(), broadcast_addrs: vec!["127.0.0.1".into()], ..Config::default() };
        let ns = locate_ns_with_config(None, Some(port), &config).unwrap();
        assert_eq!(ns.uri().to_string(), "PYRO:Pyro.NameServer@127.0.0.1:4567");
        assert_eq!(ns.proxy().open_connections(), 0, "a broadcast answer is not connected yet");
    }

    #[test]
    fn no_answer_falls_back_to_ns_host_and_fails_as_a_naming_error() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let config = Config {
            ns_host: "127.0.0.1".into(),
            ns_port: closed_port(),
            broadcast_addrs: vec!["127.0.0.1".into()],
            ..Config::default()
        };
        let bcport = silent.local_addr().unwrap().port();
        let started = Instant::now();
        let err = locate_ns_with_config(None, Some(bcport), &config).unwrap_err();
        assert!(started.elapsed() >= BROADCAST_TIMEOUT * 3, "{:?}", started.elapsed());
        let Error::Naming { message } = &err else { panic!("{err:?}") };
        assert!(message.starts_with("Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:"), "{message}");
        let mut buffer = [0u8; 16];
        let (len, _) = silent.recv_from(&mut buffer).unwrap();
        assert_eq!(&buffer[..len], b"GET_NSURI");
    }

    #[test]
    fn a_given_host_is_connected_directly() {
        let port = closed_port();
        let err = locate_ns_with_config(Some("127.0.0.1"), Some(port), &Config::default()).unwrap_err();
        let expected = format!("Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{port}: ");
        assert!(matches!(&err, Error::Naming { message } if message.starts_with(&expected)), "{err}");
    }

    #[test]
    fn name_server_uris_for_hosts() {
        assert_eq!(ns_uri("::1", 9090).unwrap().to_string(), "PYRO:Pyro.NameServer@[::1]:9090");
        assert_eq!(ns_uri("[::1]", 9090).unwrap().to_string(), "PYRO:Pyro.NameServer@[::1]:9090");
        assert_eq!(ns_uri("./u:/tmp/ns.sock", 9090).unwrap().to_string(), "PYRO:Pyro.NameServer@./u:/tmp/ns.sock");
        assert_eq!(ns_uri("nshost", 1).unwrap().to_string(), "PYRO:Pyro.NameServer@nshost:1");
        assert!(is_local("localhost") && is_local("127.0.1.1") && is_local("::1"));
        assert!(!is_local("0.0.0.0") && !is_local("nshost"));
    }

    #[test]
    fn broadcast_targets() {
        assert_eq!(broadcast_target("<broadcast>", 9091), Some("255.255.255.255:9091".parse().unwrap()));
        assert_eq!(broadcast_target("0.0.0.0", 9091), Some("0.0.0.0:9091".parse().unwrap()));
        assert_eq!(broadcast_target("::1", 9091), None);
    }
}
