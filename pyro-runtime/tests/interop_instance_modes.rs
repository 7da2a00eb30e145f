//! Python Pyro5 clients of a Rust daemon serving classes in each instance mode, over every
//! serializer, counting instances as Pyro5's `instancemode` example does: `percall` makes one per
//! call, `session` one per proxy connection (dropped when the client disconnects), `single` one
//! for the whole daemon. `&mut self` methods count calls per instance. An instance creator that
//! fails gives the client its exception and is tried again on the next call, in every mode, as a
//! Python `__init__` that raises (checked against a Python daemon too).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyro_runtime::Error;
use pyro_runtime::daemon::{Daemon, InstanceMode};
use pyro_runtime::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply};
use serde_json::{Value as Json, json};

/// Instances made and dropped, for one class.
#[derive(Default)]
struct Stats {
    created: AtomicUsize,
    dropped: AtomicUsize,
}

/// `msg(message)` (`&mut self`): the instance's serial number and how many calls it has served.
/// `whoami()` (`&self`): the serial number and the correlation id the creator saw.
struct Counter {
    serial: usize,
    calls: usize,
    created_for: String,
    stats: Arc<Stats>,
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.stats.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

impl Dispatch<Counter> for Counter {
    fn metadata() -> Metadata {
        Metadata::new(["msg", "whoami"], [], [])
    }
    fn receiver(method: &str) -> Option<Receiver> {
        match method {
            "msg" => Some(Receiver::Exclusive),
            "whoami" => Some(Receiver::Shared),
            _ => None,
        }
    }
    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        args.finish()?;
        match method {
            "whoami" => ctx.encode(&(self.serial, &self.created_for)),
            _ => Err(CallArgs::unknown_method(method)),
        }
    }
    fn invoke_exclusive(&mut self, ctx: &mut CallContext, method: &str, mut args: CallArgs) -> Result<Reply, Error> {
        match method {
            "msg" => {
                let _message: String = args.required(0, "message")?;
                args.finish()?;
                self.calls += 1;
                ctx.encode(&(self.serial, self.calls))
            }
            _ => Err(CallArgs::unknown_method(method)),
        }
    }
}

fn register(daemon: &Daemon, mode: InstanceMode, id: &str) -> Arc<Stats> {
    let stats = Arc::new(Stats::default());
    let counted = Arc::clone(&stats);
    let create = move |ctx: &CallContext| Counter {
        serial: counted.created.fetch_add(1, Ordering::SeqCst) + 1,
        calls: 0,
        created_for: ctx.correlation_id().map(|id| id.to_string()).unwrap_or_default(),
        stats: Arc::clone(&counted),
    };
    daemon.register_class_with(mode, create, Some(id)).unwrap();
    stats
}

const SCRIPT: &str = r#"
import json, sys, uuid
import Pyro5.api
from Pyro5.api import Proxy, current_context
Pyro5.config.SERIALIZER = sys.argv[2]
base = sys.argv[1]
out = {}
for mode in ["percall", "session", "single"]:
    runs = []
    for proxy in range(3 if mode != "session" else 2):
        with Proxy(base.replace("OBJECT", "instance." + mode)) as p:
            runs.append([p.msg("hello%d" % proxy) for _ in range(3)])
    out[mode] = runs
with Proxy(base.replace("OBJECT", "Pyro.Daemon")) as d:
    out["registered"] = d.registered()
    out["meta"] = sorted(d.get_metadata("instance.session")["methods"])
current_context.correlation_id = uuid.UUID(int=12345)
with Proxy(base.replace("OBJECT", "instance.session")) as p:
    out["created_for"] = p.whoami()[1]
print(json.dumps(out))
"#;

#[test]
fn python_clients_count_instances_as_pyro5s_instancemode_example() {
    for serializer in ["serpent", "msgpack", "json", "marshal"] {
        let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
        let percall = register(&daemon, InstanceMode::Percall, "instance.percall");
        let session = register(&daemon, InstanceMode::Session, "instance.session");
        let single = register(&daemon, InstanceMode::Single, "instance.single");
        let base = daemon.uri_for("OBJECT").unwrap().to_string();
        let stop = daemon.shutdown_handle();
        let server = std::thread::spawn(move || daemon.request_loop());

        let output = pyro_interop::python().command().args(["-c", SCRIPT, &base, serializer]).output().unwrap();
        assert!(output.status.success(), "{serializer}: {}", String::from_utf8_lossy(&output.stderr));
        let out: Json = serde_json::from_slice(&output.stdout).unwrap();
        // percall: a new instance for every call, so each has served one call.
        assert_eq!(
            out["percall"],
            json!([[[1, 1], [2, 1], [3, 1]], [[4, 1], [5, 1], [6, 1]], [[7, 1], [8, 1], [9, 1]]])
        );
        // session: one instance per proxy connection, its `&mut self` state kept between calls.
        assert_eq!(out["session"], json!([[[1, 1], [1, 2], [1, 3]], [[2, 1], [2, 2], [2, 3]]]), "{serializer}");
        // single: one instance for every proxy.
        let single_calls: Vec<Json> = (1..=9).map(|n| json!([1, n])).collect();
        let flat: Vec<Json> =
            out["single"].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap().clone()).collect();
        assert_eq!(flat, single_calls, "{serializer}");
        assert_eq!(
            out["registered"],
            json!(["Pyro.Daemon", "instance.percall", "instance.session", "instance.single"])
        );
        assert_eq!(out["meta"], json!(["msg", "whoami"]));
        // The creator saw the context of the call that needed the instance.
        assert_eq!(out["created_for"], json!("00000000-0000-0000-0000-000000003039"), "{serializer}");

        assert_eq!(percall.created.load(Ordering::SeqCst), 9);
        assert_eq!(percall.dropped.load(Ordering::SeqCst), 9, "percall instances go with their call");
        // Each session instance is dropped when its client disconnects.
        assert!(pyro_interop::wait_for(|| session.dropped.load(Ordering::SeqCst) == 3), "{serializer}: session drops");
        assert_eq!(session.created.load(Ordering::SeqCst), 3);
        assert_eq!((single.created.load(Ordering::SeqCst), single.dropped.load(Ordering::SeqCst)), (1, 0));

        stop.shutdown();
        server.join().unwrap().unwrap();
    }
}

/// A oneway call's exclusive method on a session instance, concurrent with the connection's
/// next calls, still sees one instance.
const ONEWAY_SCRIPT: &str = r#"
import json, sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
with Pyro5.api.Proxy(sys.argv[1]) as p:
    p._pyroBind()
    p._pyroOneway.add("msg")
    for n in range(20):
        p.msg("fire and forget")
    p._pyroOneway.clear()
    print(json.dumps(p.msg("last")))
"#;

#[test]
fn oneway_calls_share_the_session_instance() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let session = register(&daemon, InstanceMode::Session, "instance.session");
    let uri = daemon.uri_for("instance.session").unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    for (run, serializer) in ["msgpack", "serpent"].into_iter().enumerate() {
        let output = pyro_interop::python().command().args(["-c", ONEWAY_SCRIPT, &uri, serializer]).output().unwrap();
        assert!(output.status.success(), "{serializer}: {}", String::from_utf8_lossy(&output.stderr));
        let (serial, calls): (usize, usize) = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(serial, run + 1, "{serializer}");
        // Oneway calls may still be running when the last call is served.
        assert!((1..=21).contains(&calls), "{serializer}: {calls}");
    }
    assert!(pyro_interop::wait_for(|| session.dropped.load(Ordering::SeqCst) == 2));
    assert_eq!(session.created.load(Ordering::SeqCst), 2, "one instance per connection, oneway calls included");
    stop.shutdown();
    server.join().unwrap().unwrap();
}

#[test]
fn instance_modes_parse_as_pyro5_names_them() {
    for mode in [InstanceMode::Single, InstanceMode::Session, InstanceMode::Percall] {
        assert_eq!(mode.as_str().parse::<InstanceMode>().unwrap(), mode);
    }
    assert!("shared".parse::<InstanceMode>().is_err());
}

#[test]
fn rust_proxies_get_one_session_instance_per_connection() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let session = register(&daemon, InstanceMode::Session, "instance.session");
    let uri = daemon.uri_for("instance.session").unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    let proxy = pyro_runtime::proxy::Proxy::new(uri.clone());
    let calls: Vec<(usize, usize)> = (0..3).map(|_| proxy.call("msg", &("hi",)).unwrap()).collect();
    assert_eq!(calls, [(1, 1), (1, 2), (1, 3)]);
    proxy.release();
    assert!(pyro_interop::wait_for(|| session.dropped.load(Ordering::SeqCst) == 1), "released: dropped");
    // The next call connects again: a new session, a new instance.
    assert_eq!(proxy.call::<_, (usize, usize)>("msg", &("hi",)).unwrap(), (2, 1));
    drop(proxy);
    assert!(pyro_interop::wait_for(|| session.dropped.load(Ordering::SeqCst) == 2), "dropped proxy: dropped");
    stop.shutdown();
    server.join().unwrap().unwrap();
}

/// `msg()` of an instance whose creator needs the `USER` annotation: the user the instance was
/// made for, its serial number (the creator's attempt that made it) and its calls.
struct Picky {
    user: String,
    serial: usize,
    calls: usize,
}

impl Dispatch<Picky> for Picky {
    fn metadata() -> Metadata {
        Metadata::new(["msg"], [], [])
    }
    fn receiver(method: &str) -> Option<Receiver> {
        (method == "msg").then_some(Receiver::Exclusive)
    }
    fn invoke_shared(&self, _: &mut CallContext, method: &str, _: CallArgs) -> Result<Reply, Error> {
        Err(CallArgs::unknown_method(method))
    }
    fn invoke_exclusive(&mut self, ctx: &mut CallContext, _: &str, args: CallArgs) -> Result<Reply, Error> {
        args.finish()?;
        self.calls += 1;
        ctx.encode(&(&self.user, self.serial, self.calls))
    }
}

/// Python's `Picky.__init__` in Rust: every attempt counts; without a `USER` annotation it fails
/// with `KeyError('USER')`, as Python's `current_context.annotations["USER"]` does.
fn register_picky(daemon: &Daemon, mode: InstanceMode, id: &str) {
    let attempts = AtomicUsize::new(0);
    let create = move |ctx: &CallContext| {
        let serial = attempts.fetch_add(1, Ordering::SeqCst) + 1;
        let key = pyro_runtime::protocol::AnnotationId::try_from("USER")?;
        match ctx.annotations().get(key) {
            Some(user) => Ok(Picky { user: String::from_utf8_lossy(user).into_owned(), serial, calls: 0 }),
            None => Err(Error::from(pyro_runtime::RemoteError::new(
                "builtins.KeyError",
                vec![pyro_runtime::Value::from("USER")],
            ))),
        }
    };
    daemon.register_class_try_with(mode, create, Some(id)).unwrap();
}

/// The same classes in Python: `__init__` reads the `USER` annotation.
const PICKY_SERVER: &str = r#"
from Pyro5.api import Daemon, behavior, expose, current_context

def picky(mode):
    attempts = [0]
    @behavior(instance_mode=mode)
    @expose
    class Picky:
        def __init__(self):
            attempts[0] += 1
            self.serial = attempts[0]
            self.user = bytes(current_context.annotations["USER"]).decode()
            self.calls = 0
        def msg(self):
            self.calls += 1
            return [self.user, self.serial, self.calls]
    return Picky

d = Daemon(host="127.0.0.1")
for ser in ["serpent", "msgpack", "json", "marshal"]:
    for mode in ["single", "session", "percall"]:
        d.register(picky(mode), "picky.%s.%s" % (mode, ser))
print(d.uriFor("OBJECT"), flush=True)
d.requestLoop()
"#;

/// A Python client: per mode, calls without and with a user on one connection, then one call
/// with another user on a second connection, then a batch without a user on a third (a failing
/// creator fails the whole batch, not its first call); each exception as its class, text and
/// args.
const PICKY_CLIENT: &str = r#"
import json, sys
import Pyro5.api
from Pyro5.api import Proxy, current_context
base, ser = sys.argv[1], sys.argv[2]
Pyro5.config.SERIALIZER = ser
def call(p, user):
    current_context.annotations = {} if user is None else {"USER": user}
    try:
        return p.msg()
    except Exception as e:
        return ["%s.%s" % (type(e).__module__, type(e).__name__), str(e), list(e.args)]
out = {}
for mode in ["single", "session", "percall"]:
    uri = base.replace("OBJECT", "picky.%s.%s" % (mode, ser))
    with Proxy(uri) as p:
        out[mode] = [call(p, user) for user in [None, None, b"alice", None, b"bob"]]
    with Proxy(uri) as p:
        out[mode].append(call(p, b"carol"))
    if ser == "marshal":
        continue  # Pyro5 5.17 batch calls over marshal fail in the client here, whatever the server
    current_context.annotations = {}
    with Proxy(uri) as p:
        batch = Pyro5.api.BatchProxy(p)
        batch.msg()
        batch.msg()
        try:
            out[mode].append(list(batch()))
        except Exception as e:
            out[mode].append(["%s.%s" % (type(e).__module__, type(e).__name__), str(e), list(e.args)])
print(json.dumps(out))
"#;

#[test]
fn a_failing_creator_gives_python_clients_its_exception_and_is_retried_as_pyro5_does() {
    let key_error = json!(["builtins.KeyError", "'USER'", ["USER"]]);
    let mut expected = json!({
        "single": [key_error, key_error, ["alice", 3, 1], ["alice", 3, 2], ["alice", 3, 3], ["alice", 3, 4],
            [["alice", 3, 5], ["alice", 3, 6]]],
        "session": [key_error, key_error, ["alice", 3, 1], ["alice", 3, 2], ["alice", 3, 3], ["carol", 4, 1],
            key_error],
        "percall": [key_error, key_error, ["alice", 3, 1], key_error, ["bob", 5, 1], ["carol", 6, 1], key_error],
    });
    let python_server = pyro_interop::PythonServer::start(pyro_interop::python(), PICKY_SERVER);
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    for serializer in ["serpent", "msgpack", "json", "marshal"] {
        for mode in [InstanceMode::Single, InstanceMode::Session, InstanceMode::Percall] {
            register_picky(&daemon, mode, &format!("picky.{mode}.{serializer}"));
        }
    }
    let rust_base = daemon.uri_for("OBJECT").unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    for serializer in ["serpent", "msgpack", "json", "marshal"] {
        for (which, base) in [("python", python_server.uri()), ("rust", rust_base.as_str())] {
            let output =
                pyro_interop::python().command().args(["-c", PICKY_CLIENT, base, serializer]).output().unwrap();
            assert!(output.status.success(), "{which}, {serializer}: {}", String::from_utf8_lossy(&output.stderr));
            let out: Json = serde_json::from_slice(&output.stdout).unwrap();
            if serializer == "marshal" {
                for mode in ["single", "session", "percall"] {
                    expected[mode].as_array_mut().unwrap().truncate(6);
                }
            }
            assert_eq!(out, expected, "{which} server, {serializer}");
        }
    }
    stop.shutdown();
    server.join().unwrap().unwrap();
}
