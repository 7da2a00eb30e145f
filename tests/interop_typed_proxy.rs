//! A typed proxy generated from a `#[pyro::expose]` trait calls a real Python Pyro5 5.17 daemon
//! (over every serializer): calls, keyword arguments, a Python exception as `Error::Remote` with
//! class name and traceback, oneway calls; and a Python client calls the same interface served
//! by Rust.

use pyro_interop::wait_for;

use pyro::{Daemon, Error, Serializer, Value};

/// The interface, shared by client and server.
#[pyro::expose]
pub trait Inventory {
    /// Stores `count` of `item`; returns the new stock.
    fn store(&self, item: String, count: u32) -> u32;
    /// Takes one `item`; an error if there is none.
    fn take(&self, item: String) -> Result<String, String>;
    /// The stock per item.
    fn stock(&self) -> std::collections::BTreeMap<String, u32>;
    /// Records an audit line; the caller does not wait.
    #[pyro::oneway]
    fn audit(&self, line: String);
    /// The audit lines so far.
    fn audit_log(&self) -> Vec<String>;
}

const PYTHON_SERVER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose, oneway

@expose
class Inventory:
    def __init__(self):
        self._stock = {}
        self._audit = []

    def store(self, item, count):
        self._stock[item] = self._stock.get(item, 0) + count
        return self._stock[item]

    def take(self, item):
        if not self._stock.get(item):
            raise KeyError("no " + item + " left")
        self._stock[item] -= 1
        return item

    def stock(self):
        return self._stock

    @oneway
    def audit(self, line):
        self._audit.append(line)

    def audit_log(self):
        return self._audit

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Inventory(), "inventory"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

fn start_python_server() -> (pyro_interop::PythonServer, String) {
    let server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let uri = server.uri().to_owned();
    (server, uri)
}

#[test]
fn typed_proxy_calls_a_python_daemon() {
    let (_server, uri) = start_python_server();
    for serializer in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let proxy = pyro::proxy::Proxy::from_uri_str(&uri).expect("valid uri").with_serializer(serializer);
        let inventory = InventoryProxy::from_proxy(proxy);

        let apple = format!("apple over {serializer}");
        assert_eq!(inventory.store(apple.clone(), 2).expect("store"), 2);
        assert_eq!(inventory.take(apple.clone()).expect("take"), apple);

        // Keyword arguments go through the proxy underneath the typed one.
        let kwargs: pyro::value::Dict = [("item", Value::from("pear")), ("count", Value::Int(5))].into_iter().collect();
        let stored: u32 = inventory.proxy().call_with_kwargs("store", &(), &kwargs).expect("kwargs call");
        assert!(stored >= 5);
        assert!(inventory.stock().expect("stock").contains_key("pear"));

        // A Python exception arrives as Error::Remote with its class, message and traceback.
        match inventory.take("durian".into()) {
            Err(Error::Remote(remote)) => {
                assert_eq!(remote.class, "builtins.KeyError");
                assert_eq!(remote.args, vec![Value::from("no durian left")]);
                assert!(remote.traceback_text().contains("in take"), "{}", remote.traceback_text());
            }
            other => panic!("expected a remote KeyError, got {other:?}"),
        }

        // Oneway: returns at once; the effect shows up afterwards.
        let line = format!("checked over {serializer}");
        inventory.audit(line.clone()).expect("oneway send");
        assert!(wait_for(|| inventory.audit_log().expect("audit log").contains(&line)), "the oneway call ran");
    }
}

/// The Rust implementation of the same interface.
#[derive(Default)]
struct RustInventory {
    stock: std::sync::Mutex<std::collections::BTreeMap<String, u32>>,
    audit: std::sync::Mutex<Vec<String>>,
}

impl Inventory for RustInventory {
    fn store(&self, item: String, count: u32) -> u32 {
        let mut stock = self.stock.lock().expect("lock");
        let entry = stock.entry(item).or_default();
        *entry += count;
        *entry
    }

    fn take(&self, item: String) -> Result<String, String> {
        let mut stock = self.stock.lock().expect("lock");
        match stock.get_mut(&item) {
            Some(n) if *n > 0 => {
                *n -= 1;
                Ok(item)
            }
            _ => Err(format!("no {item} left")),
        }
    }

    fn stock(&self) -> std::collections::BTreeMap<String, u32> {
        self.stock.lock().expect("lock").clone()
    }

    fn audit(&self, line: String) {
        self.audit.lock().expect("lock").push(line);
    }

    fn audit_log(&self) -> Vec<String> {
        self.audit.lock().expect("lock").clone()
    }
}

const PYTHON_CLIENT: &str = r#"
import json, sys, time
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
inv = Pyro5.api.Proxy(sys.argv[1])
out = {"store": inv.store("apple", 3), "store_kw": inv.store(item="fig", count=2), "take": inv.take("apple")}
try:
    inv.take("durian")
except RuntimeError as x:
    out["error"] = [type(x).__name__, str(x)]
inv.audit("from python")
for _ in range(200):
    if "from python" in inv.audit_log():
        break
    time.sleep(0.02)
out["audit"] = inv.audit_log()
out["stock"] = inv.stock()
print(json.dumps(out))
"#;

#[test]
fn python_proxy_calls_the_interface_served_by_rust() {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let uri = daemon.register_as::<dyn Inventory, _>(RustInventory::default(), Some("inventory")).expect("register");
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    for serializer in ["serpent", "marshal", "json", "msgpack"] {
        let out = pyro_interop::python()
            .command()
            .args(["-c", PYTHON_CLIENT, &uri.to_string(), serializer])
            .output()
            .expect("python runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(out["take"], "apple", "{serializer}: {out}");
        assert!(out["store_kw"].as_u64() >= Some(2), "{serializer}: {out}");
        assert_eq!(out["error"], serde_json::json!(["RuntimeError", "no durian left"]), "{serializer}");
        assert!(out["audit"].as_array().expect("list").contains(&serde_json::json!("from python")));
        assert!(out["stock"]["fig"].as_u64().expect("fig") >= 2);
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}
