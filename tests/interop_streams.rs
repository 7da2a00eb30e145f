//! Item streaming with real Python Pyro5 5.17, both ways, over every serializer: a Python
//! client iterating Rust iterators (normal end, exception mid-stream, early close, garbage
//! collection, client disconnect with and without linger, re-attaching a lingering stream from
//! another connection, lifetime, `ITER_STREAMING` off, the echo server's `generator`), and Rust
//! proxies (typed and dynamic) iterating Python generators and a generator property (the same
//! cases, the Python daemon's settings changed at run time); the daemon's housekeeper, stream
//! limit and shutdown; and read-ahead (pipelined `get_next_stream_item`) against both daemons:
//! normal end, exception mid-stream, early drop, read-ahead larger than the stream.

use pyro_interop::wait_for;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pyro::protocol::ProtocolError;
use pyro::proxy::Proxy;
use pyro::utils::echoserver::{EchoServer, OBJECT_ID as ECHO_ID};
use pyro::{Config, Daemon, Error, RemoteError, Serializer, Value};
use serde_json::{Value as Json, json};

/// The interface, served by Rust and by Python.
#[pyro::expose]
pub trait Generators {
    /// 0, 1, ... `n - 1`.
    fn count(&self, n: u32) -> Box<dyn Iterator<Item = u32> + Send>;
    /// 0 ... `after - 1`, then a `ValueError`.
    fn failing(&self, after: u32) -> Box<dyn Iterator<Item = Result<u32, RemoteError>> + Send>;
    /// 0, 1, 2, ... for ever.
    fn endless(&self) -> Box<dyn Iterator<Item = u64> + Send>;
    /// How many of the iterators above are alive on the server.
    fn open_iterators(&self) -> u32;
    /// Not a stream.
    fn plain(&self) -> u32;
}

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

/// The Rust implementation: every iterator counts itself alive until dropped.
#[derive(Default)]
struct RustGenerators {
    open: Arc<AtomicU32>,
}

struct Tracked<I> {
    inner: I,
    open: Arc<AtomicU32>,
}

impl<I: Iterator> Iterator for Tracked<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        self.inner.next()
    }
}

impl<I> Drop for Tracked<I> {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl RustGenerators {
    fn track<I: Iterator + Send + 'static>(&self, inner: I) -> Box<dyn Iterator<Item = I::Item> + Send> {
        self.open.fetch_add(1, Ordering::SeqCst);
        Box::new(Tracked { inner, open: Arc::clone(&self.open) })
    }
}

impl Generators for RustGenerators {
    fn count(&self, n: u32) -> Box<dyn Iterator<Item = u32> + Send> {
        self.track(0..n)
    }
    fn failing(&self, after: u32) -> Box<dyn Iterator<Item = Result<u32, RemoteError>> + Send> {
        let error = RemoteError::new("builtins.ValueError", vec![Value::from(format!("failed after {after}"))]);
        self.track((0..after).map(Ok).chain(std::iter::once(Err(error))))
    }
    fn endless(&self) -> Box<dyn Iterator<Item = u64> + Send> {
        self.track(0..)
    }
    fn open_iterators(&self) -> u32 {
        self.open.load(Ordering::SeqCst)
    }
    fn plain(&self) -> u32 {
        7
    }
}

/// A Rust daemon serving the generators (and, on the main one, the echo server) on a thread.
struct RustServer {
    uri: String,
    stop: pyro::ShutdownHandle,
    thread: Option<std::thread::JoinHandle<pyro::Result<()>>>,
}

impl RustServer {
    fn start(config: Config) -> RustServer {
        let daemon = Daemon::builder().config(config).host("127.0.0.1").bind().expect("bind");
        let uri = daemon.register_as::<dyn Generators, _>(RustGenerators::default(), Some("gen")).expect("register");
        daemon.register(EchoServer::new(false, None), Some(ECHO_ID)).expect("register echo");
        let stop = daemon.shutdown_handle();
        let thread = std::thread::spawn(move || daemon.request_loop());
        RustServer { uri: uri.to_string(), stop, thread: Some(thread) }
    }
}

impl Drop for RustServer {
    fn drop(&mut self) {
        self.stop.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

const PYTHON_CLIENT: &str = r#"
import json, sys, time
import Pyro5.api, Pyro5.errors
from Pyro5 import core
Pyro5.config.SERIALIZER = sys.argv[1]
main, nolinger, lifetime, off, echo = sys.argv[2:7]

def out(name, value):
    print(json.dumps({"case": name, "value": value}), flush=True)

def err(e):
    return [type(e).__module__ + "." + type(e).__name__, str(e)]

def wait_open(p, n):
    for _ in range(250):
        if p.open_iterators() == n:
            return True
        time.sleep(0.02)
    return False

def next_on(p, stream):
    try:
        return p._pyroInvoke("get_next_stream_item", [stream], {}, objectId=core.DAEMON_NAME)
    except Pyro5.errors.PyroError as e:
        return err(e)

with Pyro5.api.Proxy(main) as p:
    it = p.count(3)
    out("type", type(it).__name__)
    out("count", list(it))
    out("open_after_end", p.open_iterators())
    got = []
    try:
        for x in p.failing(2):
            got.append(x)
    except ValueError as e:
        got.append(err(e))
    out("failing", got)
    out("open_after_exception", p.open_iterators())
    it = p.endless()
    out("endless", [next(it), next(it)])
    out("open_while_iterating", p.open_iterators())
    it.close()
    out("closed", wait_open(p, 0))
    it = p.endless()
    next(it)
    del it
    out("collected", wait_open(p, 0))
    it = p.endless()
    next(it)
    stream = it.streamId
    p._pyroRelease()
with Pyro5.api.Proxy(main) as p2:
    out("lingering", p2.open_iterators())
    out("reattached", next_on(p2, stream))
    out("reattached_again", next_on(p2, stream))
    p2._pyroRelease()
time.sleep(2.6)
with Pyro5.api.Proxy(main) as p3:
    out("expired", next_on(p3, stream))
    out("expired_open", wait_open(p3, 0))

with Pyro5.api.Proxy(nolinger) as p:
    it = p.endless()
    next(it)
    stream = it.streamId
    p._pyroRelease()
    out("dropped_at_disconnect", wait_open(p, 0))
    out("nolinger_next", next_on(p, stream))

with Pyro5.api.Proxy(lifetime) as p:
    it = p.endless()
    out("young", next(it))
    time.sleep(1.3)
    try:
        out("too_old", next(it))
    except Pyro5.errors.PyroError as e:
        out("too_old", err(e))
    out("too_old_open", wait_open(p, 0))

with Pyro5.api.Proxy(off) as p:
    try:
        out("off", p.count(3))
    except Pyro5.errors.ProtocolError as e:
        out("off", err(e))
    out("off_open", p.open_iterators())

with Pyro5.api.Proxy(echo) as e:
    out("echo_generator", list(e.generator()))
out("done", True)
"#;

fn config(linger: f64, lifetime: f64, streaming: bool) -> Config {
    Config {
        iter_stream_linger: Duration::from_secs_f64(linger),
        iter_stream_lifetime: (lifetime > 0.0).then(|| Duration::from_secs_f64(lifetime)),
        iter_streaming: streaming,
        ..Config::default()
    }
}

#[test]
fn a_python_client_iterates_rust_iterators() {
    let main = RustServer::start(config(2.0, 0.0, true));
    let nolinger = RustServer::start(config(0.0, 0.0, true));
    let lifetime = RustServer::start(config(30.0, 1.0, true));
    let off = RustServer::start(config(30.0, 0.0, false));
    let echo = main.uri.replace("PYRO:gen@", &format!("PYRO:{ECHO_ID}@"));
    for serializer in ["serpent", "marshal", "json", "msgpack"] {
        let output = pyro_interop::python()
            .command()
            .args(["-c", PYTHON_CLIENT, serializer, &main.uri, &nolinger.uri, &lifetime.uri, &off.uri, &echo])
            .output()
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{serializer}: python failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let cases: std::collections::HashMap<String, Json> = stdout
            .lines()
            .map(|line| {
                let v: Json = serde_json::from_str(line).expect("json line");
                (v["case"].as_str().expect("case").to_owned(), v["value"].clone())
            })
            .collect();
        let case =
            |name: &str| cases.get(name).unwrap_or_else(|| panic!("{serializer}: no {name} in\n{stdout}")).clone();
        let terminated = json!(["Pyro5.errors.PyroError", "item stream terminated"]);
        assert_eq!(case("type"), json!("_StreamResultIterator"));
        assert_eq!(case("count"), json!([0, 1, 2]));
        assert_eq!(case("open_after_end"), json!(0), "deleted at its end");
        assert_eq!(case("failing"), json!([0, 1, ["builtins.ValueError", "failed after 2"]]));
        assert_eq!(case("open_after_exception"), json!(0), "deleted after its exception");
        assert_eq!(case("endless"), json!([0, 1]));
        assert_eq!(case("open_while_iterating"), json!(1));
        assert_eq!(case("closed"), json!(true), "close() closes the stream");
        assert_eq!(case("collected"), json!(true), "a collected iterator closes the stream");
        assert_eq!(case("lingering"), json!(1), "the stream outlives its client's connection");
        assert_eq!(case("reattached"), json!(1), "and goes on from another connection");
        assert_eq!(case("reattached_again"), json!(2));
        assert_eq!(case("expired"), terminated, "dropped once the linger time passed");
        assert_eq!(case("expired_open"), json!(true));
        assert_eq!(case("dropped_at_disconnect"), json!(true), "without linger: dropped at the disconnect");
        assert_eq!(case("nolinger_next"), terminated);
        assert_eq!(case("young"), json!(0));
        assert_eq!(case("too_old"), terminated, "dropped after its lifetime");
        assert_eq!(case("too_old_open"), json!(true));
        assert_eq!(
            case("off"),
            json!([
                "Pyro5.errors.ProtocolError",
                "result of call is an iterator, but the server is not configured to allow streaming"
            ])
        );
        assert_eq!(case("off_open"), json!(0));
        assert_eq!(case("echo_generator"), json!(["one", "two", "three"]));
        assert_eq!(case("done"), json!(true));
    }
}

const PYTHON_SERVER: &str = r#"
import sys, threading
import Pyro5.api
from Pyro5.api import Daemon, expose

@expose
class Generators:
    def __init__(self):
        self._open = 0
        self._lock = threading.Lock()

    def _tracked(self, items):
        with self._lock:
            self._open += 1
        try:
            yield from items
        finally:
            with self._lock:
                self._open -= 1

    def count(self, n):
        return self._tracked(range(n))

    def failing(self, after):
        def items():
            yield from range(after)
            raise ValueError("failed after %d" % after)
        return self._tracked(items())

    def endless(self):
        def items():
            n = 0
            while True:
                yield n
                n += 1
        return self._tracked(items())

    def open_iterators(self):
        return self._open

    def plain(self):
        return 7

    @property
    def letters(self):
        return self._tracked(iter("abc"))

    def configure(self, item, value):
        setattr(Pyro5.api.config, item, value)

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Generators(), "gen"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

fn start_python_server() -> (pyro_interop::PythonServer, String) {
    let server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let uri = server.uri().to_owned();
    (server, uri)
}

fn remote(result: Option<pyro::Result<u64>>) -> (String, String) {
    match result {
        Some(Err(Error::Remote(e))) => (e.class.clone(), e.message.clone()),
        other => panic!("expected a remote exception, got {other:?}"),
    }
}

fn configure(generators: &GeneratorsProxy, item: &str, value: Value) {
    let _: Value = generators.proxy().call("configure", &(item, value)).expect("configure");
}

#[test]
fn rust_proxies_iterate_python_generators() {
    let (_server, uri) = start_python_server();
    for serializer in SERIALIZERS {
        let proxy = Proxy::from_uri_str(&uri).expect("uri").with_serializer(serializer);
        let generators = GeneratorsProxy::from_proxy(proxy);
        let open = || generators.open_iterators().expect("open_iterators");

        // Typed and dynamic proxies, to the end.
        let all: Vec<u32> = generators.count(3).expect("count").collect::<Result<_, _>>().expect("items");
        assert_eq!(all, [0, 1, 2], "{serializer}");
        let dynamic: Vec<Value> = generators
            .proxy()
            .call_stream("count", &(2,))
            .expect("call_stream")
            .collect::<Result<_, _>>()
            .expect("items");
        assert_eq!(dynamic, [Value::Int(0), Value::Int(1)]);
        assert_eq!(open(), 0);

        // An exception mid-stream is the last item.
        let mut failing = generators.failing(1).expect("failing");
        assert_eq!(failing.next().transpose().expect("first"), Some(0));
        assert_eq!(
            remote(failing.next().map(|r| r.map(u64::from))),
            ("builtins.ValueError".into(), "failed after 1".into())
        );
        assert!(failing.next().is_none());
        assert_eq!(open(), 0);

        // Dropped early: closed on the daemon.
        let mut endless = generators.endless().expect("endless");
        assert_eq!(endless.next().transpose().expect("item"), Some(0));
        assert_eq!(open(), 1);
        drop(endless);
        assert!(wait_for(|| open() == 0), "{serializer}: the stream was closed");

        // A property whose value is a generator streams too.
        let letters: Vec<String> = generators
            .proxy()
            .get_attribute_stream("letters")
            .expect("attribute")
            .collect::<Result<_, _>>()
            .expect("items");
        assert_eq!(letters, ["a", "b", "c"]);
        assert_eq!(open(), 0);

        // A plain call of a generator is a clear error, and closes the stream it opened.
        let err = generators.proxy().call::<_, Value>("endless", &()).expect_err("a stream");
        assert!(err.to_string().contains("call_stream"), "{err}");
        assert!(wait_for(|| open() == 0));
        // Streaming a plain result is an error too.
        let err = generators.proxy().call_stream::<_, Value>("plain", &()).expect_err("not a stream");
        assert!(err.to_string().contains("not an item stream"), "{err}");

        // Client disconnect, lingering (Pyro5's default 30 s): the same iterator goes on over a
        // new connection.
        let mut endless = generators.endless().expect("endless");
        assert_eq!(endless.next().transpose().expect("item"), Some(0));
        generators.proxy().release();
        assert_eq!(endless.next().transpose().expect("after reconnecting"), Some(1));
        drop(endless);
        assert!(wait_for(|| open() == 0));

        // Without linger, the disconnect drops the stream.
        configure(&generators, "ITER_STREAM_LINGER", Value::Float(0.0));
        let mut endless = generators.endless().expect("endless");
        assert_eq!(endless.next().transpose().expect("item"), Some(0));
        generators.proxy().release();
        assert!(wait_for(|| open() == 0), "{serializer}: dropped at the disconnect");
        assert_eq!(remote(endless.next()), ("Pyro5.errors.PyroError".into(), "item stream terminated".into()));
        assert!(endless.next().is_none());
        configure(&generators, "ITER_STREAM_LINGER", Value::Float(30.0));

        // Lifetime: the daemon's housekeeper (every 2 s) drops streams past it.
        configure(&generators, "ITER_STREAM_LIFETIME", Value::Float(0.5));
        let mut endless = generators.endless().expect("endless");
        assert_eq!(endless.next().transpose().expect("item"), Some(0));
        assert!(wait_for(|| open() == 0), "{serializer}: expired");
        assert_eq!(remote(endless.next()), ("Pyro5.errors.PyroError".into(), "item stream terminated".into()));
        configure(&generators, "ITER_STREAM_LIFETIME", Value::Float(0.0));

        // ITER_STREAMING off: the reply has no stream id.
        configure(&generators, "ITER_STREAMING", Value::Bool(false));
        match generators.count(3) {
            Err(error @ Error::Protocol(ProtocolError::StreamingDisabled)) => assert_eq!(
                error.to_string(),
                "result of call is an iterator, but the server is not configured to allow streaming"
            ),
            other => panic!("expected StreamingDisabled, got {other:?}"),
        }
        configure(&generators, "ITER_STREAMING", Value::Bool(true));
        assert_eq!(generators.plain().expect("plain"), 7);
    }
}

#[test]
fn rust_proxies_iterate_rust_iterators() {
    let server = RustServer::start(config(30.0, 0.0, true));
    for serializer in SERIALIZERS {
        let generators =
            GeneratorsProxy::from_proxy(Proxy::from_uri_str(&server.uri).expect("uri").with_serializer(serializer));
        let all: Vec<u32> = generators.count(4).expect("count").collect::<Result<_, _>>().expect("items");
        assert_eq!(all, [0, 1, 2, 3]);
        let mut failing = generators.failing(0).expect("failing");
        assert_eq!(
            remote(failing.next().map(|r| r.map(u64::from))),
            ("builtins.ValueError".into(), "failed after 0".into())
        );
        let mut endless = generators.endless().expect("endless");
        assert_eq!(endless.next().transpose().expect("item"), Some(0));
        drop(endless);
        assert_eq!(generators.open_iterators().expect("open"), 0, "closed before the next call on the connection");
    }
}

#[test]
fn the_daemon_expires_streams_by_itself_and_bounds_them() {
    let daemon =
        Daemon::builder().config(config(30.0, 0.5, true)).host("127.0.0.1").max_streams(1).bind().expect("bind");
    let uri = daemon.register_as::<dyn Generators, _>(RustGenerators::default(), Some("gen")).expect("register");
    let daemon = Arc::new(daemon);
    let server = std::thread::spawn({
        let daemon = Arc::clone(&daemon);
        move || daemon.request_loop()
    });
    let generators = GeneratorsProxy::new(&uri.to_string()).expect("proxy");
    let mut first = generators.endless().expect("endless");
    assert_eq!(first.next().transpose().expect("item"), Some(0));
    // The limit: a second stream is refused while the first is open.
    match generators.count(3) {
        Err(Error::Remote(e)) => {
            assert_eq!(e.class, "Pyro5.errors.PyroError");
            assert!(e.message.starts_with("too many open item streams (the daemon's limit is 1)"), "{}", e.message);
        }
        other => panic!("expected the limit's error, got {other:?}"),
    }
    assert_eq!(daemon.open_streams(), 1);
    // The housekeeper drops it after its lifetime, with no call touching it.
    assert!(wait_for(|| daemon.open_streams() == 0), "expired by the housekeeper");
    assert_eq!(generators.open_iterators().expect("open"), 0, "and its iterator was dropped");
    assert_eq!(remote(first.next()), ("Pyro5.errors.PyroError".into(), "item stream terminated".into()));
    let all: Vec<u32> = generators.count(2).expect("room again").collect::<Result<_, _>>().expect("items");
    assert_eq!(all, [0, 1]);
    // Shutting down clears the streams.
    let _open = generators.endless().expect("endless");
    assert_eq!(daemon.open_streams(), 1);
    daemon.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
    assert_eq!(daemon.open_streams(), 0);
}

/// Read-ahead against any daemon serving [`Generators`]: every way a stream ends leaves the
/// held connection in step (the next call on it works) and the stream closed on the daemon.
fn read_ahead_cases(uri: &str, daemon: &str) {
    for serializer in SERIALIZERS {
        let label = format!("{daemon}, {serializer}");
        let proxy = Proxy::from_uri_str(uri).expect("uri").with_serializer(serializer).with_stream_read_ahead(4);
        let generators = GeneratorsProxy::from_proxy(proxy);
        generators.proxy().bind().expect("bind");
        let open = || generators.open_iterators().expect("open_iterators");

        // To the end, longer and shorter than the read-ahead; the held connection comes back.
        let all: Vec<u32> = generators.count(10).expect("count").collect::<Result<_, _>>().expect("items");
        assert_eq!(all, (0..10).collect::<Vec<_>>(), "{label}");
        let short: Vec<u32> = generators.count(2).expect("count").collect::<Result<_, _>>().expect("items");
        assert_eq!(short, [0, 1], "{label}: read-ahead larger than the stream");
        let empty: Vec<u32> = generators.count(0).expect("count").collect::<Result<_, _>>().expect("items");
        assert!(empty.is_empty(), "{label}");
        assert_eq!(generators.proxy().open_connections(), 1, "{label}: one connection, given back each time");
        assert_eq!(open(), 0, "{label}");

        // The most read-ahead, on the dynamic proxy, per stream.
        let dynamic: Vec<Value> = generators
            .proxy()
            .call_stream("count", &(3,))
            .expect("call_stream")
            .read_ahead(pyro::proxy::MAX_STREAM_READ_AHEAD)
            .collect::<Result<_, _>>()
            .expect("items");
        assert_eq!(dynamic, [Value::Int(0), Value::Int(1), Value::Int(2)], "{label}");

        // An exception mid-stream is the last item; the replies in flight after it are drained.
        let mut failing = generators.failing(2).expect("failing");
        assert_eq!(failing.next().transpose().expect("first"), Some(0));
        assert_eq!(failing.next().transpose().expect("second"), Some(1));
        assert_eq!(
            remote(failing.next().map(|r| r.map(u64::from))),
            ("builtins.ValueError".into(), "failed after 2".into()),
            "{label}"
        );
        assert!(failing.next().is_none());
        drop(failing);
        assert_eq!(open(), 0, "{label}");
        assert_eq!(generators.plain().expect("in step after an exception"), 7);

        // Dropped early: the items computed ahead are discarded, the stream closed, and the
        // connection it held is in step for the next call.
        let mut endless = generators.endless().expect("endless");
        assert!(format!("{endless:?}").contains("read_ahead: 4"), "the proxy's read-ahead: {endless:?}");
        for expected in 0..3 {
            assert_eq!(endless.next().transpose().expect("item"), Some(expected), "{label}");
        }
        // While the stream holds its connection, other calls use another one.
        assert_eq!(open(), 1, "{label}");
        assert_eq!(generators.proxy().open_connections(), 2, "{label}");
        drop(endless);
        assert!(wait_for(|| open() == 0), "{label}: the stream was closed");
        let after: Vec<u32> = generators.count(3).expect("count").collect::<Result<_, _>>().expect("items");
        assert_eq!(after, [0, 1, 2], "{label}: the connection is in step after the early drop");

        // One connection only: the stream holds it, and gives it back at its end.
        let single = GeneratorsProxy::from_proxy(
            Proxy::from_uri_str(uri)
                .expect("uri")
                .with_serializer(serializer)
                .with_max_connections(1)
                .with_stream_read_ahead(8),
        );
        let mut items = single.count(20).expect("count");
        assert_eq!(items.next().transpose().expect("item"), Some(0));
        items.close().expect("closed early");
        assert_eq!(single.plain().expect("after close"), 7, "{label}");
        assert_eq!(single.open_iterators().expect("open"), 0, "{label}");
    }
}

#[test]
fn read_ahead_streams_from_a_python_daemon() {
    let (_server, uri) = start_python_server();
    read_ahead_cases(&uri, "Python");
}

#[test]
fn read_ahead_streams_from_a_rust_daemon() {
    let server = RustServer::start(config(30.0, 0.0, true));
    read_ahead_cases(&server.uri, "Rust");
}
