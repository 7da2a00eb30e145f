//! `VarArgs<T>` and `KwArgs<T>` (Python's `*args` and `**kwargs`) against real Python Pyro5
//! 5.17, over every serializer: one Python client calls the same interface on a Python object
//! (`def log(self, level, *parts, **fields)`) and on a Rust one, and both answer alike; the
//! typed proxy (and its batch) sends extra arguments to the Python object.

use pyro::{Daemon, KwArgs, Value, VarArgs};
use serde_json::{Value as Json, json};

/// The interface, in Python's terms: `log(level, *parts, **fields)`, `total(first, *rest)`,
/// `options(name, tag=None, **extra)`.
#[pyro::expose]
pub trait Varied {
    /// The level, the parts and the fields, as received.
    fn log(&self, level: i64, parts: VarArgs<String>, fields: KwArgs) -> (i64, Vec<String>, KwArgs);
    /// `first` plus the rest.
    fn total(&self, first: i64, rest: VarArgs<i64>) -> i64;
    /// The name, the tag and the extra keywords.
    fn options(&self, name: String, tag: Option<String>, extra: KwArgs<i64>) -> (String, Option<String>, KwArgs<i64>);
}

struct RustVaried;

impl Varied for RustVaried {
    fn log(&self, level: i64, parts: VarArgs<String>, fields: KwArgs) -> (i64, Vec<String>, KwArgs) {
        (level, parts.into_inner(), fields)
    }
    fn total(&self, first: i64, rest: VarArgs<i64>) -> i64 {
        first + rest.iter().sum::<i64>()
    }
    fn options(&self, name: String, tag: Option<String>, extra: KwArgs<i64>) -> (String, Option<String>, KwArgs<i64>) {
        (name, tag, extra)
    }
}

const PYTHON_SERVER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose

@expose
class Varied:
    def log(self, level, *parts, **fields):
        return level, list(parts), fields
    def total(self, first, *rest):
        return first + sum(rest)
    def options(self, name, tag=None, **extra):
        return name, tag, extra

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Varied(), "varied"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

const PYTHON_CLIENT: &str = r#"
import json, sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
v = Pyro5.api.Proxy(sys.argv[1])
out = []
def record(what, action):
    try:
        out.append([what, "ok", action()])
    except Exception as x:
        out.append([what, type(x).__module__ + "." + type(x).__name__])
record("log 1", lambda: v.log(1))
record("log parts", lambda: v.log(1, "a", "b"))
record("log fields", lambda: v.log(2, "a", user="x", n=[1, 2]))
record("log by keyword", lambda: v.log(level=3, user="y"))
record("log twice", lambda: v.log(1, level=2))
record("log nothing", lambda: v.log())
record("total", lambda: v.total(1, 2, 3))
record("total one", lambda: v.total(5))
record("total keyword", lambda: v.total(first=7))
record("options", lambda: v.options("n"))
record("options tag", lambda: v.options("n", "t"))
record("options tag keyword", lambda: v.options("n", tag="t", a=1))
record("options extra", lambda: v.options("n", a=1, b=2))
record("options name keyword", lambda: v.options(b=2, name="m"))
record("options too many", lambda: v.options("n", "t", "u"))
print(json.dumps(out))
"#;

fn run_client(uri: &str, serializer: &str) -> Json {
    let out =
        pyro_interop::python().command().args(["-c", PYTHON_CLIENT, uri, serializer]).output().expect("python runs");
    assert!(out.status.success(), "Python client failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the client prints JSON")
}

#[test]
fn python_calls_with_extra_arguments_bind_as_in_python() {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let shutdown = daemon.shutdown_handle();
    let uri = daemon.register_as::<dyn Varied, _>(RustVaried, Some("varied")).expect("register").to_string();
    let server = std::thread::spawn(move || daemon.request_loop());
    let python = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let expected = json!([
        ["log 1", "ok", [1, [], {}]],
        ["log parts", "ok", [1, ["a", "b"], {}]],
        ["log fields", "ok", [2, ["a"], {"user": "x", "n": [1, 2]}]],
        ["log by keyword", "ok", [3, [], {"user": "y"}]],
        ["log twice", "builtins.TypeError"],
        ["log nothing", "builtins.TypeError"],
        ["total", "ok", 6],
        ["total one", "ok", 5],
        ["total keyword", "ok", 7],
        ["options", "ok", ["n", null, {}]],
        ["options tag", "ok", ["n", "t", {}]],
        ["options tag keyword", "ok", ["n", "t", {"a": 1}]],
        ["options extra", "ok", ["n", null, {"a": 1, "b": 2}]],
        ["options name keyword", "ok", ["m", null, {"b": 2}]],
        ["options too many", "builtins.TypeError"],
    ]);
    for serializer in ["serpent", "marshal", "json", "msgpack"] {
        assert_eq!(run_client(python.uri(), serializer), expected, "{serializer}: the Python object");
        assert_eq!(run_client(&uri, serializer), expected, "{serializer}: the Rust object");
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}

#[test]
fn the_typed_proxy_sends_extra_arguments_to_python() {
    let python = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    for serializer in [pyro::Serializer::Serpent, pyro::Serializer::Msgpack, pyro::Serializer::Json] {
        let proxy = pyro::proxy::Proxy::from_uri_str(python.uri()).expect("valid uri").with_serializer(serializer);
        let varied = VariedProxy::from_proxy(proxy);
        assert_eq!(varied.total(1, VarArgs::from(vec![2, 3])).expect("total"), 6);
        assert_eq!(varied.total(4, VarArgs::new()).expect("total"), 4);
        let fields: KwArgs = [("user", Value::from("x"))].into_iter().collect();
        let (level, parts, fields) = varied.log(2, VarArgs::from(vec!["a".to_owned()]), fields).expect("log");
        assert_eq!((level, parts, fields.get("user")), (2, vec!["a".to_owned()], Some(&Value::from("x"))));
        // A tag left out goes by default; the extra keywords follow.
        let extra: KwArgs<i64> = [("a", 1), ("b", 2)].into_iter().collect();
        let (name, tag, back) = varied.options("n".into(), None, extra.clone()).expect("options");
        assert_eq!((name.as_str(), tag, back), ("n", None, extra.clone()));
        let (_, tag, _) = varied.options("n".into(), Some("t".into()), KwArgs::new()).expect("options");
        assert_eq!(tag.as_deref(), Some("t"));

        let mut batch = varied.batch();
        let total = batch.total(10, VarArgs::from(vec![1]));
        let options = batch.options("b".into(), None, extra.clone());
        batch.run().expect("batch");
        assert_eq!(total.get().expect("total"), 11);
        assert_eq!(options.get().expect("options"), ("b".to_owned(), None, extra));
    }
}
