//! The Rust proxy against a real Python Pyro5 5.17 daemon, over every serializer: calls, keyword
//! arguments, Python exceptions, oneway calls, attributes, the daemon object, metadata and
//! concurrent calls from many threads; and against a daemon of a Pyro5 without msgpack
//! ([`pyro_interop::python_plain`]) with an explicit serpent proxy.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyro_runtime::proxy::Proxy;
use pyro_runtime::serializer::Serializer;
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Error, Uri};

const SERVER: &str = r#"
import sys, threading, time
from Pyro5.api import Daemon, expose, oneway

@expose
class Thing:
    def __init__(self):
        self._lock = threading.Lock()
        self._notes = []
        self._count = 0
        self._busy = 0
        self._max_busy = 0

    def add(self, a, b):
        return a + b

    def greet(self, name, polite=False, punctuation="!"):
        return ("Good day, " if polite else "hi ") + name + punctuation

    def fail(self, message):
        raise ValueError(message, 42)

    @oneway
    def notify(self, event):
        time.sleep(0.05)
        with self._lock:
            self._notes.append(event)

    def notes(self):
        with self._lock:
            return list(self._notes)

    def echo(self, value):
        return value

    def raw(self):
        return b"raw bytes"

    def slow(self, seconds):
        with self._lock:
            self._busy += 1
            self._max_busy = max(self._max_busy, self._busy)
        time.sleep(seconds)
        with self._lock:
            self._busy -= 1

    def max_busy(self):
        return self._max_busy

    @property
    def count(self):
        return self._count

    @count.setter
    def count(self, value):
        self._count = value

daemon = Daemon(host="127.0.0.1", port=0)
uri = daemon.register(Thing(), "thing")
print(uri, flush=True)

def watch_stdin():
    sys.stdin.read()  # the test closed its end (or died): stop
    daemon.shutdown()

threading.Thread(target=watch_stdin, daemon=True).start()
daemon.requestLoop()
"#;

/// The Python daemon process, killed when dropped.
struct PythonDaemon {
    child: Child,
    uri: Uri,
}

impl PythonDaemon {
    fn start() -> PythonDaemon {
        PythonDaemon::start_in(pyro_interop::python())
    }

    fn start_in(python: &pyro_interop::Python) -> PythonDaemon {
        let mut child = python
            .command()
            .args(["-c", SERVER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the Python daemon");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let daemon = |uri| PythonDaemon { child, uri };
        match read {
            Ok(n) if n > 0 => daemon(line.trim().parse().unwrap_or_else(|e| panic!("bad URI {line:?}: {e}"))),
            _ => {
                let mut d = daemon(Uri::pyro("x", "localhost", 1).expect("uri"));
                let _ = d.child.kill();
                panic!("the Python daemon printed no URI: {read:?}");
            }
        }
    }

    fn proxy(&self, serializer: Serializer) -> Proxy {
        Proxy::new(self.uri.clone()).with_serializer(serializer).with_timeout(Some(Duration::from_secs(20)))
    }
}

impl Drop for PythonDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

#[test]
fn calls_and_keyword_arguments() {
    let daemon = PythonDaemon::start();
    assert_eq!(daemon.uri.object(), "thing");
    for ser in SERIALIZERS {
        let proxy = daemon.proxy(ser);
        assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3, "{ser}");
        assert_eq!(proxy.call::<_, String>("add", &("a", "b")).unwrap(), "ab", "{ser}");
        assert_eq!(proxy.call::<_, String>("greet", &("bob",)).unwrap(), "hi bob!", "{ser}");
        let kwargs: Dict = [("polite", Value::Bool(true))].into_iter().collect();
        assert_eq!(proxy.call_with_kwargs::<_, _, String>("greet", &("bob",), &kwargs).unwrap(), "Good day, bob!");
        let kwargs: Dict = [("name", Value::from("ann")), ("punctuation", Value::from("?"))].into_iter().collect();
        let got = proxy.call_value("greet", vec![], kwargs).unwrap();
        assert_eq!(got, Value::from("hi ann?"), "{ser}");
        let value = Value::List(vec![Value::Int(1), Value::from("two"), Value::Float(3.5), Value::None]);
        assert_eq!(proxy.call_value("echo", vec![value.clone()], Dict::new()).unwrap(), value, "{ser}");
        let big: i64 = proxy.call("add", &(i64::MAX - 1, 1)).unwrap();
        assert_eq!(big, i64::MAX);
    }
}

#[test]
fn python_exception_arrives_as_error_remote() {
    let daemon = PythonDaemon::start();
    for ser in SERIALIZERS {
        let proxy = daemon.proxy(ser);
        let err = proxy.call::<_, Value>("fail", &("boom",)).unwrap_err();
        let Error::Remote(remote) = &err else { panic!("{ser}: expected Error::Remote, got {err:?}") };
        assert_eq!(remote.class, "builtins.ValueError", "{ser}");
        assert_eq!(remote.args, vec![Value::from("boom"), Value::Int(42)], "{ser}");
        assert_eq!(remote.message, "('boom', 42)", "{ser}");
        assert_eq!(remote.traceback.first().map(String::as_str), Some("Traceback (most recent call last):\n"));
        assert_eq!(remote.traceback.last().map(String::as_str), Some("ValueError: ('boom', 42)\n"), "{ser}");
        assert!(remote.traceback_text().contains("in fail"), "{ser}: {}", remote.traceback_text());
        // A wrong argument count is Python's TypeError, raised remotely.
        let err = proxy.call::<_, Value>("add", &(1,)).unwrap_err();
        assert_eq!(err.python_class(), "builtins.TypeError", "{ser}");
        // The connection survives exceptions.
        assert_eq!(proxy.call::<_, i64>("add", &(2, 2)).unwrap(), 4);
        assert_eq!(proxy.open_connections(), 1);
    }
}

#[test]
fn oneway_calls_happen() {
    let daemon = PythonDaemon::start();
    for ser in SERIALIZERS {
        let proxy = daemon.proxy(ser);
        let first = format!("{ser}-explicit");
        let second = format!("{ser}-from-metadata");
        let started = Instant::now();
        proxy.call_oneway("notify", &(first.as_str(),)).unwrap();
        // `notify` is @oneway in Python: `call` sends it oneway (from the metadata) and returns ().
        let () = proxy.call("notify", &(second.as_str(),)).unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let notes: Vec<String> = proxy.call("notes", &()).unwrap();
            if notes.contains(&first) && notes.contains(&second) {
                break;
            }
            assert!(Instant::now() < deadline, "{ser}: oneway calls never arrived: {notes:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn metadata_attributes_and_local_checks() {
    let daemon = PythonDaemon::start();
    for ser in SERIALIZERS {
        let proxy = daemon.proxy(ser);
        proxy.bind().unwrap();
        let meta = proxy.metadata().expect("metadata after bind");
        for method in ["add", "greet", "fail", "notify", "notes", "echo", "slow"] {
            assert!(meta.methods.contains(method), "{ser}: {method} missing from {meta:?}");
        }
        assert_eq!(meta.oneway.iter().collect::<Vec<_>>(), ["notify"], "{ser}");
        assert_eq!(meta.attrs.iter().collect::<Vec<_>>(), ["count"], "{ser}");
        assert_eq!(proxy.handshake_response(), Some(Value::from("hello")));

        proxy.set_attribute("count", &5).unwrap();
        assert_eq!(proxy.get_attribute::<i64>("count").unwrap(), 5, "{ser}");

        let err = proxy.call::<_, Value>("_private", &()).unwrap_err();
        assert_eq!(err.python_class(), "builtins.AttributeError");
        assert!(err.to_string().contains("has no exposed attribute or method '_private'"), "{err}");
        proxy.ping().unwrap();
    }
}

#[test]
fn daemon_object() {
    let daemon = PythonDaemon::start();
    for ser in SERIALIZERS {
        let proxy = Proxy::new(daemon.uri.with_object("Pyro.Daemon").unwrap()).with_serializer(ser);
        let () = proxy.call("ping", &()).unwrap();
        let mut registered: Vec<String> = proxy.call("registered", &()).unwrap();
        registered.sort();
        assert_eq!(registered, ["Pyro.Daemon", "thing"], "{ser}");
        let info: String = proxy.call("info", &()).unwrap();
        assert!(info.starts_with("Pyro.Daemon bound on 127.0.0.1:"), "{info}");
        let meta: pyro_runtime::dispatch::Metadata = proxy.call("get_metadata", &("thing",)).unwrap();
        assert!(meta.methods.contains("add"));
        let err = proxy.call::<_, Value>("get_metadata", &("nope",)).unwrap_err();
        assert_eq!(err.python_class(), "Pyro5.errors.DaemonError", "{err}");
    }
}

#[test]
fn unknown_object_is_rejected_at_connect() {
    let daemon = PythonDaemon::start();
    let proxy = Proxy::new(daemon.uri.with_object("nope").unwrap());
    let err = proxy.call::<_, Value>("x", &()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("communication error: connection to {} rejected: unknown object", daemon.uri.location().unwrap())
    );
}

#[test]
fn concurrent_calls_from_threads() {
    let daemon = PythonDaemon::start();
    let proxy = Arc::new(daemon.proxy(Serializer::Msgpack));
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let proxy = Arc::clone(&proxy);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                proxy.call::<_, Value>("slow", &(0.5,)).unwrap();
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(proxy.call::<_, i64>("max_busy", &()).unwrap(), 4, "the four calls ran at the same time");
}

#[test]
fn proxy_reconnects_after_the_daemon_closes_on_a_serialize_error() {
    let daemon = PythonDaemon::start();
    let proxy = daemon.proxy(Serializer::Json);
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    // Python's json cannot send bytes: the daemon replies with a SerializeError and closes.
    match proxy.call::<_, Value>("raw", &()) {
        Err(Error::Remote(remote)) => assert_eq!(remote.class, "Pyro5.errors.SerializeError"),
        other => panic!("expected a remote SerializeError, got {other:?}"),
    }
    // The proxy dropped that connection as Pyro5's client does, so the next call reconnects.
    assert_eq!(proxy.call::<_, i64>("add", &(2, 3)).unwrap(), 5);
}

/// Python's `bytes` result per serializer, as Pyro5 5.17 sends it: msgpack and marshal carry
/// bytes; serpent sends Pyro5's base64 dict (a Rust `Value` keeps that dict, and a bytes type
/// reads it as the bytes); json cannot, and the daemon answers with a SerializeError.
#[test]
fn bytes_results_per_serializer() {
    let daemon = PythonDaemon::start();
    for ser in [Serializer::Msgpack, Serializer::Marshal] {
        let got = daemon.proxy(ser).call::<_, Value>("raw", &()).unwrap();
        assert_eq!(got, Value::Bytes(b"raw bytes".to_vec()), "{ser}");
    }
    let proxy = daemon.proxy(Serializer::Serpent);
    let got = proxy.call::<_, Value>("raw", &()).unwrap();
    let dict: Dict = [("data", Value::from("cmF3IGJ5dGVz")), ("encoding", Value::from("base64"))].into_iter().collect();
    assert_eq!(got, Value::Dict(dict), "serpent");
    let typed: serde_bytes::ByteBuf = proxy.call("raw", &()).unwrap();
    assert_eq!(typed.as_ref(), b"raw bytes", "serpent into a bytes type");
    let err = daemon.proxy(Serializer::Json).call::<_, Value>("raw", &()).unwrap_err();
    assert_eq!(err.python_class(), "Pyro5.errors.SerializeError", "json: {err}");
}

/// A daemon of a stock Pyro5 without msgpack, called by a Rust proxy with an explicit serpent
/// (and by the other serializers that Pyro5 has); a msgpack connection is closed at the
/// handshake, as that Pyro5 has no msgpack serializer.
#[test]
fn plain_python_daemon_over_serpent() {
    let daemon = PythonDaemon::start_in(pyro_interop::python_plain());
    let proxy = daemon.proxy(Serializer::Serpent);
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    let kwargs: Dict = [("polite", Value::Bool(true))].into_iter().collect();
    assert_eq!(proxy.call_with_kwargs::<_, _, String>("greet", &("bob",), &kwargs).unwrap(), "Good day, bob!");
    let value = Value::Tuple(vec![Value::Int(1), Value::Set(vec![Value::from("s")]), Value::Float(2.5), Value::None]);
    assert_eq!(proxy.call_value("echo", vec![value.clone()], Dict::new()).unwrap(), value);
    let err = proxy.call::<_, Value>("fail", &("boom",)).unwrap_err();
    assert_eq!(err.python_class(), "builtins.ValueError", "{err}");
    proxy.call_oneway("notify", &("plain",)).unwrap();
    proxy.set_attribute("count", &7).unwrap();
    assert_eq!(proxy.get_attribute::<i64>("count").unwrap(), 7);
    let meta = proxy.metadata().expect("metadata after the first call");
    assert_eq!(meta.oneway.iter().collect::<Vec<_>>(), ["notify"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !proxy.call::<_, Vec<String>>("notes", &()).unwrap().contains(&"plain".to_string()) {
        assert!(Instant::now() < deadline, "the oneway call never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    for ser in [Serializer::Marshal, Serializer::Json] {
        assert_eq!(daemon.proxy(ser).call::<_, String>("add", &("a", "b")).unwrap(), "ab", "{ser}");
    }
    // That Pyro5 has no serializer 4: its handshake fails before it can answer, and it closes.
    let err = daemon.proxy(Serializer::Msgpack).call::<_, i64>("add", &(1, 2)).unwrap_err();
    assert!(err.to_string().contains("connection closed while connecting"), "msgpack: {err}");
}
