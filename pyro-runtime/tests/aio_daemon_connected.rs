//! The async daemon on a connected socket (`aio::Daemon::connected`): over one end of
//! `tokio::net::UnixStream::pair()`, called over the other end by a blocking
//! `Proxy::connected`, by an `aio::Proxy::connected` and by Python Pyro5 5.17's
//! `Proxy(name, connected_socket=s)` in a child process; over a TCP connection; its shutdown,
//! which leaves the user's socket open; and a blocking connected daemon served by `serve`.
#![cfg(all(unix, feature = "tokio"))]
#![allow(clippy::unwrap_used)]

mod connected_support;

use std::time::{Duration, Instant};

use connected_support::{Echo, PYTHON_CLIENT, check_python_client, finish, python_with_socket};
use pyro_runtime::daemon::{Daemon, ShutdownHandle};
use pyro_runtime::proxy::Proxy;
use pyro_runtime::{Config, Error, aio};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

/// An async daemon serving [`Echo`] as `echo` over `end`, on a task of its own; its shutdown.
fn serve(end: &impl aio::AsyncConnectedStream, config: Config) -> (JoinHandle<Result<(), Error>>, ShutdownHandle) {
    let daemon = aio::Daemon::connected_with(Daemon::builder().config(config), end).unwrap();
    daemon.register(Echo::new(), Some("echo")).unwrap();
    let shutdown = daemon.shutdown_handle();
    (tokio::spawn(async move { daemon.serve().await }), shutdown)
}

/// Whether bytes still flow between the two ends the user holds.
async fn still_connected(a: &mut tokio::net::UnixStream, b: &mut tokio::net::UnixStream) {
    a.write_all(b"still open").await.unwrap();
    let mut got = [0u8; 10];
    b.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_connected_proxy_calls_the_async_daemon() {
    let (server_end, client_end) = tokio::net::UnixStream::pair().unwrap();
    let (server, _) = serve(&server_end, Config::default());
    // The blocking proxy over a std handle of the client's end, on a thread of its own.
    let client_std = client_end.into_std().unwrap();
    client_std.set_nonblocking(false).unwrap();
    let client_std = tokio::task::spawn_blocking(move || {
        let proxy = Proxy::connected_with_config(&client_std, "echo", &Config::default()).unwrap();
        assert_eq!(proxy.uri().to_string(), "PYRO:echo@<<connected-socket>>:0");
        assert_eq!(proxy.call::<_, String>("echo", &("hello!",)).unwrap(), "hello!");
        let big = "x".repeat(3 << 20);
        assert_eq!(proxy.call::<_, String>("echo", &(&big,)).unwrap(), big);
        let mut batch = proxy.batch();
        let one = batch.call_with::<_, i64>("echo", &(1,));
        let two = batch.call_with::<_, String>("echo", &("two",));
        batch.run().unwrap();
        assert_eq!((one.get().unwrap(), two.get().unwrap()), (1, "two".to_owned()));
        let info: String = Proxy::connected(&client_std, "Pyro.Daemon").unwrap().call("info", &()).unwrap();
        assert!(info.contains("async existing connection server on ./u:<<not-bound>>"), "{info}");
        client_std
    })
    .await
    .unwrap();
    assert!(!server.is_finished(), "serving while the client's end is open");
    // The client closes its end: `serve` returns, and the daemon is done.
    drop(client_std);
    tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
    // The daemon dropped only its own handle: the user's end is still open.
    assert!(server_end.peer_addr().is_ok());
}

#[tokio::test]
async fn an_async_connected_proxy_calls_the_async_daemon_and_shutdown_leaves_the_socket_open() {
    let (mut server_end, mut client_end) = tokio::net::UnixStream::pair().unwrap();
    let (server, shutdown) = serve(&server_end, Config::default());
    {
        let proxy = aio::Proxy::connected_with_config(&client_end, "echo", &Config::default()).await.unwrap();
        assert_eq!(proxy.call::<_, String>("echo", &("hello!",)).await.unwrap(), "hello!");
        let () = proxy.call("notify", &("event",)).await.unwrap();
        proxy.ping().await.unwrap();
    }
    // A second proxy over the same stream, after the first let go of it.
    let again = aio::Proxy::connected_with_config(&client_end, "Pyro.Daemon", &Config::default()).await.unwrap();
    let registered: Vec<String> = again.call("registered", &()).await.unwrap();
    assert_eq!(registered, ["Pyro.Daemon", "echo"]);
    drop(again);
    // Idle, the daemon is shut down: it notices without touching the socket.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    shutdown.shutdown();
    tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    still_connected(&mut client_end, &mut server_end).await;
    still_connected(&mut server_end, &mut client_end).await;
}

#[tokio::test]
async fn commtimeout_bounds_a_request_but_not_an_idle_wait() {
    let (server_end, mut client_end) = tokio::net::UnixStream::pair().unwrap();
    let config = Config { comm_timeout: Some(Duration::from_millis(300)), ..Config::default() };
    let (server, _) = serve(&server_end, config);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!server.is_finished(), "an idle client is not disconnected");
    // Half a message, then nothing: the daemon gives up on it.
    let wire = pyro_runtime::protocol::Message::ping().to_bytes(&Default::default()).unwrap();
    client_end.write_all(&wire[..10]).await.unwrap();
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn over_tcp_and_served_once() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client_end = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server_end, _) = listener.accept().await.unwrap();
    let daemon = aio::Daemon::connected(&server_end).unwrap();
    let port = server_end.local_addr().unwrap().port();
    assert_eq!(daemon.location().to_string(), format!("127.0.0.1:{port}"));
    daemon.register(Echo::new(), Some("echo")).unwrap();
    // The blocking loop cannot serve a tokio stream's socket: refused, nothing taken.
    let err = daemon.request_loop().unwrap_err();
    assert!(matches!(&err, pyro_runtime::Error::Daemon { .. }), "{err:?}");
    assert!(err.to_string().contains("aio::Daemon::serve"), "{err}");
    let daemon = std::sync::Arc::new(daemon);
    let serving = std::sync::Arc::clone(&daemon);
    let server = tokio::spawn(async move { serving.serve().await });
    let proxy = aio::Proxy::connected_with_config(&client_end, "echo", &Config::default()).await.unwrap();
    assert_eq!(proxy.call::<_, String>("echo", &("over tcp",)).await.unwrap(), "over tcp");
    drop((proxy, client_end));
    tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
    // Served once: a second `serve` returns at once.
    daemon.serve().await.unwrap();
}

#[tokio::test]
async fn a_blocking_connected_daemon_is_served_by_its_blocking_loop() {
    let (server_end, client_end) = std::os::unix::net::UnixStream::pair().unwrap();
    let daemon = aio::Daemon::new(Daemon::builder().config(Config::default()).connected(&server_end).unwrap());
    let server = tokio::spawn(async move { daemon.serve().await });
    client_end.set_nonblocking(true).unwrap();
    let client_end = tokio::net::UnixStream::from_std(client_end).unwrap();
    let proxy = aio::Proxy::connected(&client_end, "Pyro.Daemon").await.unwrap();
    let info: String = proxy.call("info", &()).await.unwrap();
    assert!(info.contains("<pyro existing connection server on"), "{info}");
    drop((proxy, client_end));
    tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn builder_settings_that_cannot_apply_are_refused() {
    let (end, _other) = tokio::net::UnixStream::pair().unwrap();
    let error = aio::Daemon::connected_with(Daemon::builder().config(Config::default()).port(9999), &end).unwrap_err();
    assert!(matches!(error, Error::Daemon { .. }), "{error}");
    let ssl = Config { ssl: true, ..Config::default() };
    let error = aio::Daemon::connected_with(Daemon::builder().config(ssl), &end).unwrap_err();
    assert!(matches!(error, Error::Tls { .. }), "{error}");
}

#[tokio::test]
async fn a_python_client_calls_the_async_daemon() {
    for serializer in ["serpent", "json", "msgpack"] {
        let (server_end, client_end) = tokio::net::UnixStream::pair().unwrap();
        let (server, _) = serve(&server_end, Config::default());
        let client_end = client_end.into_std().unwrap();
        client_end.set_nonblocking(false).unwrap();
        let child = python_with_socket(PYTHON_CLIENT, client_end, serializer);
        let lines = tokio::task::spawn_blocking(move || finish(child)).await.unwrap();
        let info = check_python_client(&lines, serializer);
        assert!(info.contains("async existing connection server"), "{info}");
        // The child exited, closing the other end: `serve` returns.
        tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
        assert!(server_end.peer_addr().is_ok());
    }
}
