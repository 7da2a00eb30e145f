//! The daemon's connection hooks with real Python Pyro5 on the other side, over every
//! serializer: handshake validation both ways (Python proxies with `_pyroHandshake` against a
//! Rust daemon's validator, Rust proxies with `set_handshake` against a Python daemon's
//! `validateHandshake`, and Rust against Rust), the client-disconnect hook, and resources
//! tracked per connection, closed when the Python client disconnects.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyro_interop::{PythonServer, wait_for};
use pyro_runtime::daemon::{ConnectionInfo, Daemon, ShutdownHandle};
use pyro_runtime::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply};
use pyro_runtime::proxy::Proxy;
use pyro_runtime::session::{Resource, ResourceHandle};
use pyro_runtime::{Error, RemoteError, Serializer, Value};
use serde_json::{Value as Json, json};

const SECRET: &str = "pancakes";
const REFUSED: &str = "wrong secret code, connection refused";

fn response() -> Value {
    Value::List(["how", "are", "you", "doing"].map(Value::from).to_vec())
}

/// A file-like resource: counts its closes.
struct Handle {
    name: String,
    closed: Arc<Mutex<Vec<String>>>,
}

impl Resource for Handle {
    fn close(&mut self) {
        self.closed.lock().unwrap().push(self.name.clone());
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// Opens named "files", tracked per connection: `open(name)`, `close(name)` (untracks and
/// closes), `ping()`.
struct Files {
    closed: Arc<Mutex<Vec<String>>>,
    open: Mutex<Vec<(u64, String, ResourceHandle)>>,
}

impl Dispatch<Files> for Files {
    fn metadata() -> Metadata {
        Metadata::new(["open", "close", "ping"], [], [])
    }
    fn receiver(method: &str) -> Option<Receiver> {
        ["open", "close", "ping"].contains(&method).then_some(Receiver::Shared)
    }
    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, mut args: CallArgs) -> Result<Reply, Error> {
        match method {
            "open" => {
                let name: String = args.required(0, "name")?;
                args.finish()?;
                let handle = ctx.track_resource(Handle { name: name.clone(), closed: Arc::clone(&self.closed) })?;
                self.open.lock().unwrap().push((ctx.session_id(), name, handle));
                ctx.encode(&())
            }
            "close" => {
                let name: String = args.required(0, "name")?;
                args.finish()?;
                let mut open = self.open.lock().unwrap();
                let index = open
                    .iter()
                    .position(|(session, n, _)| *session == ctx.session_id() && *n == name)
                    .ok_or_else(|| RemoteError::new("builtins.KeyError", vec![Value::from(name.clone())]))?;
                let (_, _, handle) = open.remove(index);
                let mut resource = ctx.untrack_resource(handle).expect("tracked by this connection");
                resource.close();
                ctx.encode(&())
            }
            "ping" => {
                args.finish()?;
                ctx.encode(&())
            }
            _ => Err(CallArgs::unknown_method(method)),
        }
    }
    fn invoke_exclusive(&mut self, _: &mut CallContext, method: &str, _: CallArgs) -> Result<Reply, Error> {
        Err(CallArgs::unknown_method(method))
    }
}

struct Server {
    uri: String,
    stop: ShutdownHandle,
    thread: Option<std::thread::JoinHandle<pyro_runtime::Result<()>>>,
    handshakes: Arc<Mutex<Vec<(ConnectionInfo, Value)>>>,
    disconnects: Arc<Mutex<Vec<ConnectionInfo>>>,
    closed: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.shutdown();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
    }
}

/// A Rust daemon with `handshake.py`'s validator and a disconnect hook, serving `files`.
fn rust_server() -> Server {
    let handshakes = Arc::new(Mutex::new(Vec::new()));
    let disconnects = Arc::new(Mutex::new(Vec::new()));
    let closed = Arc::new(Mutex::new(Vec::new()));
    let (seen, gone) = (Arc::clone(&handshakes), Arc::clone(&disconnects));
    let daemon = Daemon::builder()
        .host("127.0.0.1")
        .validate_handshake(move |conn: &ConnectionInfo, data: &Value| {
            seen.lock().unwrap().push((conn.clone(), data.clone()));
            match data.as_str() {
                Some(SECRET) => Ok(response()),
                _ => Err(REFUSED.to_owned()),
            }
        })
        .client_disconnect(move |conn| gone.lock().unwrap().push(conn.clone()))
        .bind()
        .unwrap();
    daemon.register(Files { closed: Arc::clone(&closed), open: Mutex::default() }, Some("files")).unwrap();
    let uri = daemon.uri_for("files").unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let thread = Some(std::thread::spawn(move || daemon.request_loop()));
    Server { uri, stop, thread, handshakes, disconnects, closed }
}

const PYTHON_CLIENT: &str = r#"
import json, sys
import Pyro5.api, Pyro5.errors
Pyro5.config.SERIALIZER = sys.argv[2]
out = {}

class CustomHandshakeProxy(Pyro5.api.Proxy):
    def _pyroValidateHandshake(self, response):
        out["response"] = response

with CustomHandshakeProxy(sys.argv[1]) as p:
    p._pyroHandshake = "pancakes"
    p._pyroBind()
    out["local"] = list(p._pyroConnection.sock.getsockname())
    p.open("a.txt")
    p.open("b.txt")
    p.open("c.txt")
    p.close("b.txt")
    p.ping()
with CustomHandshakeProxy(sys.argv[1]) as p:
    p._pyroHandshake = "waffles"
    try:
        p._pyroBind()
    except Pyro5.errors.CommunicationError as e:
        out["refused"] = str(e)
print(json.dumps(out))
"#;

#[test]
fn python_clients_against_a_rust_validator_disconnect_hook_and_tracked_resources() {
    for serializer in ["serpent", "msgpack", "json", "marshal"] {
        let server = rust_server();
        let port = server.uri.rsplit(':').next().unwrap().to_owned();
        let output =
            pyro_interop::python().command().args(["-c", PYTHON_CLIENT, &server.uri, serializer]).output().unwrap();
        assert!(output.status.success(), "{serializer}: {}", String::from_utf8_lossy(&output.stderr));
        let out: Json = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(out["response"], json!(["how", "are", "you", "doing"]), "{serializer}");
        assert_eq!(out["refused"], json!(format!("connection to ('127.0.0.1', {port}) rejected: {REFUSED}")));

        let handshakes = server.handshakes.lock().unwrap().clone();
        assert_eq!(handshakes.len(), 2);
        assert_eq!((handshakes[0].1.clone(), handshakes[1].1.clone()), (Value::from(SECRET), Value::from("waffles")));
        let local = out["local"].as_array().unwrap();
        let client_port = u16::try_from(local[1].as_u64().unwrap()).unwrap();
        assert_eq!(handshakes[0].0.client_addr().map(|a| a.port()), Some(client_port), "{serializer}");
        assert_eq!(handshakes[0].0.serializer().name(), serializer);

        // Only the accepted connection is reported gone, once; its tracked files are closed then.
        assert!(wait_for(|| server.closed.lock().unwrap().len() == 3), "{serializer}: {:?}", server.closed);
        assert_eq!(*server.closed.lock().unwrap(), ["b.txt", "a.txt", "c.txt"], "b was closed by the client");
        // The hook saw the files still open, Pyro5's `conn.tracked_resources`.
        let disconnects = server.disconnects.lock().unwrap().clone();
        let still_open = vec!["a.txt".to_owned(), "c.txt".to_owned()];
        assert_eq!(disconnects, [handshakes[0].0.clone().with_tracked_resources(still_open)], "{serializer}");
    }
}

#[test]
fn rust_proxies_against_a_rust_validator() {
    let server = rust_server();
    for serializer in [Serializer::Msgpack, Serializer::Serpent, Serializer::Json, Serializer::Marshal] {
        let proxy = Proxy::from_uri_str(&server.uri).unwrap().with_serializer(serializer).with_handshake(SECRET.into());
        let () = proxy.call("ping", &()).unwrap();
        assert_eq!(proxy.handshake_response(), Some(response()), "{serializer}");
        proxy.release();

        let proxy = Proxy::from_uri_str(&server.uri).unwrap().with_serializer(serializer);
        let err = proxy.bind().unwrap_err();
        let Error::ConnectionRejected { reason, .. } = &err else { panic!("{serializer}: {err:?}") };
        assert_eq!(reason, REFUSED);
        assert_eq!(err.python_class(), "Pyro5.errors.CommunicationError");
    }
    assert!(wait_for(|| server.disconnects.lock().unwrap().len() == 4), "one per accepted connection");
}

/// Pyro5's `handshake/server.py` daemon, minus its prints, serving a `Thing` too.
const PYTHON_DAEMON: &str = r#"
import Pyro5.api

class CustomDaemon(Pyro5.api.Daemon):
    def validateHandshake(self, conn, data):
        if data == "pancakes":
            return ["how", "are", "you", "doing"]
        raise ValueError("wrong secret code, connection refused")

@Pyro5.api.expose
class Thing:
    def hello(self):
        return "hi"

daemon = CustomDaemon(host="127.0.0.1")
print(daemon.register(Thing, "thing"), flush=True)
daemon.requestLoop()
"#;

#[test]
fn rust_proxies_against_a_python_validate_handshake() {
    let server = PythonServer::start(pyro_interop::python(), PYTHON_DAEMON);
    for serializer in [Serializer::Serpent, Serializer::Msgpack, Serializer::Json, Serializer::Marshal] {
        let proxy =
            Proxy::from_uri_str(server.uri()).unwrap().with_serializer(serializer).with_handshake(SECRET.into());
        let hi: String = proxy.call("hello", &()).unwrap();
        assert_eq!(hi, "hi");
        assert_eq!(proxy.handshake_response(), Some(response()), "{serializer}");

        let mut proxy = Proxy::from_uri_str(server.uri()).unwrap().with_serializer(serializer);
        proxy.set_handshake(Value::from("waffles"));
        let err = proxy.call::<_, String>("hello", &()).unwrap_err();
        let Error::ConnectionRejected { location, reason } = &err else { panic!("{serializer}: {err:?}") };
        assert_eq!(reason, REFUSED, "{serializer}");
        assert!(server.uri().ends_with(location.as_str()), "{location}");
    }
}

#[test]
fn a_panicking_validator_refuses_and_a_panicking_disconnect_hook_is_ignored() {
    let disconnects = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&disconnects);
    let daemon = Daemon::builder()
        .host("127.0.0.1")
        .validate_handshake(
            |_, data| if data.as_str() == Some("boom") { panic!("validator bug") } else { Ok(Value::None) },
        )
        .client_disconnect(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            panic!("hook bug");
        })
        .bind()
        .unwrap();
    let uri = daemon.uri_for("Pyro.Daemon").unwrap();
    let stop = daemon.shutdown_handle();
    let thread = std::thread::spawn(move || daemon.request_loop());
    let err = Proxy::new(uri.clone()).with_handshake("boom".into()).bind().unwrap_err();
    assert!(
        matches!(&err, Error::ConnectionRejected { reason, .. } if reason == "handshake validation panicked: validator bug"),
        "{err:?}"
    );
    for _ in 0..2 {
        let proxy = Proxy::new(uri.clone());
        proxy.bind().unwrap();
        assert_eq!(proxy.handshake_response(), Some(Value::None));
    }
    assert!(wait_for(|| disconnects.load(Ordering::SeqCst) == 2));
    let () = Proxy::new(uri).call("ping", &()).unwrap();
    stop.shutdown();
    thread.join().unwrap().unwrap();
}

#[test]
fn shutting_the_daemon_down_disconnects_its_clients_through_the_hook() {
    let server = rust_server();
    let proxies: Vec<Proxy> = (0..3)
        .map(|n| {
            let proxy = Proxy::from_uri_str(&server.uri).unwrap().with_handshake(SECRET.into());
            let () = proxy.call("open", &(format!("{n}.txt"),)).unwrap();
            proxy
        })
        .collect();
    assert!(server.disconnects.lock().unwrap().is_empty());
    server.stop.shutdown();
    assert!(wait_for(|| server.disconnects.lock().unwrap().len() == 3), "{:?}", server.disconnects);
    assert!(wait_for(|| server.closed.lock().unwrap().len() == 3), "{:?}", server.closed);
    drop(proxies);
}
