//! Async proxies over connected sockets (`aio::Proxy::connected`): over one end of
//! `tokio::net::UnixStream::pair()` whose other end a blocking `Daemon::connected` serves, over
//! a TCP connection, and against Python Pyro5 5.17's `Daemon(connected_socket=s)` in a child
//! process; and the async proxy made from a blocking proxy over a connected socket, which fails
//! at once saying why.
#![cfg(all(unix, feature = "tokio"))]
#![allow(clippy::unwrap_used)]

mod connected_support;

use std::future::poll_fn;
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::time::{Duration, Instant};

use connected_support::{Echo, PYTHON_DAEMON, finish, python_with_socket};
use futures_core::Stream;
use pyro_runtime::aio;
use pyro_runtime::daemon::Daemon;
use pyro_runtime::dispatch::Metadata;
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Config, Error, Serializer};
use serde_json::json;

/// The next item of a stream.
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

/// Everything an async proxy over a connected socket does, against a daemon with `echo`.
async fn exercise(proxy: &aio::Proxy) {
    assert_eq!(proxy.uri().to_string(), "PYRO:echo@<<connected-socket>>:0");
    assert!(proxy.is_over_connected_socket());
    assert_eq!(proxy.max_connections(), 1);
    let metadata = proxy.metadata().unwrap();
    assert_eq!(metadata, Metadata::new(["count", "echo", "notified", "notify"], ["notify"], []));
    assert_eq!(proxy.call::<_, String>("echo", &("hello!",)).await.unwrap(), "hello!");
    // Unknown methods fail locally, from the fetched metadata.
    assert!(proxy.call::<_, Value>("nope", &()).await.is_err());
    let () = proxy.call("notify", &("event",)).await.unwrap();
    let mut items = pin!(proxy.call_stream::<_, i64>("count", &(4,)).await.unwrap());
    let mut counted = Vec::new();
    while let Some(item) = next(&mut items).await {
        counted.push(item.unwrap());
    }
    assert_eq!(counted, [0, 1, 2, 3]);
    let mut batch = proxy.batch();
    let one = batch.call_with::<_, i64>("echo", &(1,));
    let two = batch.call("echo", vec![Value::from("two")], Dict::new());
    batch.run().await.unwrap();
    assert_eq!((one.get().unwrap(), two.get().unwrap()), (1, Value::from("two")));
    proxy.ping().await.unwrap();
    let mut notified = Vec::new();
    for _ in 0..100 {
        notified = proxy.call::<_, Vec<String>>("notified", &()).await.unwrap();
        if !notified.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(notified, ["event"]);
}

/// A released proxy cannot connect again, and says so at once.
async fn released(proxy: &aio::Proxy) {
    proxy.release();
    let err = proxy.call::<_, String>("echo", &("hi",)).await.unwrap_err();
    assert!(matches!(&err, Error::Communication { message, .. } if message.contains("connected socket")), "{err}");
    let started = Instant::now();
    assert!(matches!(proxy.reconnect(3).await, Err(Error::ConnectionClosed { .. })));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!proxy.clone().is_over_connected_socket(), "a copy is not connected");
}

#[tokio::test]
async fn over_a_tokio_socketpair_served_by_a_rust_daemon() {
    for serializer in [Serializer::Serpent, Serializer::Json, Serializer::Msgpack] {
        let (server_end, client_end) = tokio::net::UnixStream::pair().unwrap();
        let server_end = server_end.into_std().unwrap();
        server_end.set_nonblocking(false).unwrap();
        let daemon = Daemon::builder().config(Config::default()).connected(&server_end).unwrap();
        daemon.register(Echo::new(), Some("echo")).unwrap();
        let server = std::thread::spawn(move || daemon.request_loop());
        let config = Config { serializer: Some(serializer), ..Config::default() };
        let proxy = aio::Proxy::connected_with_config(&client_end, "echo", &config).await.unwrap();
        assert_eq!(proxy.serializer(), serializer);
        exercise(&proxy).await;
        released(&proxy).await;
        drop(proxy);
        // The stream stayed open: the next proxy over it.
        let again = aio::Proxy::connected_with_config(&client_end, "Pyro.Daemon", &config).await.unwrap();
        assert_eq!(again.call::<_, Vec<String>>("registered", &()).await.unwrap(), ["Pyro.Daemon", "echo"]);
        drop(again);
        // Closing our end ends the daemon's request loop.
        drop(client_end);
        tokio::task::spawn_blocking(move || server.join().unwrap().unwrap()).await.unwrap();
    }
}

#[tokio::test]
async fn over_a_tcp_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let client_end = tokio::net::TcpStream::connect(address).await.unwrap();
    let (server_end, _) = listener.accept().unwrap();
    let daemon = Daemon::connected(&server_end).unwrap();
    daemon.register(Echo::new(), Some("echo")).unwrap();
    let server = std::thread::spawn(move || daemon.request_loop());
    let proxy = aio::Proxy::connected_with_config(&client_end, "echo", &Config::default()).await.unwrap();
    exercise(&proxy).await;
    drop((proxy, client_end));
    tokio::task::spawn_blocking(move || server.join().unwrap().unwrap()).await.unwrap();
}

#[tokio::test]
async fn against_a_python_daemon_on_a_connected_socket() {
    for serializer in [Serializer::Serpent, Serializer::Json, Serializer::Msgpack] {
        let (server_end, client_end) = UnixStream::pair().unwrap();
        let child = python_with_socket(PYTHON_DAEMON, server_end, serializer.name());
        client_end.set_nonblocking(true).unwrap();
        let client_end = tokio::net::UnixStream::from_std(client_end).unwrap();
        let config = Config { serializer: Some(serializer), ..Config::default() };
        let proxy = aio::Proxy::connected_with_config(&client_end, "echo", &config).await.unwrap();
        exercise(&proxy).await;
        drop(proxy);
        let daemon = aio::Proxy::connected_with_config(&client_end, "Pyro.Daemon", &config).await.unwrap();
        assert_eq!(daemon.call::<_, Vec<String>>("registered", &()).await.unwrap(), ["Pyro.Daemon", "echo"]);
        drop((daemon, client_end));
        let lines = tokio::task::spawn_blocking(move || finish(child)).await.unwrap();
        assert_eq!(lines, [json!(["location", "./u:<<not-bound>>"]), json!(["done"])], "{serializer:?}");
    }
}

#[tokio::test]
async fn a_blocking_proxy_over_a_connected_socket_cannot_be_made_async() {
    let (server_end, client_end) = UnixStream::pair().unwrap();
    let daemon = Daemon::connected(&server_end).unwrap();
    let server = std::thread::spawn(move || daemon.request_loop());
    let blocking =
        pyro_runtime::proxy::Proxy::connected_with_config(&client_end, "Pyro.Daemon", &Config::default()).unwrap();
    let proxy = aio::Proxy::from_blocking(blocking);
    assert!(proxy.is_over_connected_socket());
    let started = Instant::now();
    let err = proxy.call::<_, ()>("ping", &()).await.unwrap_err();
    let Error::Communication { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("made from a blocking proxy over a connected socket"), "{message}");
    assert!(message.contains("aio::Proxy::connected"), "{message}");
    assert!(matches!(proxy.reconnect(3).await, Err(Error::ConnectionClosed { .. })));
    assert!(started.elapsed() < Duration::from_secs(1), "at once");
    drop(proxy);
    // The socket is still the blocking proxies' to use.
    let again = pyro_runtime::proxy::Proxy::connected(&client_end, "Pyro.Daemon").unwrap();
    let () = again.call("ping", &()).unwrap();
    drop((again, client_end));
    server.join().unwrap().unwrap();
}

#[tokio::test]
async fn tls_is_refused() {
    let (_server_end, client_end) = tokio::net::UnixStream::pair().unwrap();
    let config = Config { ssl: true, ..Config::default() };
    let err = aio::Proxy::connected_with_config(&client_end, "echo", &config).await.unwrap_err();
    assert!(matches!(&err, Error::Tls { message } if message.contains("connected socket")), "{err}");
}
