//! Pyro5's callcontext example against its Rust port, every program unchanged, over the
//! default serializer (serpent): `callcontext_server` with Python's `client.py`, and Python's
//! `server.py` with `callcontext_client`. Both clients print exactly what Python's client
//! prints (the correlation id they made up aside); both servers print, for each call, the same
//! lines about its context (message, object id, client address, sequence number, message flags,
//! serializer id, the client's correlation id and its `XYZZ` annotation), the thread, daemon and
//! connection lines differing only as `callcontext_server`'s documentation says.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use examples_support::{Process, example, matches, next_lines, python_example, run_with_input, spawn_with_lines};

/// What `client.py` prints after its first line (the correlation id), and `callcontext_client` too.
const CLIENT_OUTPUT: &str = "Enter the URI of the server object: \n\
------- get annotations via normal proxy and the call context... -----\n\
\n\
normal call\n\
Annotations in response were: \n   \
DDAA -> b'custom response annotation set by the daemon'\n\
\n\
oneway call\n\
Annotations in response were: \n\
(should be an empty result because oneway!)\n\
\n\
See the console output on the server for more results.\n";

const LONG: Duration = Duration::from_secs(60);

/// Starts a server program and returns it with its URI (its second line).
fn start(server: Command) -> (Process, mpsc::Receiver<String>, String) {
    let (process, lines) = spawn_with_lines(server);
    let banner = next_lines(&lines, 2, Duration::from_secs(30));
    assert_eq!(banner[0], "Server is ready. You can use the following URI to connect:");
    assert!(matches("PYRO:example.context@localhost:#", &banner[1]), "{banner:?}");
    let uri = banner[1].clone();
    (process, lines, uri)
}

/// Runs a client against `uri`; checks its output and returns the correlation id it set.
fn run_client(client: Command, uri: &str) -> String {
    let out = run_with_input(client, &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "the client failed: {}", out.stderr);
    let (first, rest) = out.stdout.split_once('\n').unwrap();
    let correlation_id = first.strip_prefix("correlation id set to: ").unwrap_or_else(|| panic!("{first}"));
    assert_eq!(correlation_id.len(), 36, "{first}");
    assert_eq!(rest, CLIENT_OUTPUT);
    correlation_id.to_owned()
}

/// Checks what a server printed for the client's two calls; `rust` says which server it was.
fn check_server(lines: &mpsc::Receiver<String>, correlation_id: &str, rust: bool) {
    let printed = next_lines(lines, 24, LONG);
    let calls = [
        ("hi there - new method of annotation access in client", 1, 64, "custom annotation from client (1)"),
        ("hi there ONEWAY - new method of annotation access in client", 2, 68, "custom annotation from client (2)"),
    ];
    for (block, (message, seq, flags, annotation)) in printed.chunks(12).zip(calls) {
        let context = |line: &str| format!("{line}\nall: {printed:#?}");
        assert_eq!(block[0], "", "{}", context("a blank line"));
        assert_eq!(block[1], format!("Got Message: {message}"));
        assert!(matches("  thread:  #", &block[2]), "{}", context(&block[2]));
        assert_eq!(block[3], "  obj.pyroid:  example.context");
        let (daemon, client) = if rust {
            ("  obj.daemon:  <pyro Daemon; localhost:", "  context.client:  <pyro connection ")
        } else {
            (
                "  obj.daemon:  <__main__.CustomDaemon at 0x",
                "  context.client:  <Pyro5.socketutil.SocketConnection object at 0x",
            )
        };
        assert!(block[4].starts_with(daemon) && block[4].ends_with(" - IPv4; 2 objects>"), "{}", context(&block[4]));
        assert!(block[5].starts_with(client), "{}", context(&block[5]));
        assert!(matches("  context.client_sock_addr:  ('127.0.0.1', #)", &block[6]), "{}", context(&block[6]));
        assert_eq!(block[7], format!("  context.seq:  {seq}"));
        assert_eq!(block[8], format!("  context.msg_flags:  {flags}"));
        assert_eq!(block[9], "  context.serializer_id:  1");
        assert_eq!(block[10], format!("  context.correlation_id: {correlation_id}"));
        assert_eq!(block[11], format!("  custom annotation 'XYZZ': b'{annotation}'"));
    }
}

#[test]
fn rust_server_python_client() {
    let (_server, lines, uri) = start(example("callcontext_server"));
    let correlation_id = run_client(python_example(pyro_interop::python(), "callcontext", "client.py"), &uri);
    check_server(&lines, &correlation_id, true);
}

#[test]
fn python_server_rust_client() {
    let mut server = python_example(pyro_interop::python(), "callcontext", "server.py");
    server.env("PYTHONUNBUFFERED", "1");
    let (_server, lines, uri) = start(server);
    let correlation_id = run_client(example("callcontext_client"), &uri);
    check_server(&lines, &correlation_id, false);
}
