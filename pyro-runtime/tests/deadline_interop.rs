//! Deadlines with real Python Pyro5 5.17 peers: a Python daemon gets our `DDLN` annotation and
//! ignores it (the Rust proxy still bounds its wait, and goes on after a timeout); a Python
//! client sends none, and a pyro daemon serves it without a deadline; a Python client that does
//! send one gets `Pyro5.errors.TimeoutError` for a call refused past it.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use pyro::proxy::Proxy;
use pyro::{Config, Daemon, Error, Serializer, Value, deadline};
use pyro_interop::PythonServer;

const PYTHON_DAEMON: &str = r#"
import time
from Pyro5.api import Daemon, expose, current_context

@expose
class Slow:
    def sleep(self, seconds):
        time.sleep(seconds)
        return seconds

    def add(self, a, b):
        return a + b

    def annotations(self):
        return {k: len(v) for k, v in current_context.annotations.items()}

d = Daemon(host="127.0.0.1")
print(d.register(Slow(), "slow"), flush=True)
d.requestLoop()
"#;

#[test]
fn a_python_daemon_ignores_the_annotation_and_the_proxy_bounds_its_wait() {
    let server = PythonServer::start(pyro_interop::python(), PYTHON_DAEMON);
    for ser in [Serializer::Serpent, Serializer::Json, Serializer::Msgpack, Serializer::Marshal] {
        let proxy =
            Proxy::from_uri_str(server.uri()).unwrap().with_serializer(ser).with_timeout(Some(Duration::from_secs(10)));
        // The annotation arrives (8 bytes) and changes nothing.
        let seen: Value = deadline::within(Duration::from_secs(5), || proxy.call("annotations", &())).unwrap();
        let Value::Dict(seen) = seen else { panic!("{ser}: {seen:?}") };
        assert_eq!(seen.get("DDLN"), Some(&Value::Int(8)), "{ser}: {seen:?}");
        let none: Value = proxy.call("annotations", &()).unwrap();
        assert_eq!(none, Value::Dict(Default::default()), "{ser}: no deadline, no annotation");
        assert_eq!(deadline::within(Duration::from_secs(5), || proxy.call::<_, i64>("add", &(2, 3))).unwrap(), 5);
        // The daemon sleeps 3 s; the caller waits 300 ms.
        let start = Instant::now();
        let error =
            deadline::within(Duration::from_millis(300), || proxy.call::<_, f64>("sleep", &(3.0,))).unwrap_err();
        assert!(matches!(error, Error::Timeout { .. }), "{ser}: {error:?}");
        assert!(start.elapsed() < Duration::from_millis(1500), "{ser}: {:?}", start.elapsed());
        // The proxy goes on (on a new connection: the old one has a late reply coming).
        assert_eq!(proxy.call::<_, i64>("add", &(1, 1)).unwrap(), 2, "{ser}");
        assert_eq!(proxy.call::<_, f64>("sleep", &(0.01,)).unwrap(), 0.01);
    }
}

/// Served by pyro: what a call sees of its deadline.
pub struct Clock;

#[pyro::expose]
impl Clock {
    /// The milliseconds left of the call's deadline (`None`: no deadline).
    pub fn left_ms(&self) -> Option<u64> {
        deadline::current().map(|d| u64::try_from(d.remaining().as_millis()).unwrap())
    }
}

const PYTHON_CLIENT: &str = r#"
import sys, json
from Pyro5.api import Proxy, current_context
import Pyro5.errors

out = {}
with Proxy(sys.argv[1]) as p:
    out["plain"] = p.left_ms()
    current_context.annotations = {"DDLN": (2000000).to_bytes(8, "big")}
    out["with"] = p.left_ms()
    current_context.annotations = {"DDLN": (0).to_bytes(8, "big")}
    try:
        p.left_ms()
        out["expired"] = "returned"
    except Pyro5.errors.TimeoutError as e:
        out["expired"] = "TimeoutError: " + str(e)
    current_context.annotations = {"DDLN": b"nope"}
    try:
        p.left_ms()
        out["malformed"] = "returned"
    except ValueError as e:
        out["malformed"] = "ValueError: " + str(e)
    current_context.annotations = {}
    out["after"] = p.left_ms()
print(json.dumps(out))
"#;

#[test]
fn python_clients_send_no_deadline_and_see_refusals_as_timeout_errors() {
    let config = Config { comm_timeout: Some(Duration::from_secs(10)), ..Config::default() };
    let daemon = Daemon::builder().config(config).host("127.0.0.1").bind().unwrap();
    let uri = daemon.register(Clock, Some("clock")).unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let serving = std::thread::spawn(move || daemon.request_loop());
    let output = pyro_interop::python().command().args(["-c", PYTHON_CLIENT, &uri]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let out: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(out["plain"], serde_json::Value::Null, "{out}");
    let with = out["with"].as_u64().unwrap();
    assert!(with > 1000 && with <= 2000, "{out}");
    let expired = out["expired"].as_str().unwrap();
    assert!(expired.starts_with("TimeoutError: ") && expired.contains("deadline"), "{out}");
    let malformed = out["malformed"].as_str().unwrap();
    assert!(malformed.contains("DDLN"), "{out}");
    assert_eq!(out["after"], serde_json::Value::Null, "{out}");
    stop.shutdown();
    serving.join().unwrap().unwrap();
}
