//! Pyro5's callback example against its Rust ports, every program unchanged, with our name
//! server (in this process) and the default serializer (serpent): `callback_server` with
//! Python's `client.py` and Python's `server.py` with `callback_client`; `callback_server2` with
//! Python's `client2.py` and Python's `server2.py` with `callback_client2`. The programs print
//! the same lines (the workers in the order their random work times give; Python's local stack
//! frames, which a Rust program does not have, left out of the comparison). Each server serves
//! a `CallbackServer` per client connection (Pyro5's `serve()` registers the class), so a
//! second client's workers are numbered from 1 again.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use examples_support::{Process, example, matches, next_lines, python_example, run_with_input, spawn_with_lines};
use pyro_ns::{NameServerBuilder, RunningNameServer};

const LONG: Duration = Duration::from_secs(60);

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

/// `command` finding the name server `ns`.
fn with_ns(mut command: Command, ns: &RunningNameServer) -> Command {
    command.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", ns.uri().port().unwrap().to_string());
    command
}

/// Starts a server program and checks the banner of Pyro5's `serve()` with a name server.
fn start_server(command: Command, name: &str) -> (Process, Receiver<String>) {
    let (process, lines) = spawn_with_lines(command);
    let banner = next_lines(&lines, 4, Duration::from_secs(30));
    assert_eq!(banner[0], "Object <class '__main__.CallbackServer'>:", "{banner:?}");
    let uri = banner[1].strip_prefix("    uri = PYRO:obj_").unwrap_or_else(|| panic!("{banner:?}"));
    assert!(matches("@localhost:#", &uri[32..]), "{banner:?}");
    assert_eq!(banner[2], format!("    name = {name}"));
    assert_eq!(banner[3], "Pyro daemon running.");
    (process, lines)
}

/// What a client of the first example prints: its lines, the callbacks in any order. (Python's
/// `print` from several threads may interleave two lines' text and newline.)
fn assert_client_output(stdout: &str) {
    let head = "creating a bunch of workers\nwaiting for all work complete...\n";
    let callbacks = stdout.strip_prefix(head).unwrap_or_else(|| panic!("{stdout}"));
    let callbacks = callbacks.strip_suffix("done!\n").unwrap_or_else(|| panic!("{stdout}"));
    for n in 1..=5 {
        assert_eq!(callbacks.matches(&format!("callback: worker {n} reports work is done!")).count(), 1, "{stdout}");
    }
    assert_eq!(callbacks.len(), 5 * "callback: worker # reports work is done!\n".len(), "{stdout}");
}

/// What the first example's server prints for five workers: per worker, in order, its lines.
/// (Python's `print` from several threads may interleave two lines' text and newline, so the
/// lines are looked for in the text, not line by line.)
fn assert_server_output(lines: &Receiver<String>) {
    let expected: Vec<[String; 4]> = (1..=5)
        .map(|n| {
            [
                format!("server: adding worker {n}"),
                format!("Worker {n} created"),
                format!("Worker {n} busy..."),
                format!("Worker {n} done. Informing callback client."),
            ]
        })
        .collect();
    let mut text = String::new();
    while !expected.iter().flatten().all(|line| text.contains(line.as_str())) {
        let line = lines.recv_timeout(LONG).unwrap_or_else(|e| panic!("after {text}: {e}"));
        text.push_str(&line);
        text.push('\n');
    }
    for worker in &expected {
        let positions: Vec<usize> = worker.iter().filter_map(|line| text.find(line.as_str())).collect();
        assert!(positions.is_sorted(), "{worker:?} in {text}");
    }
}

#[test]
fn callback_rust_server_python_client() {
    let ns = name_server();
    let (_server, lines) = start_server(with_ns(example("callback_server"), &ns), "example.callback");
    for _ in 0..2 {
        let client = with_ns(python_example(pyro_interop::python(), "callback", "client.py"), &ns);
        let out = run_with_input(client, "", LONG);
        assert_eq!(out.code, Some(0), "client.py failed: {}", out.stderr);
        assert_client_output(&out.stdout);
        assert_server_output(&lines);
    }
}

#[test]
fn callback_python_server_rust_client() {
    let ns = name_server();
    let server = with_ns(python_example(pyro_interop::python(), "callback", "server.py"), &ns);
    let (_server, lines) = start_server(server, "example.callback");
    for _ in 0..2 {
        let out = run_with_input(with_ns(example("callback_client"), &ns), "", LONG);
        assert_eq!(out.code, Some(0), "callback_client failed: {}", out.stderr);
        assert_client_output(&out.stdout);
        assert_eq!(out.stderr, "");
        assert_server_output(&lines);
    }
}

/// What a client of the second example prints (it then serves until killed).
const CLIENT2_OUTPUT: [&str; 10] = [
    "waiting for callbacks to arrive...",
    "(ctrl-c/break the program once it's done)",
    "",
    "",
    "callback 1 received from server!",
    "going to crash - you won't see the exception here, only on the server",
    "",
    "",
    "callback 2 received from server!",
    "going to crash - but you will see the exception printed here too:",
];

/// What the second example's server prints for one client, without the remote traceback's
/// lines and Python's local stack frames.
const SERVER2_OUTPUT: [&str; 17] = [
    "",
    "",
    "server: doing callback 1 to client",
    "got an exception from the callback:",
    "ZeroDivisionError: integer division or modulo by zero",
    " +--- This exception occurred remotely (Pyro) - Remote traceback:",
    " +--- End of remote traceback",
    "",
    "",
    "",
    "server: doing callback 2 to client",
    "got an exception from the callback:",
    "ZeroDivisionError: integer division or modulo by zero",
    " +--- This exception occurred remotely (Pyro) - Remote traceback:",
    " +--- End of remote traceback",
    "",
    "server: callbacks done.",
];

/// The second example's server lines up to "server: callbacks done.", compared with
/// [`SERVER2_OUTPUT`]; the remote tracebacks have lines.
fn assert_server2_output(lines: &Receiver<String>) {
    let mut printed = Vec::new();
    while printed.last().map(String::as_str) != Some("server: callbacks done.") {
        printed.push(lines.recv_timeout(LONG).unwrap_or_else(|e| panic!("after {printed:#?}: {e}")));
    }
    assert!(printed.iter().filter(|line| line.starts_with(" | ")).count() >= 2, "{printed:#?}");
    let skeleton: Vec<&str> = printed
        .iter()
        .map(String::as_str)
        .filter(|line| {
            !line.starts_with(" | ") && !line.starts_with("  ") && *line != "Traceback (most recent call last):"
        })
        .collect();
    assert_eq!(skeleton, SERVER2_OUTPUT, "{printed:#?}");
}

/// Starts a client of the second example and checks what it prints; it runs on (serving its
/// handler) until the returned process is dropped. Its standard error comes with it.
fn run_client2(mut command: Command) -> (Process, Receiver<String>) {
    command.stderr(Stdio::piped());
    let (mut client, lines) = spawn_with_lines(command);
    assert_eq!(next_lines(&lines, CLIENT2_OUTPUT.len(), LONG), CLIENT2_OUTPUT);
    let stderr = client.0.stderr.take().unwrap();
    let (sender, errors) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    (client, errors)
}

/// The `@callback` method's exception, reported on the client's side too (Pyro5 logs it as a
/// warning with its traceback; pyro's port prints the hook's line).
fn assert_callback_error_reported(errors: &Receiver<String>) {
    let expected = "WARNING] error during handleRequest: integer division or modulo by zero";
    let mut seen = Vec::new();
    while !seen.iter().any(|line: &String| line.contains(expected)) {
        seen.push(errors.recv_timeout(LONG).unwrap_or_else(|e| panic!("after {seen:#?}: {e}")));
    }
}

#[test]
fn callback2_rust_server_python_client() {
    let ns = name_server();
    let (_server, lines) = start_server(with_ns(example("callback_server2"), &ns), "example.callback2");
    let (_client, errors) = run_client2(with_ns(python_example(pyro_interop::python(), "callback", "client2.py"), &ns));
    assert_server2_output(&lines);
    assert_callback_error_reported(&errors);
}

#[test]
fn callback2_python_server_rust_client() {
    let ns = name_server();
    let server = with_ns(python_example(pyro_interop::python(), "callback", "server2.py"), &ns);
    let (_server, lines) = start_server(server, "example.callback2");
    let (_client, errors) = run_client2(with_ns(example("callback_client2"), &ns));
    assert_server2_output(&lines);
    assert_callback_error_reported(&errors);
}
