//! Auto-clean (Pyro5's NS_AUTOCLEAN) with short thresholds: registrations whose server stopped
//! accepting connections are removed once unreachable long enough; live ones, renewed ones and
//! the name server's own stay.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::time::{Duration, Instant};

use pyro::Value;
use pyro_ns::{AutoClean, AutoCleaner, NameServer, NameServerBuilder, StartError};

fn quick() -> AutoClean {
    AutoClean {
        interval: Duration::from_millis(100),
        max_unreachable: Duration::from_millis(800),
        poll: Duration::from_millis(50),
        connect_timeout: Duration::from_millis(500),
    }
}

/// A uri whose server accepts connections while the listener lives.
fn live() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("PYRO:obj@127.0.0.1:{}", listener.local_addr().unwrap().port());
    (listener, uri)
}

/// A uri where nothing listens.
fn dead() -> String {
    live().1
}

fn names(ns: &NameServer) -> Vec<String> {
    ns.list(None, None, None).unwrap().into_keys().collect()
}

fn register(ns: &NameServer, name: &str, uri: &str) {
    ns.register(name.into(), uri.into(), None, None).unwrap();
}

/// Waits until `done` holds (or panics after `limit`).
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn unreachable_registrations_are_removed_after_the_grace_period() {
    let ns = NameServer::in_memory();
    ns.register_self(&dead().parse().unwrap()).unwrap(); // its own entry is never checked
    let (alive_listener, alive) = live();
    let (going_listener, going) = live();
    register(&ns, "alive", &alive);
    register(&ns, "going", &going);
    register(&ns, "dead", &dead());
    register(&ns, "Pyro.Daemon", &dead());
    register(&ns, "by.name", "PYRONAME:elsewhere"); // no location: not checkable, kept
    register(&ns, "renewed", &dead());

    let started = Instant::now();
    let cleaner = AutoCleaner::spawn(ns.clone(), quick()).unwrap();
    // Renewed before its grace period ends: the new registration is reachable and stays.
    std::thread::sleep(Duration::from_millis(300));
    register(&ns, "renewed", &alive);

    wait_until(Duration::from_secs(10), "dead removed", || !names(&ns).contains(&"dead".to_owned()));
    assert!(started.elapsed() >= Duration::from_millis(800), "removed before the grace period");
    assert_eq!(names(&ns), ["Pyro.Daemon", "Pyro.NameServer", "alive", "by.name", "going", "renewed"]);

    drop(going_listener);
    wait_until(Duration::from_secs(10), "going removed", || !names(&ns).contains(&"going".to_owned()));
    assert_eq!(names(&ns), ["Pyro.Daemon", "Pyro.NameServer", "alive", "by.name", "renewed"]);
    cleaner.stop();
    drop(alive_listener);
}

#[test]
fn a_registration_that_comes_back_is_forgiven() {
    let ns = NameServer::in_memory();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    register(&ns, "flaky", &format!("PYRO:obj@127.0.0.1:{port}"));
    let settings = AutoClean { max_unreachable: Duration::from_millis(1500), ..quick() };
    let cleaner = AutoCleaner::spawn(ns.clone(), settings).unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // The server comes back on the same port before the grace period ends.
    let Ok(back) = TcpListener::bind(("127.0.0.1", port)) else { return cleaner.stop() };
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(names(&ns), ["flaky"]);
    cleaner.stop();
    drop(back);
}

#[test]
fn the_name_server_daemon_runs_the_cleaner() {
    let ns = NameServerBuilder::new().host("127.0.0.1").port(0).autoclean(Some(quick())).start().unwrap();
    let proxy = pyro::proxy::Proxy::new(ns.uri().clone());
    let _: () = proxy.call("register", &("dead", dead())).unwrap();
    let count = || proxy.call::<_, usize>("count", &()).unwrap();
    assert_eq!(count(), 2);
    wait_until(Duration::from_secs(10), "dead removed", || count() == 1);
    let own: Value = proxy.call("lookup", &("Pyro.NameServer",)).unwrap();
    assert!(pyro::Uri::from_value(&own).is_ok());
    ns.shutdown().unwrap();
}

#[test]
fn ns_autoclean_below_three_seconds_is_refused() {
    let config = pyro::Config { ns_autoclean: Some(Duration::from_secs(2)), ..Default::default() };
    let err = NameServerBuilder::new().config(config).host("127.0.0.1").port(0).bind().unwrap_err();
    assert!(matches!(err, StartError::AutoCleanTooSmall { .. }), "{err}");
    let config = pyro::Config { ns_autoclean: Some(Duration::from_secs(3)), ..Default::default() };
    let bound = NameServerBuilder::new().config(config).host("127.0.0.1").port(0).bind().unwrap();
    drop(bound);
}
