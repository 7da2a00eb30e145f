//! Autoproxy and callbacks with real Python Pyro5 5.17, both ways, over serpent, json and
//! msgpack: a Python client of a Rust factory (the objects it returns are `Pyro5.api.Proxy`s,
//! usable, freed when the client disconnects), a Rust client of a Python factory (typed proxies
//! received), callbacks Rust→Python→Rust and Python→Rust→Python with `@callback` errors.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyro::daemon::Daemon;
use pyro::{Remote, Serializer};
use pyro_interop::{PythonServer, python, wait_for};

const SERIALIZERS: [&str; 3] = ["serpent", "json", "msgpack"];

// ---- A Python client of a Rust factory ----

static THINGS_DROPPED: AtomicUsize = AtomicUsize::new(0);

/// Made by the factory.
pub struct Thing {
    number: i64,
}

impl Drop for Thing {
    fn drop(&mut self) {
        THINGS_DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

#[pyro::expose]
impl Thing {
    /// Says something.
    pub fn speak(&self, message: String) -> String {
        format!("Thingy {} says: {message}", self.number)
    }

    /// Its number.
    pub fn number(&self) -> i64 {
        self.number
    }
}

/// The factory.
pub struct Factory;

#[pyro::expose]
impl Factory {
    /// A new thing.
    pub fn create(&self, number: i64) -> Remote<Thing> {
        Remote::new(Thing { number })
    }

    /// Several, in a list.
    pub fn create_many(&self, count: i64) -> Vec<Remote<Thing>> {
        (0..count).map(|number| Remote::new(Thing { number })).collect()
    }

    /// Calls the thing whose proxy a client passes.
    pub fn ask(&self, thing: ThingProxy) -> Result<i64, String> {
        thing.number().map_err(|e| e.to_string())
    }
}

const PYTHON_FACTORY_CLIENT: &str = r#"
import json, sys, time
import Pyro5.api, Pyro5.errors
Pyro5.config.SERIALIZER = sys.argv[2]
factory = Pyro5.api.Proxy(sys.argv[1])
thing = factory.create(5)
many = factory.create_many(3)
out = {
    "type": type(thing).__module__ + "." + type(thing).__name__,
    "uri": str(thing._pyroUri),
    "methods": sorted(thing._pyroMethods),
    "speak": thing.speak("hello"),
    "many": [t.number() for t in many],
    "ask": factory.ask(many[2]),
}
# marshal: no autoproxy (as in Pyro5), but a proxy as a whole argument travels.
marshal = Pyro5.api.Proxy(sys.argv[1])
marshal._pyroSerializer = "marshal"
try:
    marshal.create(1)
except Pyro5.errors.SerializeError as x:
    out["marshal_create"] = str(x)
out["marshal_ask"] = marshal.ask(many[1])
marshal._pyroRelease()
factory._pyroRelease()
# The factory's connection closed: the things it received are gone.
for _ in range(250):
    try:
        thing.number()
    except Pyro5.errors.DaemonError as x:
        out["after_release"] = str(x)
        break
    time.sleep(0.02)
print(json.dumps(out))
"#;

#[test]
fn python_client_of_a_rust_factory() {
    let daemon = Arc::new(Daemon::bind("127.0.0.1", 0).unwrap());
    let uri = daemon.register(Factory, Some("factory")).unwrap();
    let serving = Arc::clone(&daemon);
    let server = std::thread::spawn(move || serving.request_loop());
    for serializer in SERIALIZERS {
        let before = THINGS_DROPPED.load(Ordering::SeqCst);
        let out =
            python().command().args(["-c", PYTHON_FACTORY_CLIENT, &uri.to_string(), serializer]).output().unwrap();
        assert!(out.status.success(), "{serializer}: {}", String::from_utf8_lossy(&out.stderr));
        let out: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out["type"], "Pyro5.client.Proxy", "{serializer}: {out}");
        let port = daemon.local_addr().unwrap().port();
        assert!(out["uri"].as_str().unwrap().starts_with("PYRO:obj_"), "{out}");
        assert!(out["uri"].as_str().unwrap().ends_with(&format!("@127.0.0.1:{port}")), "{out}");
        assert_eq!(out["methods"], serde_json::json!(["number", "speak"]));
        assert_eq!(out["speak"], "Thingy 5 says: hello");
        assert_eq!(out["many"], serde_json::json!([0, 1, 2]));
        assert_eq!(out["ask"], 2);
        assert_eq!(out["after_release"], "unknown object", "{serializer}: {out}");
        assert!(
            out["marshal_create"].as_str().unwrap().contains("autoproxy does not work with the marshal serializer"),
            "{out}"
        );
        assert_eq!(out["marshal_ask"], 1);
        assert!(wait_for(|| daemon.session_objects() == 0));
        assert_eq!(daemon.registered(), ["Pyro.Daemon", "factory"]);
        // Four things sent, one made for the marshal reply that could not be sent.
        assert!(wait_for(|| THINGS_DROPPED.load(Ordering::SeqCst) - before == 5), "{serializer}: things not dropped");
    }
    daemon.shutdown();
    server.join().unwrap().unwrap();
}

// ---- A Rust client of a Python factory ----

/// The Python factory's things.
#[pyro::expose]
pub trait Thingy {
    /// Says something.
    fn speak(&self, message: String) -> String;
    /// Its number.
    fn number(&self) -> i64;
}

/// The Python factory.
#[pyro::expose]
pub trait PyFactory {
    /// A new thing.
    fn create(&self, number: i64) -> Remote<dyn Thingy>;
    /// Several.
    fn create_many(&self, count: i64) -> Vec<Remote<dyn Thingy>>;
    /// The proxy it is given, back.
    fn echo(&self, thing: ThingyProxy) -> ThingyProxy;
}

const PYTHON_FACTORY: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose

@expose
class Thingy:
    def __init__(self, number):
        self.number_ = number
    def speak(self, message):
        return "Thingy %d says: %s" % (self.number_, message)
    def number(self):
        return self.number_

@expose
class PyFactory:
    def create(self, number):
        thing = Thingy(number)
        self._pyroDaemon.register(thing)
        return thing
    def create_many(self, count):
        return [self.create(n) for n in range(count)]
    def echo(self, thing):
        assert type(thing).__name__ == "Proxy", type(thing)
        return thing

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(PyFactory(), "factory"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

#[test]
fn rust_client_of_a_python_factory() {
    let server = PythonServer::start(python(), PYTHON_FACTORY);
    for serializer in [Serializer::Serpent, Serializer::Json, Serializer::Msgpack] {
        let proxy = pyro::proxy::Proxy::from_uri_str(server.uri()).unwrap().with_serializer(serializer);
        let factory = PyFactoryProxy::from_proxy(proxy);
        let thing: ThingyProxy = factory.create(4).unwrap();
        assert!(thing.proxy().uri().object().starts_with("obj_"), "{serializer:?}");
        assert!(thing.proxy().metadata().unwrap().methods.contains("speak"));
        assert_eq!(thing.speak("hi".into()).unwrap(), "Thingy 4 says: hi");
        let many = factory.create_many(2).unwrap();
        assert_eq!(many.iter().map(|t| t.number().unwrap()).collect::<Vec<_>>(), [0, 1]);
        // A Rust proxy to Python and back.
        let back = factory.echo(many[1].clone()).unwrap();
        assert_eq!(back.proxy().uri(), many[1].proxy().uri());
        assert_eq!(back.number().unwrap(), 1);
        // Untyped: a proxy in a dynamic value.
        let value = factory.proxy().call_value("create", vec![9.into()], Default::default()).unwrap();
        let untyped = pyro::proxy::Proxy::from_value(&value).unwrap();
        assert_eq!(untyped.call::<_, i64>("number", &()).unwrap(), 9);
    }
}

// ---- Callbacks ----

/// What a client serves for a server to call back.
#[pyro::expose]
pub trait Callback {
    /// Work number `number` is done.
    fn done(&self, number: u32) -> u32;
    /// Fails; only the caller sees it.
    fn call1(&self) -> Result<i64, String>;
    /// Fails; a callback: its own side reports it too.
    #[pyro::callback]
    fn call2(&self) -> Result<i64, String>;
}

struct RustCallback {
    done: Mutex<Vec<u32>>,
}

impl Callback for RustCallback {
    fn done(&self, number: u32) -> u32 {
        self.done.lock().unwrap().push(number);
        number
    }
    fn call1(&self) -> Result<i64, String> {
        Err("crash in call1".into())
    }
    fn call2(&self) -> Result<i64, String> {
        Err("crash in call2".into())
    }
}

const PYTHON_CALLBACK_SERVER: &str = r#"
import sys, threading
import Pyro5.api
from Pyro5.api import Daemon, expose
Pyro5.config.SERIALIZER = sys.argv[1]

@expose
class Server:
    def do_callbacks(self, callback):
        out = [type(callback).__name__, callback.done(7)]
        for call in (callback.call1, callback.call2):
            try:
                call()
            except Exception as x:
                out.append(type(x).__name__ + ": " + str(x))
        return out

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Server(), "server"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

/// The Python server, as the Rust client sees it.
#[pyro::expose]
pub trait CallbackServer {
    /// Calls the callback object back.
    fn do_callbacks(&self, callback: CallbackProxy) -> Vec<pyro::Value>;
}

#[test]
fn callbacks_rust_to_python_to_rust() {
    for serializer in SERIALIZERS {
        let server = PythonServer::start(
            python(),
            &format!("import sys; sys.argv[1:] = ['{serializer}']\n{PYTHON_CALLBACK_SERVER}"),
        );
        let (tx, errors) = channel();
        let tx = Mutex::new(tx);
        let daemon = Arc::new(
            Daemon::builder()
                .host("127.0.0.1")
                .on_callback_error(move |error| drop(tx.lock().unwrap().send(error.clone())))
                .bind()
                .unwrap(),
        );
        daemon.register_as::<dyn Callback, _>(RustCallback { done: Mutex::new(vec![]) }, Some("callback")).unwrap();
        let serving = Arc::clone(&daemon);
        let loop_thread = std::thread::spawn(move || serving.request_loop());
        let callback = CallbackProxy::from(daemon.proxy_for("callback").unwrap());
        let remote = CallbackServerProxy::from_proxy(
            pyro::proxy::Proxy::from_uri_str(server.uri())
                .unwrap()
                .with_serializer(Serializer::from_name(serializer).unwrap()),
        );
        let out = remote.do_callbacks(callback).unwrap();
        let texts: Vec<String> = out.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect();
        assert_eq!(texts[..2], ["Proxy", "7"], "{serializer}: {texts:?}");
        assert_eq!(texts[2], "RuntimeError: crash in call1", "{serializer}");
        assert_eq!(texts[3], "RuntimeError: crash in call2", "{serializer}");
        let reported = errors.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(reported.method, "call2");
        assert!(errors.recv_timeout(Duration::from_millis(100)).is_err(), "{serializer}: call1 is no callback");
        daemon.shutdown();
        loop_thread.join().unwrap().unwrap();
    }
}

/// The Rust server a Python client passes its callback object to.
pub struct RustServer;

#[pyro::expose]
impl RustServer {
    /// Calls the callback object back and says how each call went.
    pub fn do_callbacks(&self, callback: CallbackProxy) -> Vec<String> {
        let outcome = |result: pyro::Result<i64>| match result {
            Ok(n) => n.to_string(),
            Err(pyro::Error::Remote(remote)) => {
                format!("{}: {}", remote.class, remote.args[0].as_str().unwrap_or_default())
            }
            Err(other) => other.to_string(),
        };
        vec![
            callback.done(7).map_or_else(|e| e.to_string(), |n| n.to_string()),
            outcome(callback.call1()),
            outcome(callback.call2()),
        ]
    }
}

const PYTHON_CALLBACK_CLIENT: &str = r#"
import json, logging, sys, threading, time
import Pyro5.api
from Pyro5.api import Daemon, Proxy, expose, callback
Pyro5.config.SERIALIZER = sys.argv[2]

class Seen(logging.Handler):
    lines = []
    def emit(self, record):
        Seen.lines.append(record.getMessage())
logging.getLogger("Pyro5").addHandler(Seen())
logging.getLogger("Pyro5").setLevel(logging.WARNING)

@expose
class Handler:
    def __init__(self):
        self.done_ = []
    def done(self, number):
        self.done_.append(number)
        return number
    def call1(self):
        return 1 // 0
    @callback
    def call2(self):
        return 1 // 0

daemon = Daemon(host="127.0.0.1")
handler = Handler()
daemon.register(handler)
threading.Thread(target=daemon.requestLoop, daemon=True).start()
with Proxy(sys.argv[1]) as server:
    outcomes = server.do_callbacks(handler)
# The re-raise happens in the daemon's worker after the reply went out.
for _ in range(100):
    if Seen.lines:
        break
    time.sleep(0.02)
print(json.dumps({"outcomes": outcomes, "done": handler.done_,
                  "logged": [l.split(";")[0] for l in Seen.lines]}))
daemon.shutdown()
"#;

#[test]
fn callbacks_python_to_rust_to_python() {
    let daemon = Arc::new(Daemon::bind("127.0.0.1", 0).unwrap());
    let uri = daemon.register(RustServer, Some("server")).unwrap();
    let serving = Arc::clone(&daemon);
    let server = std::thread::spawn(move || serving.request_loop());
    for serializer in SERIALIZERS {
        let out =
            python().command().args(["-c", PYTHON_CALLBACK_CLIENT, &uri.to_string(), serializer]).output().unwrap();
        assert!(out.status.success(), "{serializer}: {}", String::from_utf8_lossy(&out.stderr));
        let out: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            out["outcomes"],
            serde_json::json!([
                "7",
                "builtins.ZeroDivisionError: integer division or modulo by zero",
                "builtins.ZeroDivisionError: integer division or modulo by zero"
            ]),
            "{serializer}: {out}"
        );
        assert_eq!(out["done"], serde_json::json!([7]));
        // Pyro5 re-raised the @callback method's exception on its side (and only that one).
        assert_eq!(
            out["logged"],
            serde_json::json!(["error during handleRequest: integer division or modulo by zero"]),
            "{serializer}: {out}"
        );
    }
    daemon.shutdown();
    server.join().unwrap().unwrap();
}

// ---- A callback into a busy object ----

/// An object whose `&mut self` method calls a Python server, which calls it back meanwhile.
pub struct Busy {
    runs: u32,
}

#[pyro::expose]
impl Busy {
    /// Asks the Python server to call `me` back while this method runs.
    pub fn work(&mut self, server: PokerProxy, me: BusyProxy) -> Result<String, String> {
        self.runs += 1;
        server.poke(me).map_err(|e| e.to_string())
    }

    /// What the server calls back.
    pub fn poked(&mut self) -> u32 {
        self.runs
    }
}

/// The Python server, as Rust sees it.
#[pyro::expose]
pub trait Poker {
    /// Calls `busy.poked()`; what came of it.
    fn poke(&self, busy: BusyProxy) -> String;
}

const PYTHON_POKER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose

@expose
class Poker:
    def poke(self, busy):
        try:
            return "poked %d" % busy.poked()
        except Exception as x:
            return "%s: %s" % (type(x).__name__, x)

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Poker(), "poker"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

#[test]
fn a_python_callback_into_a_busy_object_is_refused_instead_of_deadlocking() {
    let server = PythonServer::start(python(), PYTHON_POKER);
    let daemon = Arc::new(Daemon::bind("127.0.0.1", 0).unwrap());
    daemon.register(Busy { runs: 0 }, Some("busy")).unwrap();
    let serving = Arc::clone(&daemon);
    let loop_thread = std::thread::spawn(move || serving.request_loop());
    let busy = BusyProxy::from(daemon.proxy_for("busy").unwrap());
    let poker = PokerProxy::new(server.uri()).unwrap();
    let outcome = busy.work(poker.clone(), busy.clone()).unwrap();
    assert!(outcome.starts_with("PyroError: object is busy"), "{outcome}");
    // Not busy any more.
    assert_eq!(poker.poke(busy).unwrap(), "poked 1");
    daemon.shutdown();
    loop_thread.join().unwrap().unwrap();
}
