//! Remote attributes against real Python Pyro5 5.17, both ways, over every serializer:
//!
//! - one Python client script reads and writes the attributes of the same `Lamp` served by a
//!   Python daemon (Python properties) and by a Rust daemon (`#[pyro::getter]`/`#[pyro::setter]`
//!   through a shared interface); both must answer it identically, Pyro5's errors for unknown,
//!   private, method and read-only names included;
//! - the Rust typed proxy of that interface reads and writes the properties of the Python object.

use std::sync::Mutex;

use pyro::{Daemon, Error, RemoteError, Serializer, Value};
use serde_json::{Value as Json, json};

const SERIALIZERS: [(Serializer, &str); 4] = [
    (Serializer::Serpent, "serpent"),
    (Serializer::Marshal, "marshal"),
    (Serializer::Json, "json"),
    (Serializer::Msgpack, "msgpack"),
];

/// The interface: a writable `brightness` (0 to 100), a writable `label`, a read-only `watts`
/// and a method.
#[pyro::expose]
pub trait LampControl {
    /// The brightness.
    #[pyro::getter]
    fn brightness(&self) -> u8;
    /// Sets the brightness; above 100 is a `ValueError`.
    #[pyro::setter]
    fn set_brightness(&self, value: u8) -> Result<(), RemoteError>;
    /// The label, None when unset.
    #[pyro::getter]
    fn label(&self) -> Option<String>;
    /// Sets the label.
    #[pyro::setter]
    fn set_label(&self, value: Option<String>);
    /// The power draw (read-only).
    #[pyro::getter]
    fn watts(&self) -> f64;
    /// An ordinary method.
    fn toggle(&self) -> String;
}

/// The Rust lamp (named as the Python class: Pyro5's "type object 'Lamp'" errors name it).
struct Lamp {
    brightness: Mutex<u8>,
    label: Mutex<Option<String>>,
}

impl LampControl for Lamp {
    fn brightness(&self) -> u8 {
        *self.brightness.lock().expect("lock")
    }
    fn set_brightness(&self, value: u8) -> Result<(), RemoteError> {
        if value > 100 {
            return Err(RemoteError::new("builtins.ValueError", vec![Value::from("brightness above 100")]));
        }
        *self.brightness.lock().expect("lock") = value;
        Ok(())
    }
    fn label(&self) -> Option<String> {
        self.label.lock().expect("lock").clone()
    }
    fn set_label(&self, value: Option<String>) {
        *self.label.lock().expect("lock") = value;
    }
    fn watts(&self) -> f64 {
        7.5
    }
    fn toggle(&self) -> String {
        "toggled".to_owned()
    }
}

const PYTHON_SERVER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose

@expose
class Lamp:
    def __init__(self):
        self._brightness = 50
        self._label = None

    @property
    def brightness(self):
        return self._brightness

    @brightness.setter
    def brightness(self, value):
        if value > 100:
            raise ValueError("brightness above 100")
        self._brightness = value

    @property
    def label(self):
        return self._label

    @label.setter
    def label(self, value):
        self._label = value

    @property
    def watts(self):
        return 7.5

    def toggle(self):
        return "toggled"

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Lamp(), "lamp"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

/// Reads and writes a lamp's attributes as a Python program would, and sends the raw
/// `__getattr__`/`__setattr__` calls a Pyro5 proxy would never send for unknown names; prints
/// every outcome as JSON.
const PYTHON_CLIENT: &str = r#"
import json, sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
lamp = Pyro5.api.Proxy(sys.argv[1])
out = []
def record(what, action):
    try:
        out.append([what, "ok", action()])
    except Exception as x:
        out.append([what, type(x).__module__ + "." + type(x).__name__, str(x)])
def assign(name, value):
    setattr(lamp, name, value)
    return "assigned"
lamp._pyroBind()
record("methods", lambda: sorted(lamp._pyroMethods))
record("attrs", lambda: sorted(lamp._pyroAttrs))
record("read brightness", lambda: lamp.brightness)
record("write brightness", lambda: assign("brightness", 80))
record("read brightness", lambda: lamp.brightness)
record("write brightness 101", lambda: assign("brightness", 101))
record("read brightness", lambda: lamp.brightness)
record("read label", lambda: lamp.label)
record("write label", lambda: assign("label", "desk"))
record("read label", lambda: lamp.label)
record("read watts", lambda: lamp.watts)
record("write watts", lambda: assign("watts", 1.0))
record("call toggle", lambda: lamp.toggle())
for name in ["colour", "toggle", "__class__", "__init__"]:
    record("getattr " + name, lambda: lamp._pyroInvoke("__getattr__", (name,), None))
    record("setattr " + name, lambda: lamp._pyroInvoke("__setattr__", (name, 1), None))
record("getattr without name", lambda: lamp._pyroInvoke("__getattr__", (), None))
record("setattr without value", lambda: lamp._pyroInvoke("__setattr__", ("label",), None))
record("getattr of a number", lambda: lamp._pyroInvoke("__getattr__", (5,), None))
record("getattr with kwargs", lambda: lamp._pyroInvoke("__getattr__", ("label",), {}))
print(json.dumps(out))
"#;

fn start_python_server() -> (pyro_interop::PythonServer, String) {
    let server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let uri = server.uri().to_owned();
    (server, uri)
}

fn run_client(uri: &str, serializer: &str) -> Json {
    let out =
        pyro_interop::python().command().args(["-c", PYTHON_CLIENT, uri, serializer]).output().expect("python runs");
    assert!(out.status.success(), "Python client failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the client prints JSON")
}

fn new_lamp() -> Lamp {
    Lamp { brightness: Mutex::new(50), label: Mutex::new(None) }
}

#[test]
fn a_python_client_sees_rust_attributes_as_python_properties() {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let shutdown = daemon.shutdown_handle();
    let mut rust_uris = Vec::new();
    for (_, name) in SERIALIZERS {
        let uri =
            daemon.register_as::<dyn LampControl, _>(new_lamp(), Some(&format!("lamp.{name}"))).expect("register");
        rust_uris.push(uri.to_string());
    }
    let server = std::thread::spawn(move || daemon.request_loop());

    for ((_, serializer), rust_uri) in SERIALIZERS.iter().zip(&rust_uris) {
        // A fresh Python lamp per serializer, as the Rust ones.
        let (_python, python_uri) = start_python_server();
        let from_python = run_client(&python_uri, serializer);
        let from_rust = run_client(rust_uri, serializer);
        let (Some(python_steps), Some(rust_steps)) = (from_python.as_array(), from_rust.as_array()) else {
            panic!("lists expected: {from_python} / {from_rust}");
        };
        assert_eq!(python_steps.len(), rust_steps.len());
        for (python_step, rust_step) in python_steps.iter().zip(rust_steps) {
            // One known difference: Pyro5's serpent sends the arguments as a tuple, so Python's
            // own IndexError for a missing name or value says "tuple"; pyro's dispatch does not
            // keep the sequence kind and always says "list" (as Python does over the others).
            if *serializer == "serpent" && python_step[2] == "tuple index out of range" {
                assert_eq!((&rust_step[0], &rust_step[1]), (&python_step[0], &python_step[1]), "{serializer}");
                assert_eq!(rust_step[2], "list index out of range", "{serializer}");
                continue;
            }
            assert_eq!(rust_step, python_step, "{serializer}: the Rust daemon answered differently");
        }

        // And what they answered is what the attributes mean.
        let step = |what: &str| from_rust.as_array().and_then(|s| s.iter().find(|s| s[0] == what)).cloned();
        if *serializer == "marshal" {
            // Pyro5's own limitation, on the client: its marshal dumpsCall needs a kwargs dict,
            // and a proxy's attribute reads and writes pass None, so they fail before sending.
            // A raw call with a kwargs dict reads the attribute.
            let none = "'NoneType' object has no attribute 'items'";
            assert_eq!(step("read brightness"), Some(json!(["read brightness", "builtins.AttributeError", none])));
            assert_eq!(step("write label"), Some(json!(["write label", "builtins.AttributeError", none])));
            assert_eq!(step("getattr with kwargs"), Some(json!(["getattr with kwargs", "ok", null])));
            assert_eq!(step("call toggle"), Some(json!(["call toggle", "ok", "toggled"])));
            continue;
        }
        assert_eq!(step("attrs"), Some(json!(["attrs", "ok", ["brightness", "label", "watts"]])));
        assert_eq!(step("methods"), Some(json!(["methods", "ok", ["toggle"]])));
        assert_eq!(step("write brightness 101").map(|s| s[1].clone()), Some(json!("builtins.ValueError")));
        assert_eq!(
            step("write watts"),
            Some(json!([
                "write watts",
                "builtins.AttributeError",
                "attempt to access unexposed or unknown remote attribute 'watts'"
            ]))
        );
        assert_eq!(
            step("getattr colour"),
            Some(json!(["getattr colour", "builtins.AttributeError", "type object 'Lamp' has no attribute 'colour'"]))
        );
        assert_eq!(step("getattr without name").map(|s| s[1].clone()), Some(json!("builtins.IndexError")));
        assert_eq!(step("read label").map(|s| s[2].clone()), Some(json!(null)));
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}

#[test]
fn a_rust_typed_proxy_reads_and_writes_python_properties() {
    let (_server, uri) = start_python_server();
    for (serializer, name) in SERIALIZERS {
        let proxy = pyro::proxy::Proxy::from_uri_str(&uri).expect("valid uri").with_serializer(serializer);
        let lamp = LampControlProxy::from_proxy(proxy);

        lamp.set_brightness(60).expect("write brightness");
        assert_eq!(lamp.brightness().expect("read brightness"), 60);
        match lamp.set_brightness(101) {
            Err(Error::Remote(remote)) => {
                assert_eq!(
                    (remote.class.as_str(), remote.message.as_str()),
                    ("builtins.ValueError", "brightness above 100")
                );
                assert!(remote.traceback_text().contains("brightness"), "{}", remote.traceback_text());
            }
            other => panic!("{name}: expected a ValueError, got {other:?}"),
        }
        assert_eq!(lamp.brightness().expect("read brightness"), 60);

        lamp.set_label(Some(format!("over {name}"))).expect("write label");
        assert_eq!(lamp.label().expect("read label"), Some(format!("over {name}")));
        lamp.set_label(None).expect("clear label");
        assert_eq!(lamp.label().expect("read label"), None);
        assert_eq!(lamp.watts().expect("read watts"), 7.5);
        assert_eq!(lamp.toggle().expect("call toggle"), "toggled");

        let metadata = lamp.proxy().metadata().expect("connected");
        assert_eq!(metadata.attrs.iter().collect::<Vec<_>>(), ["brightness", "label", "watts"]);
        // A read-only property: the Python daemon refuses the write.
        match lamp.proxy().set_attribute("watts", &1.0) {
            Err(Error::Remote(remote)) => assert_eq!(
                (remote.class.as_str(), remote.message.as_str()),
                ("builtins.AttributeError", "attempt to access unexposed or unknown remote attribute 'watts'")
            ),
            other => panic!("{name}: expected an AttributeError, got {other:?}"),
        }
    }
}
