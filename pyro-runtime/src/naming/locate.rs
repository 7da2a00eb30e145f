//! Finding a name server: [`locate_ns`], and [`locate_ns_any`] for a list of them.

use super::NameServerProxy;
use super::failover::{self, Found, Plan};
use crate::uri::Location;
use crate::{Config, Error};

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
/// (`ns_host`, `ns_port`, `ns_broadcast_port`, `broadcast_addrs`, `prefer_ip_version`, and
/// pyro's `ns_locations`; the returned client's serializer and timeout come from it too). A
/// port of 0 counts as none.
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
/// 3. connects to `PYRO:Pyro.NameServer@<ns_host>:<NS_PORT>` (unless step 1 just failed there).
///
/// With [`ns_locations`](Config::ns_locations) set (pyro's `NS_LOCATIONS`), those take the
/// place of steps 1 and 3: each is connected to in turn, starting with the one that answered
/// last, then the broadcast of step 2 follows (see [failover](super#several-name-servers-failover)).
///
/// When no name server can be reached the error is [`Error::Naming`] whose message starts
/// with `"Failed to locate the nameserver at "` and names each URI tried with its cause (and a
/// broadcast that heard nothing).
///
/// Deliberate differences from Pyro5: the extra attempt at `127.0.1.1` (step 1) is not made; a
/// broadcast that cannot be sent (no network, an unresolvable address) and an answer that is
/// not a `PYRO:` URI are ignored rather than raised; a name server that answered the broadcast
/// is not connected to yet (as in Pyro5), so [`resolve`](super::resolve) rather than this
/// function goes on to the next one that answered when it turns out to be unreachable.
///
/// ```no_run
/// use pyro::{naming::locate_ns_with_config, Config};
/// let config = Config { broadcast_addrs: vec!["10.0.0.255".into()], ..Config::default() };
/// let ns = locate_ns_with_config(None, None, &config)?;
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn locate_ns_with_config(host: Option<&str>, port: Option<u16>, config: &Config) -> Result<NameServerProxy, Error> {
    let plan = Plan::locate(host, port, config)?;
    failover::run(&plan, config, |ns, found| {
        if found == Found::Direct {
            ns.proxy().bind()?;
        }
        Ok(ns)
    })
}

/// Connects to the first name server of `locations` that can be reached, trying them in
/// order and starting with the one that answered last in this process; settings of the
/// process ([`Config::environment`]). See [`locate_ns_any_with_config`].
///
/// ```no_run
/// use pyro::uri::Location;
/// let ns = pyro::naming::locate_ns_any(&[Location::tcp("ns1", 9090), Location::tcp("ns2", 9090)])?;
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn locate_ns_any(locations: &[Location]) -> Result<NameServerProxy, Error> {
    locate_ns_any_with_config(locations, &Config::environment()?)
}

/// Connects to the first name server of `locations` that can be reached (with the settings of
/// `config`): they are tried in order, starting with the one that answered last in this
/// process, and one that cannot be reached (connection refused, timed out, closed or rejected)
/// is skipped. Only these are tried: no broadcast, no `NS_HOST` (for those, put the locations
/// in [`Config::ns_locations`] and call [`locate_ns_with_config`] without a host). When none
/// answers the error is [`Error::Naming`] naming each location and why it failed.
///
/// ```no_run
/// use pyro::{config::parse_ns_locations, naming::locate_ns_any_with_config, Config};
/// let locations = parse_ns_locations("ns1:9090,[2001:db8::2]:9090")?;
/// let config = Config { comm_timeout: Some(std::time::Duration::from_secs(2)), ..Config::default() };
/// let ns = locate_ns_any_with_config(&locations, &config)?;
/// println!("using {}", ns.uri());
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn locate_ns_any_with_config(locations: &[Location], config: &Config) -> Result<NameServerProxy, Error> {
    let plan = Plan::listed(locations)?;
    failover::run(&plan, config, |ns, _| {
        ns.proxy().bind()?;
        Ok(ns)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::naming::broadcast::BROADCAST_TIMEOUT;
    use crate::naming::broadcast::tests::{responder, responder_at};
    use std::net::{TcpListener, UdpSocket};
    use std::time::{Duration, Instant};

    fn closed_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
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
        // The local NS_HOST at the given port, the broadcast, NS_HOST at NS_PORT.
        let expected = format!(
            "Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{bcport}: connection to 127.0.0.1:{bcport} \
             refused; no answer to the broadcast to 127.0.0.1:{bcport}; at PYRO:Pyro.NameServer@127.0.0.1:{port}: \
             connection to 127.0.0.1:{port} refused",
            port = config.ns_port
        );
        assert_eq!(message, &expected);
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
    fn configured_locations_come_before_the_broadcast() {
        // Both locations are down; the broadcast finds a name server (not connected yet).
        let (one, two) = (closed_port(), closed_port());
        let (bcport, requests) = responder(vec!["PYRO:Pyro.NameServer@127.0.0.1:4567"]);
        let config = Config { broadcast_addrs: vec!["127.0.0.1".into()], ..Config::default() }
            .with_ns_locations([Location::tcp("127.0.0.1", one), Location::tcp("127.0.0.1", two)]);
        let ns = locate_ns_with_config(None, Some(bcport), &config).unwrap();
        assert_eq!(ns.uri().to_string(), "PYRO:Pyro.NameServer@127.0.0.1:4567");
        assert_eq!(requests.recv_timeout(Duration::from_secs(1)).unwrap(), b"GET_NSURI");
        // Without a broadcast (IPv6): the error names both locations.
        let config = Config { prefer_ip_version: crate::config::IpVersion::V6, ..config };
        let err = locate_ns_with_config(None, None, &config).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&format!("at PYRO:Pyro.NameServer@127.0.0.1:{one}: connection to")), "{message}");
        assert!(message.contains(&format!("; at PYRO:Pyro.NameServer@127.0.0.1:{two}: connection to")), "{message}");
        assert!(!message.contains("broadcast"), "{message}");
    }

    #[test]
    fn the_next_broadcast_answer_is_not_asked_for_by_locate() {
        // Two name servers answer; locate takes the first without connecting, as Pyro5.
        let (port, _) = responder_at(
            "127.0.0.1",
            0,
            vec!["PYRO:Pyro.NameServer@127.0.0.1:1".into(), "PYRO:Pyro.NameServer@127.0.0.1:2".into()],
            Duration::ZERO,
        );
        let config =
            Config { ns_host: "ns.invalid".into(), broadcast_addrs: vec!["127.0.0.1".into()], ..Config::default() };
        let ns = locate_ns_with_config(None, Some(port), &config).unwrap();
        assert_eq!(ns.uri().port(), Some(1));
    }

    #[test]
    fn locate_ns_any_tries_only_the_given_locations() {
        let port = closed_port();
        let err = locate_ns_any_with_config(&[Location::tcp("127.0.0.1", port)], &Config::default()).unwrap_err();
        let expected =
            format!("naming error: Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{port}: ");
        assert!(err.to_string().starts_with(&expected), "{err}");
        let err = locate_ns_any_with_config(&[], &Config::default()).unwrap_err();
        assert_eq!(err.to_string(), "naming error: Failed to locate the nameserver: no name server locations given");
    }
}
