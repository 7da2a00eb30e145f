//! Reconnecting on demand (Pyro5's `_pyroReconnect`): a proxy whose daemon went away and came
//! back on the same port reconnects with `reconnect(tries)`, retrying every 2 s; with nothing
//! to reach it fails with "failed to reconnect" after its tries.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use pyro::{Daemon, Error, ShutdownHandle};

/// Tells which daemon served a call.
pub struct Generation(u32);

#[pyro::expose]
impl Generation {
    /// The daemon's generation.
    pub fn generation(&self) -> u32 {
        self.0
    }
}

/// A daemon on `port` serving `Generation(generation)` as `gen`, running in its own thread.
fn serve(port: u16, generation: u32) -> (u16, ShutdownHandle, std::thread::JoinHandle<()>) {
    let daemon = Daemon::bind("127.0.0.1", port).unwrap();
    daemon.register(Generation(generation), Some("gen")).unwrap();
    let port = daemon.local_addr().unwrap().port();
    let stop = daemon.shutdown_handle();
    (port, stop, std::thread::spawn(move || daemon.request_loop().unwrap()))
}

#[test]
fn a_proxy_reconnects_to_a_daemon_restarted_on_the_same_port() {
    let (port, stop, first) = serve(0, 1);
    let proxy = GenerationProxy::new(&format!("PYRO:gen@127.0.0.1:{port}")).unwrap();
    assert_eq!(proxy.generation().unwrap(), 1);
    stop.shutdown();
    first.join().unwrap();
    assert!(proxy.generation().is_err(), "the daemon is gone");

    // The new daemon comes up a second after the first attempt failed.
    let restart = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        serve(port, 2)
    });
    let started = Instant::now();
    proxy.reconnect(5).unwrap();
    assert!(started.elapsed() >= Duration::from_secs(2), "one failed attempt, then 2 s of waiting");
    assert_eq!(proxy.proxy().open_connections(), 1);
    assert_eq!(proxy.generation().unwrap(), 2);
    let (_, stop, second) = restart.join().unwrap();
    stop.shutdown();
    second.join().unwrap();
}

#[test]
fn with_nothing_to_reach_reconnect_fails_after_its_tries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = pyro::proxy::Proxy::from_uri_str(&format!("PYRO:gen@127.0.0.1:{port}")).unwrap();
    let started = Instant::now();
    let error = proxy.reconnect(2).unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(&error, Error::ConnectionClosed { context } if context.ends_with("failed to reconnect")),
        "{error}"
    );
    assert_eq!(error.python_class(), "Pyro5.errors.ConnectionClosedError");
    assert!(waited >= Duration::from_secs(2) && waited < Duration::from_secs(4), "{waited:?}");
    // No tries: at once.
    let started = Instant::now();
    assert!(matches!(proxy.reconnect(0), Err(Error::ConnectionClosed { .. })));
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[test]
fn a_name_that_does_not_resolve_is_not_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config =
        pyro::Config { ns_host: "127.0.0.1".into(), ns_port: port, ns_broadcast_port: port, ..Default::default() };
    let proxy = pyro::proxy::Proxy::with_config("PYRONAME:gen".parse().unwrap(), &config);
    let started = Instant::now();
    assert!(matches!(proxy.bind(), Err(Error::Naming { .. })));
    let one_lookup = started.elapsed();
    let started = Instant::now();
    assert!(matches!(proxy.reconnect(3), Err(Error::Naming { .. })));
    // One lookup, no 2 s waits.
    assert!(started.elapsed() < one_lookup + Duration::from_millis(1500), "{:?} vs {one_lookup:?}", started.elapsed());
}
