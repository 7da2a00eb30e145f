//! Async proxies over connected sockets (`aio::Proxy::connected`): over one end of
//! `tokio::net::UnixStream::pair()` whose other end a blocking `Daemon::connected` serves, over
//! a TCP connection, and against Python Pyro5 5.17's `Daemon(connected_socket=s)` in a child
//! process; and the async proxy made from a blocking proxy over a connected socket, which fails
//! at once saying why.
#![cfg(all(unix, feature = "tokio"))]
#![allow(clippy::unwrap_used)]

use std::future::poll_fn;
use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_core::Stream;
use pyro_runtime::aio;
use pyro_runtime::daemon::Daemon;
use pyro_runtime::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply};
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Config, Error, Serializer};
use serde_json::{Value as Json, json};

/// The object both sides serve: `echo`, a oneway `notify`, `notified()` and a generator `count`.
struct Echo {
    notified: Arc<Mutex<Vec<Value>>>,
}

impl Dispatch<Echo> for Echo {
    fn metadata() -> Metadata {
        Metadata::new(["echo", "notify", "notified", "count"], ["notify"], [])
    }
    fn receiver(m: &str) -> Option<Receiver> {
        ["echo", "notify", "notified", "count"].contains(&m).then_some(Receiver::Shared)
    }
    fn invoke_shared(&self, ctx: &mut CallContext, m: &str, mut args: CallArgs) -> Result<Reply, Error> {
        match m {
            "echo" => {
                let value: Value = args.required(0, "message")?;
                args.finish()?;
                ctx.encode(&value)
            }
            "notify" => {
                let value: Value = args.required(0, "event")?;
                args.finish()?;
                self.notified.lock().unwrap().push(value);
                ctx.encode(&())
            }
            "notified" => {
                args.finish()?;
                ctx.encode(&*self.notified.lock().unwrap())
            }
            "count" => {
                let n: i64 = args.required(0, "n")?;
                args.finish()?;
                Ok(Reply::stream(0..n))
            }
            _ => Err(CallArgs::unknown_method(m)),
        }
    }
    fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
        Err(CallArgs::unknown_method(m))
    }
}

/// Runs `script` with `end` of the socketpair as its standard input; our copy of `end` is
/// closed once the child has it.
fn python_with_socket(script: &str, end: UnixStream, serializer: &str) -> Child {
    let mut command = pyro_interop::python().command();
    command.args(["-c", script]).env("PYRO_SERIALIZER", serializer);
    command.stdin(Stdio::from(OwnedFd::from(end))).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    drop(command);
    child
}

/// The JSON lines the child printed, and its exit status, once it ended (within a minute).
fn finish(mut child: Child) -> Vec<Json> {
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<Json> = BufReader::new(stdout).lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "python failed: {stderr}\n{lines:?}");
    lines
}

const PYTHON_DAEMON: &str = r#"
import json, socket
import Pyro5.api
s = socket.socket(fileno=0)

class Echo(object):
    def __init__(self):
        self.events = []
    @Pyro5.api.expose
    def echo(self, message):
        return message
    @Pyro5.api.expose
    @Pyro5.api.oneway
    def notify(self, event):
        self.events.append(event)
    @Pyro5.api.expose
    def notified(self):
        return self.events
    @Pyro5.api.expose
    def count(self, n):
        yield from range(n)

daemon = Pyro5.api.Daemon(connected_socket=s)
daemon.register(Echo(), "echo")
print(json.dumps(["location", daemon.locationStr]), flush=True)
daemon.requestLoop()
print(json.dumps(["done"]), flush=True)
"#;

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
        daemon.register(Echo { notified: Arc::default() }, Some("echo")).unwrap();
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
    daemon.register(Echo { notified: Arc::default() }, Some("echo")).unwrap();
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
