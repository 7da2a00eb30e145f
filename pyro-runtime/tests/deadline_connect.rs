//! `bind()` and `ping()` under deadlines, for the blocking and the async proxy: against a
//! server that accepts connections but never answers the handshake, the proxy's
//! `deadline_per_call` and an ambient deadline (`deadline::within`, `within_async`) end them
//! with a timeout saying the deadline passed; against a daemon they succeed within one. A
//! blocking proxy over a connected socket fetches its metadata under the ambient deadline and
//! its timeout in the same way.
#![allow(clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use pyro::proxy::Proxy;
use pyro::{Error, deadline};

const BUDGET: Duration = Duration::from_millis(200);

/// A server that accepts every connection and never says a word (the connections are held
/// open by a thread that lives as long as the test process); its URI for object `thing`.
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("PYRO:thing@127.0.0.1:{port}")
}

/// Asserts that `result` is the deadline's timeout for `what` ("binding", "pinging"), which came
/// about `BUDGET` after `started`.
fn assert_deadline_passed(result: Result<(), Error>, started: Instant, what: &str) {
    let took = started.elapsed();
    let error = result.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(matches!(&error, Error::Timeout { after, .. } if *after == BUDGET), "{error:?}");
    assert!(error.to_string().contains("the deadline passed"), "{error}");
    assert!(error.to_string().contains(what) || error.to_string().contains("connecting to"), "{error}");
    assert!(took >= BUDGET - Duration::from_millis(10) && took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn blocking_bind_and_ping_honour_the_per_call_deadline() {
    let mut proxy = Proxy::from_uri_str(&silent_server()).unwrap();
    proxy.set_deadline_per_call(Some(BUDGET));
    let started = Instant::now();
    assert_deadline_passed(proxy.bind(), started, "binding");
    let started = Instant::now();
    assert_deadline_passed(proxy.ping(), started, "pinging");
    assert_eq!(proxy.open_connections(), 0, "the half-open connections were dropped");
}

#[test]
fn blocking_bind_and_ping_honour_the_ambient_deadline() {
    let proxy = Proxy::from_uri_str(&silent_server()).unwrap();
    let started = Instant::now();
    assert_deadline_passed(deadline::within(BUDGET, || proxy.bind()), started, "binding");
    let started = Instant::now();
    assert_deadline_passed(deadline::within(BUDGET, || proxy.ping()), started, "pinging");
    // A deadline already past: nothing is tried.
    let started = Instant::now();
    let error = deadline::within(Duration::ZERO, || proxy.ping()).unwrap_err();
    assert!(error.is_timeout() && started.elapsed() < BUDGET, "{error:?}");
}

#[test]
fn blocking_bind_and_ping_succeed_within_a_deadline() {
    let daemon = pyro::Daemon::builder().host("127.0.0.1").bind().unwrap();
    let uri = daemon.uri_for("Pyro.Daemon").unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    let mut proxy = Proxy::new(uri);
    proxy.set_deadline_per_call(Some(Duration::from_secs(5)));
    deadline::within(Duration::from_secs(5), || proxy.bind()).unwrap();
    proxy.ping().unwrap();
    stop.shutdown();
    server.join().unwrap().unwrap();
}

/// A blocking proxy over a connected socket ([`Proxy::connected`]) has no handshake: it fetches
/// the metadata with a `get_metadata` call as it is made, bounded as a TCP `bind` is.
#[cfg(unix)]
mod connected {
    use std::os::unix::net::UnixStream;

    use super::*;
    use pyro::Config;

    #[test]
    fn fetching_the_metadata_honours_the_ambient_deadline() {
        // The other end is held open and never answers.
        let (client_end, _silent_end) = UnixStream::pair().unwrap();
        let started = Instant::now();
        let made = deadline::within(BUDGET, || Proxy::connected_with_config(&client_end, "thing", &Config::default()));
        assert_deadline_passed(made.map(drop), started, "binding");
        // A deadline already past: nothing is sent, at once.
        let (client_end, _silent_end) = UnixStream::pair().unwrap();
        let started = Instant::now();
        let made =
            deadline::within(Duration::ZERO, || Proxy::connected_with_config(&client_end, "thing", &Config::default()));
        let error = made.unwrap_err();
        assert!(error.is_timeout() && started.elapsed() < BUDGET, "{error:?}");
    }

    #[test]
    fn fetching_the_metadata_honours_the_timeout_and_the_earlier_of_both() {
        let (client_end, _silent_end) = UnixStream::pair().unwrap();
        let config = Config { comm_timeout: Some(BUDGET), ..Config::default() };
        let started = Instant::now();
        let error = Proxy::connected_with_config(&client_end, "thing", &config).unwrap_err();
        let took = started.elapsed();
        assert!(error.is_timeout(), "{error:?}");
        assert!(!error.to_string().contains("the deadline passed"), "{error}");
        assert!(took >= BUDGET - Duration::from_millis(10) && took < Duration::from_secs(2), "{took:?}");
        // The timeout is shorter than a deadline: the timeout ends it.
        let (client_end, _silent_end) = UnixStream::pair().unwrap();
        let started = Instant::now();
        let made =
            deadline::within(Duration::from_secs(30), || Proxy::connected_with_config(&client_end, "thing", &config));
        let error = made.unwrap_err();
        assert!(error.is_timeout() && started.elapsed() < Duration::from_secs(2), "{error:?}");
        assert!(!error.to_string().contains("the deadline passed"), "{error}");
    }

    #[test]
    fn fetching_the_metadata_succeeds_within_a_deadline() {
        let (server_end, client_end) = UnixStream::pair().unwrap();
        let daemon = pyro::Daemon::builder().config(Config::default()).connected(&server_end).unwrap();
        let server = std::thread::spawn(move || daemon.request_loop());
        let config = Config { comm_timeout: Some(Duration::from_secs(5)), ..Config::default() };
        let proxy = deadline::within(Duration::from_secs(5), || {
            Proxy::connected_with_config(&client_end, "Pyro.Daemon", &config)
        })
        .unwrap();
        assert!(proxy.metadata().unwrap().methods.contains("ping"));
        deadline::within(Duration::from_secs(5), || proxy.ping()).unwrap();
        drop((proxy, client_end));
        server.join().unwrap().unwrap();
    }
}

#[cfg(feature = "tokio")]
mod aio {
    use super::*;

    #[tokio::test]
    async fn async_bind_and_ping_honour_the_per_call_deadline() {
        let mut proxy = pyro::aio::Proxy::from_uri_str(&silent_server()).unwrap();
        proxy.set_deadline_per_call(Some(BUDGET));
        let started = Instant::now();
        assert_deadline_passed(proxy.bind().await, started, "binding");
        let started = Instant::now();
        assert_deadline_passed(proxy.ping().await, started, "pinging");
        assert_eq!(proxy.open_connections(), 0, "the half-open connections were dropped");
    }

    #[tokio::test]
    async fn async_bind_and_ping_honour_the_ambient_deadline() {
        let proxy = pyro::aio::Proxy::from_uri_str(&silent_server()).unwrap();
        let started = Instant::now();
        assert_deadline_passed(deadline::within_async(BUDGET, proxy.bind()).await, started, "binding");
        let started = Instant::now();
        assert_deadline_passed(deadline::within_async(BUDGET, proxy.ping()).await, started, "pinging");
        let started = Instant::now();
        let error = deadline::within_async(Duration::ZERO, proxy.bind()).await.unwrap_err();
        assert!(error.is_timeout() && started.elapsed() < BUDGET, "{error:?}");
    }

    #[tokio::test]
    async fn async_bind_and_ping_succeed_within_a_deadline() {
        let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).unwrap();
        let uri = daemon.uri("Pyro.Daemon").unwrap();
        let stop = daemon.shutdown_handle();
        let server = tokio::spawn(async move { daemon.serve().await });
        let mut proxy = pyro::aio::Proxy::new(uri);
        proxy.set_deadline_per_call(Some(Duration::from_secs(5)));
        deadline::within_async(Duration::from_secs(5), proxy.bind()).await.unwrap();
        proxy.ping().await.unwrap();
        stop.shutdown();
        server.await.unwrap().unwrap();
    }
}
