//! Failover between name servers, with real `pyro-ns` processes sharing one name space (both on
//! one SQLite file): a `PYRONAME:` proxy configured with both locations keeps working when the
//! first is killed with SIGKILL and its daemon moves; the location that answered is tried
//! first next time; all of them down is an error naming each; IPv6 locations; broadcast
//! discovery that goes on to the next name server that answered; and Python programs are not
//! disturbed by `PYRO5_NS_LOCATIONS` in their environment.
//!
//! The `pyro-ns` binary is the one `cargo test` builds for the workspace; when only this test
//! was asked for it is built here.

#![allow(clippy::unwrap_used)]

use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use pyro_runtime::naming::{locate_ns_any_with_config, resolve_with_config};
use pyro_runtime::proxy::Proxy;
use pyro_runtime::uri::Location;
use pyro_runtime::{Config, Error, Uri};

mod ns_failover_support;

use ns_failover_support::{NameServer, Running, TIMEOUT, TempDir, closed_port, closing_listener, config};

#[test]
fn a_proxy_resolves_through_the_next_name_server_when_the_first_is_killed() {
    let dir = TempDir::new("kill");
    let first = NameServer::start("127.0.0.1", &dir.db(), &["-x"]);
    let second = NameServer::start("127.0.0.1", &dir.db(), &["-x"]);
    let locations = [first.location(), second.location()];
    let (first_port, second_port) = (first.port(), second.port());

    // A daemon registered once, through the first name server; the second sees it too.
    let old_home = Running::start();
    let tags = std::collections::BTreeSet::from(["failover:tag".to_string()]);
    first.client().register("failover.thing", &old_home.uri(), false, Some(&tags)).unwrap();
    assert_eq!(second.client().lookup("failover.thing").unwrap(), old_home.uri());

    let settings = Config { max_retries: 1, ..config(&locations) };
    let proxy = Proxy::with_config("PYRONAME:failover.thing".parse().unwrap(), &settings);
    let registered: Vec<String> = proxy.call("registered", &()).unwrap();
    assert_eq!(registered, ["Pyro.Daemon"]);
    assert_eq!(proxy.resolved_uri(), Some(old_home.uri()));

    // The first name server dies; the daemon moves and registers again, through whichever
    // name server is up (locate_ns_any goes on to the second).
    first.kill();
    drop(old_home);
    let new_home = Running::start();
    let ns = locate_ns_any_with_config(&locations, &config(&[])).unwrap();
    assert_eq!(ns.uri().port(), Some(second_port));
    ns.register("failover.thing", &new_home.uri(), false, Some(&tags)).unwrap();

    // The proxy's connection is gone: it reconnects, resolving through the second name server.
    let () = proxy.call("ping", &()).unwrap();
    assert_eq!(proxy.resolved_uri(), Some(new_home.uri()));
    // PYROMETA: the same.
    let meta: Uri = "PYROMETA:failover:tag".parse().unwrap();
    assert_eq!(resolve_with_config(&meta, &config(&locations)).unwrap(), new_home.uri());

    // The second answered last, so the next resolution starts there: a listener on the first
    // name server's old port sees no connection.
    let knocks = closing_listener(first_port);
    let fresh = Proxy::with_config("PYRONAME:failover.thing".parse().unwrap(), &config(&locations));
    let () = fresh.call("ping", &()).unwrap();
    assert_eq!(knocks.load(Ordering::SeqCst), 0, "the location that answered last is tried first");

    // An unknown name is an answer: no failover to the other name server.
    let unknown: Uri = "PYRONAME:failover.nothing".parse().unwrap();
    let err = resolve_with_config(&unknown, &config(&locations)).unwrap_err();
    assert!(matches!(&err, Error::Naming { message } if message == "unknown name: failover.nothing"), "{err}");
    assert_eq!(knocks.load(Ordering::SeqCst), 0);

    // Now the second dies too. The first location closes every connection in the middle of
    // the lookup: both fail, and the error says how each did.
    second.kill();
    let err = resolve_with_config(&"PYRONAME:failover.thing".parse().unwrap(), &config(&locations)).unwrap_err();
    let Error::Naming { message } = &err else { panic!("{err:?}") };
    let expected_start = format!(
        "Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{second_port}: connection to \
         127.0.0.1:{second_port} refused; at PYRO:Pyro.NameServer@127.0.0.1:{first_port}: connection closed while "
    );
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(knocks.load(Ordering::SeqCst) >= 1);
    // The proxy too: its daemon is still there, but a new connection needs a name server.
    drop(new_home);
    let err = proxy.call::<_, ()>("ping", &()).unwrap_err();
    assert!(err.to_string().contains("Failed to locate the nameserver at "), "{err}");
}

#[test]
fn all_locations_down_is_an_error_naming_each() {
    let (one, two) = (closed_port(), closed_port());
    let locations = [Location::tcp("127.0.0.1", one), Location::tcp("localhost", two)];
    let settings = Config { prefer_ip_version: pyro_runtime::config::IpVersion::V6, ..config(&locations) };
    let proxy = Proxy::with_config("PYRONAME:anything".parse().unwrap(), &settings);
    let err = proxy.call::<_, ()>("ping", &()).unwrap_err();
    let Error::Naming { message } = &err else { panic!("{err:?}") };
    assert!(
        message.starts_with(&format!(
            "Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{one}: connection to 127.0.0.1:{one} \
             refused; at PYRO:Pyro.NameServer@localhost:{two}: "
        )),
        "{message}"
    );
    assert_eq!(err.python_class(), "Pyro5.errors.NamingError");
    // An explicit location in the URI means that name server only, as in Pyro5.
    let pinned = format!("PYRONAME:anything@127.0.0.1:{two}").parse().unwrap();
    let err = resolve_with_config(&pinned, &settings).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "naming error: Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{two}: connection to \
             127.0.0.1:{two} refused"
        )
    );
}

#[test]
fn ipv6_locations() {
    let dir = TempDir::new("ipv6");
    if TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    }
    let ns = NameServer::start("::1", &dir.db(), &["-x"]);
    let daemon = Running::start();
    ns.client().register("failover.v6", &daemon.uri(), false, None).unwrap();
    let mut settings = config(&[]);
    settings.apply_vars([("PYRO5_NS_LOCATIONS", format!("127.0.0.1:{}, [::1]:{}", closed_port(), ns.port()))]).unwrap();
    assert_eq!(settings.ns_locations[1], Location::tcp("::1", ns.port()));
    let proxy = Proxy::with_config("PYRONAME:failover.v6".parse().unwrap(), &settings);
    let () = proxy.call("ping", &()).unwrap();
    assert_eq!(proxy.resolved_uri(), Some(daemon.uri()));
    let err = settings.apply_vars([("PYRO5_NS_LOCATIONS", format!("::1:{}", ns.port()))]).unwrap_err();
    assert!(err.to_string().contains("an IPv6 address needs brackets"), "{err}");
}

#[test]
fn broadcast_discovery_goes_on_to_the_next_name_server_that_answered() {
    let dir = TempDir::new("broadcast");
    // (Like Pyro5's, pyro-ns starts no responder for a name server on a loopback address.)
    let ns = NameServer::start("0.0.0.0", &dir.db(), &["--bchost", "127.0.0.1", "--bcport", "0"]);
    let responder = ns.banner.iter().find_map(|line| line.strip_prefix("Broadcast server running on ")).unwrap();
    let responder: std::net::SocketAddr = responder.parse().unwrap();
    let daemon = Running::start();
    ns.client().register("failover.broadcast", &daemon.uri(), false, None).unwrap();

    // Two name servers answer each request, in this order: a stale answer for a name server
    // that is gone (its port closes every connection, counting them), then pyro-ns's own
    // responder, asked by a relay in front of it.
    let gone = closed_port();
    let knocks = closing_listener(gone);
    let front = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bcport = front.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let relay = UdpSocket::bind("127.0.0.1:0").unwrap();
        relay.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut buffer = [0u8; 256];
        while let Ok((len, client)) = front.recv_from(&mut buffer) {
            let _ = front.send_to(format!("PYRO:Pyro.NameServer@127.0.0.1:{gone}").as_bytes(), client);
            let _ = relay.send_to(&buffer[..len], responder);
            if let Ok((len, _)) = relay.recv_from(&mut buffer) {
                let _ = front.send_to(&buffer[..len], client);
            }
        }
    });

    let settings = Config {
        ns_host: "ns.invalid".into(),
        ns_broadcast_port: bcport,
        broadcast_addrs: vec!["127.0.0.1".into()],
        ..config(&[])
    };
    let started = Instant::now();
    let proxy = Proxy::with_config("PYRONAME:failover.broadcast".parse().unwrap(), &settings);
    let () = proxy.call("ping", &()).unwrap();
    assert_eq!(proxy.resolved_uri(), Some(daemon.uri()));
    assert!(knocks.load(Ordering::SeqCst) >= 1, "the first answer was tried first");
    assert!(started.elapsed() < Duration::from_millis(700), "found in the first round: {:?}", started.elapsed());

    // Configured locations that are down come first; then the broadcast.
    let settings = settings.with_ns_locations([Location::tcp("127.0.0.1", closed_port())]);
    let name: Uri = "PYRONAME:failover.broadcast".parse().unwrap();
    assert_eq!(resolve_with_config(&name, &settings).unwrap(), daemon.uri());
    // With the real name server gone, the error names the stale answer and the location.
    drop(ns);
    let err = resolve_with_config(&name, &settings).unwrap_err();
    let message = err.to_string();
    let stale = format!("at PYRO:Pyro.NameServer@127.0.0.1:{gone} (it answered the broadcast): connection closed");
    assert!(message.contains(&stale), "{message}");
    assert!(message.contains(&format!("at PYRO:Pyro.NameServer@{}: ", settings.ns_locations[0])), "{message}");
}

#[test]
fn python_programs_ignore_pyro5_ns_locations() {
    let python = pyro_interop::python();
    let script = "import Pyro5.api; print('NS_HOST', Pyro5.api.config.NS_HOST)";
    let output =
        python.command().args(["-c", script]).env("PYRO5_NS_LOCATIONS", "ns1:9090,[::1]:9090").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && text.trim() == "NS_HOST localhost",
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Why the variable is not PYRO_NS_LOCATIONS: Pyro5 refuses to import with it, and so pyro
    // refuses it too, saying what to set instead.
    let output = python.command().args(["-c", script]).env("PYRO_NS_LOCATIONS", "ns1:9090").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("invalid Pyro environment config variable: PYRO_NS_LOCATIONS"), "{stderr}");
    let err = Config::default().apply_vars([("PYRO_NS_LOCATIONS", "ns1:9090")]).unwrap_err();
    assert!(err.to_string().contains("set PYRO5_NS_LOCATIONS"), "{err}");
}
