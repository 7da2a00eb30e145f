//! Pyro5's streaming example against its Rust port, every program unchanged, over the default
//! serializer (serpent): `streaming_server` with Python's `client.py`, and Python's `server.py`
//! (in a plain `pip install Pyro5` environment) with `streaming_client`; both print exactly
//! what Python's programs print. With `PYRO_ITER_STREAMING=false` both servers print the other
//! note and both clients stop at the first stream with Pyro5's `ProtocolError`. `fibonacci`,
//! which the client leaves out, streams the same unbounded ints from both servers.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::Command;
use std::time::Duration;

use examples_support::{assert_banner, example, next_lines, python_example, run_with_input, spawn_with_lines};

/// Everything `client.py` prints, and `streaming_client` too.
const CLIENT_OUTPUT: &str = "Enter streaming server uri: \n\
normal list:\n\
[1, 2, 3, 4, 5, 6, 7, 8, 9]\n\
\n\
via iterator:\n\
[1, 2, 3, 4, 5, 6, 7, 8, 9]\n\
\n\
via generator:\n\
[1, 2, 3, 4, 5, 6, 7, 8, 9]\n\
\n\
slow generator:\n\
1\n2\n3\n4\n5\n6\n7\n8\n9\n\
\n\
property iterator:\n\
[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n\
\n\
property generator:\n\
[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n";

/// What a client prints before the first stream, which a server not streaming refuses.
const CLIENT_OUTPUT_NOT_STREAMING: &str = "Enter streaming server uri: \n\
normal list:\n\
[1, 2, 3, 4, 5, 6, 7, 8, 9]\n\
\n\
via iterator:\n";

const REFUSED: &str =
    "Pyro5.errors.ProtocolError: result of call is an iterator, but the server is not configured to allow streaming";

const STREAMING_ON: &str = "Note: iter-streaming has been enabled in the Pyro config.";
const STREAMING_OFF: &str = "Note: iter-streaming has not been enabled in the Pyro config (PYRO_ITER_STREAMING).";

const LONG: Duration = Duration::from_secs(60);

/// Starts a server program, checks its note and banner, and returns it with its URI.
fn start(server: Command, note: &str) -> (examples_support::Process, String) {
    let (process, lines) = spawn_with_lines(server);
    let printed = next_lines(&lines, 4, Duration::from_secs(30));
    assert_eq!(printed[0], note);
    let uri = assert_banner(&printed[1..], "Streamer", "example.streamer");
    (process, uri)
}

fn python_server() -> Command {
    python_example(pyro_interop::python_plain(), "streaming", "server.py")
}

#[test]
fn rust_server_python_client() {
    let (_server, uri) = start(example("streaming_server"), STREAMING_ON);
    let client = python_example(pyro_interop::python(), "streaming", "client.py");
    let out = run_with_input(client, &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "client.py failed: {}", out.stderr);
    assert_eq!(out.stdout, CLIENT_OUTPUT);
}

#[test]
fn python_server_rust_client() {
    let (_server, uri) = start(python_server(), STREAMING_ON);
    let out = run_with_input(example("streaming_client"), &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "streaming_client failed: {}", out.stderr);
    assert_eq!(out.stdout, CLIENT_OUTPUT);
    assert_eq!(out.stderr, "");
}

#[test]
fn with_streaming_off_both_clients_stop_at_the_first_stream() {
    let mut rust = example("streaming_server");
    rust.env("PYRO_ITER_STREAMING", "false");
    let (_rust, rust_uri) = start(rust, STREAMING_OFF);
    let mut python = python_server();
    python.env("PYRO_ITER_STREAMING", "false");
    let (_python, python_uri) = start(python, STREAMING_OFF);

    let client = python_example(pyro_interop::python(), "streaming", "client.py");
    let out = run_with_input(client, &format!("{rust_uri}\n"), LONG);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, CLIENT_OUTPUT_NOT_STREAMING);
    assert_eq!(out.stderr.lines().last(), Some(REFUSED), "{}", out.stderr);

    let out = run_with_input(example("streaming_client"), &format!("{python_uri}\n"), LONG);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, CLIENT_OUTPUT_NOT_STREAMING);
    assert_eq!(out.stderr, format!("{REFUSED}\n"));
}

const FIBONACCI: &str = r#"
import sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
with Pyro5.api.Proxy(sys.argv[1]) as p:
    numbers = p.fibonacci()
    print([next(numbers) for _ in range(300)])
    print(sorted(p._pyroAttrs), sorted(p._pyroMethods))
"#;

#[test]
fn fibonacci_streams_the_same_unbounded_ints() {
    let (_rust, rust_uri) = start(example("streaming_server"), STREAMING_ON);
    let (_python, python_uri) = start(python_server(), STREAMING_ON);
    for serializer in ["serpent", "json", "marshal"] {
        let run = |uri: &str| {
            let mut command = pyro_interop::python().command();
            command.args(["-c", FIBONACCI, uri, serializer]);
            let out = run_with_input(command, "", LONG);
            assert_eq!(out.code, Some(0), "{serializer}: {}", out.stderr);
            out.stdout
        };
        let python = run(&python_uri);
        assert!(python.contains(", 137347080577163115432025771710279131845700275212767467264610201]"), "{python}");
        assert_eq!(run(&rust_uri), python, "{serializer}");
    }
}
