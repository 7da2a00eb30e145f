//! A daemon that completes the handshake and then never answers: the blocking and the async
//! proxy's PINGs and calls end with the timeout's or the deadline's error after about that
//! time instead of hanging, drop the dead connection, and work again once the daemon answers.
//!
//! The daemon is a relay in front of a real pyro daemon: while "silent" it passes each
//! connection's CONNECT to the daemon and the daemon's CONNECTOK back, then reads and drops
//! everything; once "healthy" it passes every byte both ways.
#![allow(clippy::unwrap_used)]

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyro::protocol::{EncodeOptions, MessageType};
use pyro::proxy::Proxy;
use pyro::transport::MessageStream;
use pyro::{Error, ShutdownHandle, Uri, deadline};

const BUDGET: Duration = Duration::from_millis(200);

/// A real daemon (serving only `Pyro.Daemon`) and the relay in front of it.
struct Setup {
    relay: Relay,
    stop: ShutdownHandle,
    server: JoinHandle<Result<(), Error>>,
}

impl Setup {
    fn start() -> Setup {
        let daemon = pyro::Daemon::builder().host("127.0.0.1").bind().unwrap();
        let port = daemon.uri_for("Pyro.Daemon").unwrap().port().unwrap();
        let stop = daemon.shutdown_handle();
        let server = std::thread::spawn(move || daemon.request_loop());
        Setup { relay: Relay::start(SocketAddr::from(([127, 0, 0, 1], port))), stop, server }
    }

    fn finish(self) {
        self.stop.shutdown();
        self.server.join().unwrap().unwrap();
    }
}

/// The relay: its address, whether it passes everything through, and how many handshakes it
/// passed on before going silent.
struct Relay {
    port: u16,
    healthy: Arc<AtomicBool>,
    silenced: Arc<AtomicUsize>,
}

impl Relay {
    fn start(daemon: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let healthy = Arc::new(AtomicBool::new(false));
        let silenced = Arc::new(AtomicUsize::new(0));
        let (flag, count) = (healthy.clone(), silenced.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let healthy = flag.load(Ordering::SeqCst);
                let count = count.clone();
                std::thread::spawn(move || {
                    let upstream = TcpStream::connect(daemon).unwrap();
                    if healthy {
                        pass_through(client, upstream);
                    } else {
                        handshake_then_silence(client, upstream, &count);
                    }
                });
            }
        });
        Relay { port, healthy, silenced }
    }

    fn uri(&self) -> Uri {
        Uri::pyro("Pyro.Daemon", "127.0.0.1", self.port).unwrap()
    }

    fn heal(&self) {
        self.healthy.store(true, Ordering::SeqCst);
    }
}

/// Passes the CONNECT to the daemon and its answer back (a real CONNECTOK), counts the
/// connection in `silenced`, then reads and drops what the client sends until it closes.
fn handshake_then_silence(mut client: TcpStream, upstream: TcpStream, silenced: &AtomicUsize) {
    let mut from_client = MessageStream::new(client.try_clone().unwrap(), EncodeOptions::default());
    let mut to_daemon = MessageStream::new(upstream, EncodeOptions::default());
    let connect = from_client.receive("the CONNECT").unwrap();
    assert_eq!(connect.msg_type, MessageType::Connect);
    to_daemon.send(&connect).unwrap();
    let ok = to_daemon.receive("the CONNECTOK").unwrap();
    assert_eq!(ok.msg_type, MessageType::ConnectOk);
    silenced.fetch_add(1, Ordering::SeqCst);
    from_client.send(&ok).unwrap();
    drop(from_client);
    let _ = io::copy(&mut client, &mut io::sink());
}

/// Copies bytes both ways until either side closes.
fn pass_through(client: TcpStream, upstream: TcpStream) {
    fn pipe(mut from: TcpStream, mut to: TcpStream) {
        let _ = io::copy(&mut from, &mut to);
        let _ = to.flush();
        let _ = to.shutdown(Shutdown::Write);
    }
    let (client_in, upstream_out) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let back = std::thread::spawn(move || pipe(upstream, client));
    pipe(client_in, upstream_out);
    let _ = back.join();
}

/// Asserts that `result` timed out about `BUDGET` after `started`: by the deadline (its error,
/// for `what`) or by the timeout.
fn assert_timed_out<T: std::fmt::Debug>(result: Result<T, Error>, started: Instant, by_deadline: bool, what: &str) {
    let took = started.elapsed();
    let error = result.unwrap_err();
    assert!(error.is_timeout(), "{what}: {error:?}");
    assert_eq!(error.to_string().contains("the deadline passed"), by_deadline, "{what}: {error}");
    if by_deadline {
        assert!(matches!(&error, Error::Timeout { after, .. } if *after == BUDGET), "{what}: {error:?}");
    }
    assert!(took >= BUDGET - Duration::from_millis(10) && took < Duration::from_secs(3), "{what}: {took:?}");
}

#[test]
fn blocking_ping_and_call_end_at_the_timeout_then_the_proxy_reconnects() {
    let setup = Setup::start();
    let proxy = Proxy::new(setup.relay.uri()).with_timeout(Some(BUDGET));
    proxy.bind().unwrap();
    assert!(proxy.metadata().unwrap().methods.contains("ping"), "the daemon's own CONNECTOK came through");
    let started = Instant::now();
    assert_timed_out(proxy.ping(), started, false, "PING");
    assert_eq!(proxy.open_connections(), 0, "the dead connection was dropped");
    let started = Instant::now();
    assert_timed_out(proxy.call::<_, ()>("ping", &()), started, false, "call");
    assert_eq!(proxy.open_connections(), 0);
    assert_eq!(setup.relay.silenced.load(Ordering::SeqCst), 2, "the call opened a new connection");

    setup.relay.heal();
    proxy.reconnect(1).unwrap();
    proxy.ping().unwrap();
    proxy.call::<_, ()>("ping", &()).unwrap();
    drop(proxy);
    setup.finish();
}

#[test]
fn blocking_ping_and_call_end_at_the_deadline_then_the_next_call_reconnects() {
    let setup = Setup::start();
    // No timeout: only the deadline bounds the wait.
    let mut proxy = Proxy::new(setup.relay.uri()).with_timeout(None).with_max_retries(2);
    proxy.bind().unwrap();
    let started = Instant::now();
    assert_timed_out(deadline::within(BUDGET, || proxy.ping()), started, true, "PING");
    let started = Instant::now();
    assert_timed_out(deadline::within(BUDGET, || proxy.call::<_, ()>("ping", &())), started, true, "call");
    proxy.set_deadline_per_call(Some(BUDGET));
    let started = Instant::now();
    assert_timed_out(proxy.call::<_, ()>("ping", &()), started, true, "call with a per-call deadline");
    assert_eq!(proxy.open_connections(), 0, "the dead connections were dropped");

    setup.relay.heal();
    // No explicit reconnect: the next call opens a new connection, as Pyro5 reconnects.
    proxy.call::<_, ()>("ping", &()).unwrap();
    proxy.ping().unwrap();
    drop(proxy);
    setup.finish();
}

#[cfg(feature = "tokio")]
mod aio {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_ping_and_call_end_at_the_timeout_then_the_proxy_reconnects() {
        let setup = Setup::start();
        let proxy = pyro::aio::Proxy::new(setup.relay.uri()).with_timeout(Some(BUDGET));
        proxy.bind().await.unwrap();
        assert!(proxy.metadata().unwrap().methods.contains("ping"));
        let started = Instant::now();
        assert_timed_out(proxy.ping().await, started, false, "PING");
        assert_eq!(proxy.open_connections(), 0, "the dead connection was dropped");
        let started = Instant::now();
        assert_timed_out(proxy.call::<_, ()>("ping", &()).await, started, false, "call");
        assert_eq!(proxy.open_connections(), 0);

        setup.relay.heal();
        proxy.reconnect(1).await.unwrap();
        proxy.ping().await.unwrap();
        proxy.call::<_, ()>("ping", &()).await.unwrap();
        drop(proxy);
        tokio::task::spawn_blocking(move || setup.finish()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_ping_and_call_end_at_the_deadline_then_the_next_call_reconnects() {
        let setup = Setup::start();
        let mut proxy = pyro::aio::Proxy::new(setup.relay.uri()).with_timeout(None).with_max_retries(2);
        proxy.bind().await.unwrap();
        let started = Instant::now();
        assert_timed_out(deadline::within_async(BUDGET, proxy.ping()).await, started, true, "PING");
        let started = Instant::now();
        let call = deadline::within_async(BUDGET, proxy.call::<_, ()>("ping", &())).await;
        assert_timed_out(call, started, true, "call");
        proxy.set_deadline_per_call(Some(BUDGET));
        let started = Instant::now();
        assert_timed_out(proxy.call::<_, ()>("ping", &()).await, started, true, "call with a per-call deadline");
        assert_eq!(proxy.open_connections(), 0, "the dead connections were dropped");

        setup.relay.heal();
        proxy.call::<_, ()>("ping", &()).await.unwrap();
        proxy.ping().await.unwrap();
        drop(proxy);
        tokio::task::spawn_blocking(move || setup.finish()).await.unwrap();
    }
}
