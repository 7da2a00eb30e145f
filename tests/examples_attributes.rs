//! Pyro5's attributes example against its Rust port, every program unchanged, over the default
//! serializer (serpent): `attributes_server` with Python's `client.py`, and Python's
//! `server.py` with `attributes_client`; both clients print exactly what Python's client
//! prints against Python's server (remote properties, `__dunder__`, Pyro5's errors for
//! unexposed and private names, dicts arriving as local copies). Each connection gets its own
//! `Thingy` (Pyro5's `serve()` registers the class, session mode), so a second run of the
//! client against the same server prints the same again (`prop_value` starts at 42).
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::Command;
use std::time::Duration;

use examples_support::{assert_banner, example, next_lines, python_example, run_with_input, spawn_with_lines};

/// What `client.py` prints against a fresh server, with `URI` for the server's URI.
const CLIENT_OUTPUT: &str = "enter attribute server object uri: \n\
Direct attribute access:\n\
p.prop_value= 42\n\
adding 500 to p.prop_value\n\
p.prop_value= 542\n\
actual remote value:  542  (via p.getValue() remote method call)\n\
\n\
calling p.__dunder__()....:  yep\n\
\n\
Accessing unexposed attributes:\n\
accessing p.sub...\n\
ok, got expected error: remote object 'URI' has no exposed attribute or method 'sub'\n\
accessing p.value...\n\
ok, got expected error: remote object 'URI' has no exposed attribute or method 'value'\n\
accessing p._value...\n\
ok, got expected error: remote object 'URI' has no exposed attribute or method '_value'\n\
accessing p.__value...\n\
ok, got expected error: remote object 'URI' has no exposed attribute or method '__value'\n\
\n\
Trying dotted name traversal:\n\
value gotten from p.prop_sub= {'name': 'value'}\n\
\n\
Trying to update the dictionary directly on the remote object...\n\
value gotten from p.prop_sub= {'name': 'value'}   (should be unchanged!)\n\
\n\
Trying longer dotted name: p.prop_sub.foobar.attribute\n\
ok, got expected error (local only): 'dict' object has no attribute 'foobar'\n";

const LONG: Duration = Duration::from_secs(60);

/// Starts a server program, checks its banner, and returns it with its URI.
fn start(server: Command) -> (examples_support::Process, String) {
    let (process, lines) = spawn_with_lines(server);
    let printed = next_lines(&lines, 3, Duration::from_secs(30));
    let uri = assert_banner(&printed, "Thingy", "example.attributes");
    (process, uri)
}

#[test]
fn rust_server_python_client() {
    let (_server, uri) = start(example("attributes_server"));
    for run in 1..=2 {
        let client = python_example(pyro_interop::python(), "attributes", "client.py");
        let out = run_with_input(client, &format!("{uri}\n"), LONG);
        assert_eq!(out.code, Some(0), "client.py failed: {}", out.stderr);
        assert_eq!(out.stdout, CLIENT_OUTPUT.replace("URI", &uri), "run {run}: a fresh Thingy per connection");
    }
}

#[test]
fn python_server_rust_client() {
    let (_server, uri) = start(python_example(pyro_interop::python_plain(), "attributes", "server.py"));
    let out = run_with_input(example("attributes_client"), &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "attributes_client failed: {}", out.stderr);
    assert_eq!(out.stdout, CLIENT_OUTPUT.replace("URI", &uri));
    assert_eq!(out.stderr, "");
}

#[test]
fn python_server_python_client_prints_the_same() {
    let (_server, uri) = start(python_example(pyro_interop::python_plain(), "attributes", "server.py"));
    for run in 1..=2 {
        let client = python_example(pyro_interop::python(), "attributes", "client.py");
        let out = run_with_input(client, &format!("{uri}\n"), LONG);
        assert_eq!(out.code, Some(0), "client.py failed: {}", out.stderr);
        assert_eq!(out.stdout, CLIENT_OUTPUT.replace("URI", &uri), "run {run}");
    }
}
