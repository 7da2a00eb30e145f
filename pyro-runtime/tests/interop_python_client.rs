//! A real Python Pyro5 5.17 client against the Rust daemon, over every serializer: calls with
//! positional and keyword arguments, results, exceptions with remote tracebacks, oneway calls,
//! metadata, unknown methods and objects, and `Pyro.Daemon`. Also a stock client from a Pyro5
//! without msgpack ([`pyro_interop::python_plain`]) with its default configuration (serpent).
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::{config, start};
use pyro_runtime::value::Value;
use serde_json::{Value as Json, json};

const SCRIPT: &str = r#"
import json, sys
import Pyro5.api, Pyro5.errors
if sys.argv[2]:
    Pyro5.config.SERIALIZER = sys.argv[2]
uri = sys.argv[1]

def out(name, value):
    print(json.dumps({"case": name, "value": value}), flush=True)

def err(e):
    return {"class": type(e).__module__ + "." + type(e).__name__, "message": str(e),
            "traceback": getattr(e, "_pyroTraceback", None)}

with Pyro5.api.Proxy(uri) as p:
    out("serializer", Pyro5.config.SERIALIZER)
    out("add", p.add(1, 2))
    out("add_kw", p.add(a=40, b=2))
    out("greet_kw", p.greet("bob", greeting="hi"))
    out("greet_default", p.greet(name="ann"))
    out("echo", p.echo({"k": [1, 2.5, None, True, "s"]}))
    out("incr", [p.incr(), p.incr()])
    p._pyroBind()
    out("methods", sorted(p._pyroMethods))
    out("oneway", sorted(p._pyroOneway))
    try:
        p.fail("oops")
    except ValueError as e:
        out("fail", err(e))
        out("fail_tb", "".join(e._pyroTraceback))
        out("fail_remote_tb", "".join(Pyro5.errors.get_pyro_traceback()))
    try:
        p.add(1)
    except TypeError as e:
        out("typeerror", err(e))
    try:
        p._pyroInvoke("nope", (), {})
    except AttributeError as e:
        out("unknown_method", err(e))
    try:
        p.panic()
    except RuntimeError as e:
        out("panic", err(e))
    out("oneway_call", p.notify("event"))
    out("after_oneway", p.add(2, 2))

try:
    with Pyro5.api.Proxy(uri.replace("PYRO:thing@", "PYRO:nobody@")) as p:
        p.add(1, 2)
except Pyro5.errors.CommunicationError as e:
    out("unknown_object", err(e))

with Pyro5.api.Proxy(uri.replace("PYRO:thing@", "PYRO:Pyro.Daemon@")) as d:
    out("daemon_ping", d.ping())
    out("daemon_registered", d.registered())
    meta = d.get_metadata("thing")
    out("daemon_metadata", {k: sorted(v) for k, v in meta.items()})
    out("daemon_info", d.info())
    try:
        d.get_metadata("nobody")
    except Pyro5.errors.DaemonError as e:
        out("daemon_unknown", err(e))
out("done", True)
"#;

fn run(serializer: &str) {
    run_in(pyro_interop::python(), serializer, serializer);
}

/// Runs the script in `python` with `PYRO_SERIALIZER`-free settings plus `serializer` (empty:
/// Pyro5's default), expecting the client to speak `expected`.
fn run_in(python: &pyro_interop::Python, serializer: &str, expected: &str) {
    let daemon = start(config());
    let uri = daemon.daemon.uri_for("thing").unwrap().to_string();
    let output = python.command().args(["-c", SCRIPT, &uri, serializer]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{serializer}: python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cases: std::collections::HashMap<String, Json> = stdout
        .lines()
        .map(|line| {
            let v: Json = serde_json::from_str(line).unwrap();
            (v["case"].as_str().unwrap().to_owned(), v["value"].clone())
        })
        .collect();
    let case = |name: &str| cases.get(name).unwrap_or_else(|| panic!("{serializer}: no {name} in\n{stdout}")).clone();
    assert_eq!(case("serializer"), json!(expected));
    assert_eq!(case("add"), json!(3));
    assert_eq!(case("add_kw"), json!(42));
    assert_eq!(case("greet_kw"), json!("hi, bob!"));
    assert_eq!(case("greet_default"), json!("hello, ann!"));
    assert_eq!(case("echo"), json!({"k": [1, 2.5, null, true, "s"]}));
    assert_eq!(case("incr"), json!([1, 2]));
    assert_eq!(
        case("methods"),
        json!(["add", "blob", "echo", "fail", "greet", "incr", "notify", "panic", "slow", "stop"])
    );
    assert_eq!(case("oneway"), json!(["notify"]));
    let fail = case("fail");
    assert_eq!((fail["class"].clone(), fail["message"].clone()), (json!("builtins.ValueError"), json!("oops")));
    let tb = case("fail_tb");
    assert!(
        tb.as_str().unwrap().contains("thing.fail") && tb.as_str().unwrap().ends_with("ValueError: oops\n"),
        "{tb}"
    );
    let remote_tb = case("fail_remote_tb");
    assert!(
        remote_tb.as_str().unwrap().contains("Remote traceback") && remote_tb.as_str().unwrap().contains("thing.fail"),
        "{remote_tb}"
    );
    assert_eq!(case("typeerror")["class"], json!("builtins.TypeError"));
    let unknown = case("unknown_method");
    assert_eq!(unknown["class"], json!("builtins.AttributeError"));
    assert!(unknown["message"].as_str().unwrap().contains("nope"), "{unknown}");
    let panic = case("panic");
    assert_eq!(panic["class"], json!("builtins.RuntimeError"));
    assert!(panic["message"].as_str().unwrap().contains("deliberate test panic"));
    assert_eq!(case("oneway_call"), Json::Null);
    assert_eq!(case("after_oneway"), json!(4));
    let unknown_object = case("unknown_object");
    assert_eq!(unknown_object["class"], json!("Pyro5.errors.CommunicationError"));
    assert!(unknown_object["message"].as_str().unwrap().ends_with("rejected: unknown object"), "{unknown_object}");
    assert_eq!(case("daemon_ping"), Json::Null);
    assert_eq!(case("daemon_registered"), json!(["Pyro.Daemon", "thing"]));
    assert_eq!(case("daemon_metadata")["oneway"], json!(["notify"]));
    let info = case("daemon_info");
    assert!(
        info.as_str().unwrap().starts_with(&format!(
            "Pyro.Daemon bound on {}, NAT None, 2 objects registered.",
            daemon.daemon.location()
        )),
        "{info}"
    );
    let daemon_unknown = case("daemon_unknown");
    assert_eq!(
        (daemon_unknown["class"].clone(), daemon_unknown["message"].clone()),
        (json!("Pyro5.errors.DaemonError"), json!("unknown object"))
    );
    assert_eq!(case("done"), json!(true));
    // The oneway call ran on the server.
    let deadline = Instant::now() + Duration::from_secs(5);
    while daemon.notified.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(*daemon.notified.lock().unwrap(), [Value::from("event")]);
    daemon.stop();
}

#[test]
fn python_client_over_msgpack() {
    run("msgpack");
}

#[test]
fn python_client_over_json() {
    run("json");
}

#[test]
fn python_client_over_serpent() {
    run("serpent");
}

#[test]
fn python_client_over_marshal() {
    run("marshal");
}

/// A stock client of a Pyro5 installed without msgpack: its default serializer is serpent.
#[test]
fn plain_python_client_with_default_config() {
    run_in(pyro_interop::python_plain(), "", "serpent");
}

/// The same Pyro5 over each serializer it has (marshal and json; serpent is the default).
#[test]
fn plain_python_client_over_marshal_and_json() {
    for serializer in ["marshal", "json"] {
        run_in(pyro_interop::python_plain(), serializer, serializer);
    }
}
