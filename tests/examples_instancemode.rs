//! Pyro5's instancemode example against its Rust port, every program unchanged, with our name
//! server (found by `PYRO_NS_HOST`/`PYRO_NS_PORT`, as Pyro5 programs find it):
//! `instancemode_server` with Python's `client.py` (serpent, and msgpack), and Python's
//! `server.py` with `instancemode_client`. Both clients print the same lines (instance numbers
//! aside): a new instance per percall call, one per session (proxy connection), one single
//! instance; both servers print the same banner, creation and call lines.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use examples_support::{Process, example, next_lines, python_example, run_with_input, spawn_with_lines};
use pyro_ns::{NameServerBuilder, RunningNameServer};

const LONG: Duration = Duration::from_secs(60);

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

/// Points a program at `ns`, as a Pyro5 user would with the environment.
fn with_ns(mut command: Command, ns: &RunningNameServer) -> Command {
    command.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", ns.uri().port().unwrap().to_string());
    command
}

/// The instance numbers a client printed, after checking every other line.
struct Printed {
    percall: Vec<String>,
    /// The session calls: the instance and the correlation id its creator saw.
    session: Vec<(String, String)>,
    single: Vec<String>,
}

/// Checks the client's output line by line (as Python's `client.py` prints it) and returns the
/// instance numbers; `tuple` is how the session results print: `(`…`)` over serpent, `[`…`]`
/// over json and msgpack (lists).
fn check_client(stdout: &str, tuple: (char, char)) -> Printed {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 33, "{stdout}");
    assert_eq!(lines[0], "Showing the different instancing modes.");
    assert_eq!(lines[1], "The number printed, is the id of the instance that handled the call.");
    assert_eq!(lines[2..4], ["", "-----PERCALL (different number *possible* every time) -----"]);
    assert_eq!(lines[13..15], ["", "-----SESSION (same numbers within session) -----"]);
    assert_eq!(lines[18], " ..new proxy..");
    assert_eq!(lines[22..24], ["", "-----SINGLE (same number always, even over proxies) -----"]);
    let number = |line: &str| {
        assert!(!line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()), "not an id: {line:?}\n{stdout}");
        line.to_owned()
    };
    let session_result = |line: &str| {
        let inner =
            line.strip_prefix(tuple.0).and_then(|l| l.strip_suffix(tuple.1)).unwrap_or_else(|| panic!("{line}"));
        let (id, correlation) = inner.split_once(", ").unwrap_or_else(|| panic!("{line}"));
        let correlation = correlation.strip_prefix('\'').and_then(|c| c.strip_suffix('\'')).unwrap();
        let uuid_shape = correlation.len() == 36
            && correlation
                .char_indices()
                .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() });
        assert!(uuid_shape, "not a uuid: {line}");
        (number(id), correlation.to_owned())
    };
    let printed = Printed {
        percall: lines[4..13].iter().map(|l| number(l)).collect(),
        session: lines[15..18].iter().chain(&lines[19..22]).map(|l| session_result(l)).collect(),
        single: lines[24..33].iter().map(|l| number(l)).collect(),
    };
    let (first, second) = printed.session.split_at(3);
    assert!(first.iter().all(|s| *s == first[0]) && second.iter().all(|s| *s == second[0]), "{stdout}");
    assert_ne!(first[0], second[0], "a new session, a new instance: {stdout}");
    assert!(printed.single.iter().all(|id| *id == printed.single[0]), "{stdout}");
    printed
}

/// Checks a server's banner (Pyro5's `serve()` with a name server): each class under a
/// generated id, then its name.
fn check_banner(lines: &[String]) {
    let classes = [("SingleInstance", "single"), ("SessionInstance", "session"), ("PercallInstance", "percall")];
    for (n, (class, mode)) in classes.iter().enumerate() {
        let block = &lines[n * 3..n * 3 + 3];
        assert_eq!(block[0], format!("Object <class '__main__.{class}'>:"), "{lines:#?}");
        let uri = block[1].strip_prefix("    uri = PYRO:obj_").unwrap_or_else(|| panic!("{lines:#?}"));
        let (id, location) = uri.split_once('@').unwrap();
        assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{uri}");
        assert!(location.starts_with("localhost:"), "{uri}");
        assert_eq!(block[2], format!("    name = instance.{mode}"));
    }
    assert_eq!(lines[9], "Pyro daemon running.");
}

/// What a server prints while a client runs, given the numbers that client printed: a creation
/// line before an instance's first call, a line per call.
fn expected_server_lines(printed: &Printed, single_is_new: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for (n, id) in printed.percall.iter().enumerate() {
        lines.push(format!("created PercallInstance instance with id {id}"));
        lines.push(format!("[{id}] PercallInstance.msg: hello{}", n / 3 + 1));
    }
    for (n, (id, _)) in printed.session.iter().enumerate() {
        if n % 3 == 0 {
            lines.push(format!("created SessionInstance instance with id {id}"));
        }
        lines.push(format!("[{id}] SessionInstance.msg: hello{}", n / 3 + 1));
    }
    for (n, id) in printed.single.iter().enumerate() {
        if n == 0 && single_is_new {
            lines.push(format!("created SingleInstance instance with id {id}"));
        }
        lines.push(format!("[{id}] SingleInstance.msg: hello{}", n / 3 + 1));
    }
    lines
}

fn start_server(command: Command) -> (Process, Receiver<String>) {
    let (process, lines) = spawn_with_lines(command);
    check_banner(&next_lines(&lines, 10, Duration::from_secs(30)));
    (process, lines)
}

#[test]
fn rust_server_python_client() {
    let ns = name_server();
    let (_server, server_lines) = start_server(with_ns(example("instancemode_server"), &ns));
    for (run, (serializer, tuple)) in [("serpent", ('(', ')')), ("msgpack", ('[', ']'))].into_iter().enumerate() {
        let mut client = with_ns(python_example(pyro_interop::python(), "instancemode", "client.py"), &ns);
        client.env("PYRO_SERIALIZER", serializer);
        let out = run_with_input(client, "", LONG);
        assert_eq!(out.code, Some(0), "client.py failed: {}", out.stderr);
        let printed = check_client(&out.stdout, tuple);
        // The Rust server numbers its instances: a new one for every percall call.
        let mut percall = printed.percall.clone();
        percall.dedup();
        assert_eq!(percall.len(), 9, "{serializer}");
        let expected = expected_server_lines(&printed, run == 0);
        assert_eq!(next_lines(&server_lines, expected.len(), Duration::from_secs(10)), expected, "{serializer}");
    }
}

#[test]
fn python_server_rust_client() {
    let ns = name_server();
    let (_server, server_lines) =
        start_server(with_ns(python_example(pyro_interop::python(), "instancemode", "server.py"), &ns));
    let out = run_with_input(with_ns(example("instancemode_client"), &ns), "", LONG);
    assert_eq!(out.code, Some(0), "instancemode_client failed: {}", out.stderr);
    assert_eq!(out.stderr, "");
    let printed = check_client(&out.stdout, ('(', ')'));
    let expected = expected_server_lines(&printed, true);
    assert_eq!(next_lines(&server_lines, expected.len(), Duration::from_secs(10)), expected);
}

#[test]
fn rust_client_rust_server_and_no_name_server() {
    let ns = name_server();
    let (_server, server_lines) = start_server(with_ns(example("instancemode_server"), &ns));
    let mut client = with_ns(example("instancemode_client"), &ns);
    client.env("PYRO_SERIALIZER", "json");
    let out = run_with_input(client, "", LONG);
    assert_eq!(out.code, Some(0), "instancemode_client failed: {}", out.stderr);
    let printed = check_client(&out.stdout, ('[', ']'));
    let expected = expected_server_lines(&printed, true);
    assert_eq!(next_lines(&server_lines, expected.len(), Duration::from_secs(10)), expected);

    // Without a name server, the server stops as Pyro5's `serve()` does: a NamingError.
    let mut alone = example("instancemode_server");
    alone.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", "1").env("PYRO_BROADCAST_ADDRS", "127.0.0.1");
    alone.env("PYRO_NS_BCPORT", "1");
    let out = run_with_input(alone, "", LONG);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("Pyro5.errors.NamingError: "), "{}", out.stderr);
}
