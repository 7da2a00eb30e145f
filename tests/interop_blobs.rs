//! `SerializedBlob` (Pyro5's KEEPSERIALIZED calls with the `BLBI` annotation) against real
//! Python Pyro5 5.17, over every serializer, as in Pyro5's blob-dispatch example: a client sends
//! a blob to a dispatcher, which passes it on unread to the listeners of its topic, which
//! deserialize it. Every part is played by Python and by Rust:
//!
//! - Python client → Rust dispatcher → Python and Rust listeners;
//! - Rust client → Python dispatcher → Python and Rust listeners.
//!
//! Over json, Pyro5 5.17's own `SerializedBlob.deserialized()` cannot read the data (it unpacks
//! the call's dict, whose third key is `"params"`), so no Python listener takes part there; the
//! dispatchers, both of them, pass json blobs on all the same.

use std::collections::HashMap;
use std::sync::Mutex;

use pyro::proxy::Proxy;
use pyro::serializer::ProxyState;
use pyro::{Daemon, Error, SerializedBlob, Serializer, Value};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

const SERIALIZERS: [(Serializer, &str); 4] = [
    (Serializer::Serpent, "serpent"),
    (Serializer::Marshal, "marshal"),
    (Serializer::Json, "json"),
    (Serializer::Msgpack, "msgpack"),
];

/// The example's `customdata.CustomData`, as its `to_dict` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CustomData {
    #[serde(rename = "__class__")]
    class: String,
    a: i64,
    b: String,
    c: String,
}

/// A blob's data: the object, or (over marshal, which sends only sequences) a list of it.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrList {
    One(CustomData),
    List((CustomData,)),
}

/// The dispatcher: it never looks inside a blob.
#[derive(Default)]
struct Dispatcher {
    listeners: Mutex<HashMap<String, Vec<Proxy>>>,
}

#[pyro::expose]
impl Dispatcher {
    /// Adds a listener (a proxy, as Python passes one) for `topic`.
    pub fn register(&self, topic: String, listener: Value) -> Result<(), Error> {
        let state = ProxyState::from_value(&listener)?;
        self.listeners.lock().expect("lock").entry(topic).or_default().push(Proxy::new(state.uri));
        Ok(())
    }

    /// Passes `blob` on to the listeners of its topic, in the serializer it came in (so its
    /// bytes go out unchanged).
    pub fn process_blob(&self, blob: SerializedBlob) -> Result<(), Error> {
        let topic = blob.info().as_str().unwrap_or_default().to_owned();
        let listeners = self.listeners.lock().expect("lock").get(&topic).cloned().unwrap_or_default();
        let serializer = blob.payload().map_or(Serializer::Serpent, |(serializer, _)| serializer);
        for listener in listeners {
            listener.with_serializer(serializer).call_blob::<()>("process_blob", &blob)?;
        }
        Ok(())
    }
}

/// A Rust listener: keeps what it received.
#[derive(Default)]
struct Listener {
    received: Mutex<Vec<(String, CustomData)>>,
}

#[pyro::expose]
impl Listener {
    /// Reads the blob's data.
    pub fn process_blob(&self, blob: SerializedBlob) -> Result<(), Error> {
        let data = match blob.deserialized()? {
            OneOrList::One(data) => data,
            OneOrList::List((data,)) => data,
        };
        let info = blob.info().as_str().unwrap_or_default().to_owned();
        self.received.lock().expect("lock").push((info, data));
        Ok(())
    }

    /// What it received.
    pub fn received(&self) -> Vec<(String, CustomData)> {
        self.received.lock().expect("lock").clone()
    }
}

/// The example's listener, keeping what it received; and, on the same daemon, the example's
/// dispatcher.
const PYTHON_SERVER: &str = r#"
import sys, threading
from collections import defaultdict
from Pyro5.api import Daemon, expose, register_dict_to_class

class CustomData(object):
    def __init__(self, a, b, c):
        self.a, self.b, self.c = a, b, c

register_dict_to_class("blobdispatch.CustomData", lambda classname, d: CustomData(d["a"], d["b"], d["c"]))

@expose
class Listener:
    def __init__(self):
        self.got = []
    def process_blob(self, blob):
        data = blob.deserialized()
        if isinstance(data, (list, tuple)):
            data = data[0]
        self.got.append([blob.info, type(data).__name__, data.a, data.b, data.c])
    def received(self):
        return self.got

@expose
class Dispatcher(object):
    def __init__(self):
        self.listeners = defaultdict(list)
    def register(self, topic, listener):
        self.listeners[topic].append(listener)
    def process_blob(self, blob):
        for listener in self.listeners.get(blob.info, []):
            listener._pyroClaimOwnership()
            listener.process_blob(blob)

daemon = Daemon(host="127.0.0.1", port=0)
listener = daemon.register(Listener(), "listener")
dispatcher = daemon.register(Dispatcher(), "dispatcher")
print(listener, dispatcher, flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

/// The example's client: registers the listeners, sends one blob per topic through the
/// dispatcher, then prints what the Python listener received.
const PYTHON_CLIENT: &str = r#"
import json, sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[1]
dispatcher_uri, python_listener, rust_listener = sys.argv[2:5]

class CustomData(object):
    def __init__(self, a, b, c):
        self.a, self.b, self.c = a, b, c
    def to_dict(self):
        return {"__class__": "blobdispatch.CustomData", "a": self.a, "b": self.b, "c": self.c}

Pyro5.api.SerializerBase.register_class_to_dict(CustomData, CustomData.to_dict)
with Pyro5.api.Proxy(dispatcher_uri) as dispatcher:
    python_listens = sys.argv[1] != "json"
    if python_listens:
        dispatcher.register("py", Pyro5.api.Proxy(python_listener))
    dispatcher.register("rs", Pyro5.api.Proxy(rust_listener))
    if python_listens:
        dispatcher.register("both", Pyro5.api.Proxy(python_listener))
    dispatcher.register("both", Pyro5.api.Proxy(rust_listener))
    for topic in ["py", "rs", "both", "nobody"]:
        data = CustomData(42, "hello " + topic, "now")
        # Pyro5's marshal serializer takes only a sequence as a call's arguments.
        dispatcher.process_blob(Pyro5.api.SerializedBlob(topic, [data] if sys.argv[1] == "marshal" else data))
with Pyro5.api.Proxy(python_listener) as listener:
    print(json.dumps(listener.received()))
"#;

fn expected_python(topics: &[&str]) -> Json {
    Json::Array(topics.iter().map(|t| json!([t, "CustomData", 42, format!("hello {t}"), "now"])).collect::<Vec<_>>())
}

fn expected_rust(topics: &[&str]) -> Vec<(String, CustomData)> {
    topics
        .iter()
        .map(|t| {
            let data =
                CustomData { class: "blobdispatch.CustomData".into(), a: 42, b: format!("hello {t}"), c: "now".into() };
            ((*t).to_owned(), data)
        })
        .collect()
}

fn python_server() -> (pyro_interop::PythonServer, String, String) {
    let server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let uris: Vec<String> = server.uri().split(' ').map(str::to_owned).collect();
    let (listener, dispatcher) = (uris[0].clone(), uris[1].clone());
    (server, listener, dispatcher)
}

#[test]
fn a_rust_dispatcher_passes_python_blobs_on_unread() {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let shutdown = daemon.shutdown_handle();
    let mut runs = Vec::new();
    for (_, name) in SERIALIZERS {
        let dispatcher = daemon.register(Dispatcher::default(), Some(&format!("dispatcher.{name}"))).expect("register");
        let listener = daemon.register(Listener::default(), Some(&format!("listener.{name}"))).expect("register");
        runs.push((name, dispatcher.to_string(), listener.to_string()));
    }
    let server = std::thread::spawn(move || daemon.request_loop());
    for (serializer, dispatcher, rust_listener) in &runs {
        let (_python, python_listener, _) = python_server();
        let out = pyro_interop::python()
            .command()
            .args(["-c", PYTHON_CLIENT, serializer, dispatcher, &python_listener, rust_listener])
            .output()
            .expect("python runs");
        assert!(out.status.success(), "{serializer}: {}", String::from_utf8_lossy(&out.stderr));
        let python_got: Json = serde_json::from_slice(&out.stdout).expect("json");
        let python_topics: &[&str] = if *serializer == "json" { &[] } else { &["py", "both"] };
        assert_eq!(python_got, expected_python(python_topics), "{serializer}: the Python listener");
        let rust = ListenerProxy::new(rust_listener).expect("uri");
        assert_eq!(
            rust.received().expect("received"),
            expected_rust(&["rs", "both"]),
            "{serializer}: the Rust listener"
        );
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}

#[test]
fn a_rust_client_sends_blobs_through_python_and_rust_dispatchers() {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let shutdown = daemon.shutdown_handle();
    let mut runs = Vec::new();
    for (serializer, name) in SERIALIZERS {
        let dispatcher = daemon.register(Dispatcher::default(), Some(&format!("dispatcher.{name}"))).expect("register");
        let listener = daemon.register(Listener::default(), Some(&format!("listener.{name}"))).expect("register");
        runs.push((serializer, dispatcher.to_string(), listener));
    }
    let server = std::thread::spawn(move || daemon.request_loop());
    for (serializer, rust_dispatcher, rust_listener) in runs {
        let (_python, python_listener, python_dispatcher) = python_server();
        for dispatcher in [&python_dispatcher, &rust_dispatcher] {
            let dispatcher = Proxy::from_uri_str(dispatcher).expect("uri").with_serializer(serializer);
            // Pyro5 forwards a blob in the serializer of the dispatcher's proxy to the listener,
            // and the listener reads it with that one: so each listener proxy names the blob's.
            let listen = |topic: &str, uri: &str| {
                let mut listener = ProxyState::new(uri.parse().expect("uri"));
                listener.serializer = Some(serializer.name().to_owned());
                let listener = listener.to_value();
                dispatcher.call::<_, ()>("register", &(topic, listener)).expect("register");
            };
            let python_listens = serializer != Serializer::Json;
            if python_listens {
                listen("py", &python_listener);
            }
            listen("rs", &rust_listener.to_string());
            for topic in ["py", "rs"] {
                let data = CustomData {
                    class: "blobdispatch.CustomData".into(),
                    a: 42,
                    b: format!("hello {topic}"),
                    c: "now".into(),
                };
                let blob = match serializer {
                    Serializer::Marshal => SerializedBlob::new(topic, &(data,)),
                    _ => SerializedBlob::new(topic, &data),
                }
                .expect("blob");
                dispatcher.call_blob::<()>("process_blob", &blob).expect("dispatched");
            }
        }
        let python = Proxy::from_uri_str(&python_listener).expect("uri");
        let got: Json = python.call("received", &()).expect("received");
        let python_topics: &[&str] = if serializer == Serializer::Json { &[] } else { &["py", "py"] };
        assert_eq!(got, expected_python(python_topics), "{serializer:?}: the Python listener");
        let rust = ListenerProxy::new(&rust_listener.to_string()).expect("uri");
        let mut want = expected_rust(&["rs", "rs"]);
        let mut got = rust.received().expect("received");
        want.sort_by(|a, b| a.0.cmp(&b.0));
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got, want, "{serializer:?}: the Rust listener");
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}

#[test]
fn a_blob_method_called_without_a_blob_is_a_type_error() {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let shutdown = daemon.shutdown_handle();
    let uri = daemon.register(Listener::default(), Some("listener")).expect("register").to_string();
    let server = std::thread::spawn(move || daemon.request_loop());
    let proxy = Proxy::from_uri_str(&uri).expect("uri");
    match proxy.call::<_, ()>("process_blob", &(1,)) {
        Err(Error::Remote(remote)) => assert_eq!(remote.class, "builtins.TypeError", "{remote}"),
        other => panic!("expected a TypeError, got {other:?}"),
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}
