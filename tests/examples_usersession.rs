//! Pyro5's usersession example against its Rust port, every program unchanged, with our name
//! server (found by `PYRO_NS_HOST`/`PYRO_NS_PORT`, as Pyro5 programs find it):
//! `usersession_server` with Python's `client.py` (serpent, and msgpack), and Python's
//! `server.py` with `usersession_client`.
//!
//! The clients' concurrent parts race by design (two threads, random delays in the database),
//! so what is checked there is what holds whatever the timing: the session-bound database never
//! fails and every round prints its value; on the singleton database every round either prints
//! its value or fails with the database's concurrency error, at least one fails (each thread
//! holds the shared connection's lock for nearly all of its run, so two threads running
//! together cannot miss each other), and the server printed one store line per store that got
//! the lock and one retrieve line per value read. The error behaviour itself is checked
//! deterministically by a sequential Python script run against both servers, whose output and
//! the servers' lines must be the same: missing and unknown users, a user name that is not
//! UTF-8, and the database's quirk that a retrieve of a missing key keeps the connection's
//! lock, so the same client thread goes on while another connection gets the concurrency
//! error. In the session-bound database the first calls of a session without a usable user fail
//! in its instance creator (Python's `__init__`), and each next call tries to create it again.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use examples_support::{Output, Process, example, next_lines, python_example, run_with_input, spawn_with_lines};
use pyro_ns::{NameServerBuilder, RunningNameServer};

const LONG: Duration = Duration::from_secs(60);

const HEADERS: [&str; 4] = [
    "\n***** Sequential access using multiple proxies on the Session-Bound Database... (no issues)\n",
    "\n***** Sequential access using multiple proxies on the Singleton Database... (no issues)\n",
    "\n***** Multiple concurrent proxies on the Session-Bound Database... (no issues)\nenter to start: ",
    "\n***** Multiple concurrent proxies on the Singleton Database... (concurrency errors will occur!)\nenter to start: ",
];

const WRITE_ERROR: &str = "RuntimeError: ERROR: concurrent connection access (write) by multiple different threads";
const READ_ERROR: &str = "RuntimeError: ERROR: concurrent connection access (read) by multiple different threads";

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

/// Points a program at `ns`, as a Pyro5 user would with the environment.
fn with_ns(mut command: Command, ns: &RunningNameServer) -> Command {
    command.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", ns.uri().port().unwrap().to_string());
    command
}

fn python(program: &str) -> Command {
    python_example(pyro_interop::python(), "usersession", program)
}

/// Starts a server program and checks its banner (Pyro5's `serve()` with a name server).
fn start_server(command: Command) -> (Process, Receiver<String>) {
    let (process, lines) = spawn_with_lines(command);
    let banner = next_lines(&lines, 7, Duration::from_secs(30));
    let classes = [("SingletonDatabase", "singletondb"), ("SessionboundDatabase", "sessiondb")];
    for (n, (class, name)) in classes.iter().enumerate() {
        let block = &banner[n * 3..n * 3 + 3];
        assert_eq!(block[0], format!("Object <class '__main__.{class}'>:"), "{banner:#?}");
        let uri = block[1].strip_prefix("    uri = PYRO:obj_").unwrap_or_else(|| panic!("{banner:#?}"));
        let (id, location) = uri.split_once('@').unwrap();
        assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{uri}");
        assert!(location.starts_with("localhost:"), "{uri}");
        assert_eq!(block[2], format!("    name = example.usersession.{name}"));
    }
    assert_eq!(banner[6], "Pyro daemon running.");
    (process, lines)
}

/// Takes every `token` out of `text`; how many there were.
fn take(text: &mut String, token: &str) -> usize {
    let count = text.matches(token).count();
    *text = text.replace(token, " ");
    count
}

/// The `[Thread-N] num=V` prints of one concurrent part, in order. Python's `print` writes
/// the line and its newline apart, so two threads' lines may run together: the prints are
/// found wherever they are, and nothing else may be there.
fn nums(section: &str) -> Vec<(String, i64)> {
    let mut found = Vec::new();
    let mut rest = section;
    while let Some(at) = rest.find("[Thread-") {
        assert!(rest[..at].trim().is_empty(), "{section:?}");
        let after = &rest[at + 1..];
        let (thread, after) = after.split_once("] num=").unwrap_or_else(|| panic!("{section:?}"));
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        found.push((thread.to_owned(), after[..digits].parse().unwrap()));
        rest = &after[digits..];
    }
    assert!(rest.trim().is_empty(), "{section:?}");
    found
}

/// What a client run did in its singleton part.
struct Run {
    /// Values read back in the singleton part.
    single_nums: usize,
    write_errors: usize,
    read_errors: usize,
}

/// Checks a client's output, `first` being the number of its first thread (1 for a program's
/// first threads).
fn check_client(out: &Output, first: usize) -> Run {
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let text = out.stdout.as_str();
    let rest =
        text.strip_prefix(&format!("{}{}{}", HEADERS[0], HEADERS[1], HEADERS[2])).unwrap_or_else(|| panic!("{text}"));
    let (session, single) = rest.split_once(HEADERS[3]).unwrap_or_else(|| panic!("{text}"));
    let thread = |n: usize| format!("Thread-{}", first + n);
    let session = nums(session);
    for n in 0..2 {
        let values: Vec<i64> = session.iter().filter(|(t, _)| *t == thread(n)).map(|(_, v)| *v).collect();
        assert_eq!(values.len(), 3, "every round works on the session-bound database: {text}");
        assert!(values.iter().all(|v| (100..=102).contains(v)), "{text}");
    }
    assert_eq!(session.len(), 6, "{text}");
    let single = nums(single);
    assert!(single.iter().all(|(t, v)| (*t == thread(2) || *t == thread(3)) && (100..=102).contains(v)), "{text}");
    let mut stderr = out.stderr.clone();
    let run = Run {
        single_nums: single.len(),
        write_errors: take(&mut stderr, WRITE_ERROR),
        read_errors: take(&mut stderr, READ_ERROR),
    };
    assert_eq!(
        run.single_nums + run.write_errors + run.read_errors,
        6,
        "one outcome per round: {text}\n{}",
        out.stderr
    );
    assert!(run.write_errors + run.read_errors > 0, "the singleton's connection is shared: {}", out.stderr);
    run
}

/// Checks what the server printed during a client run (`single_is_new`: the singleton's
/// first use). Lines of the concurrent parts are counted, not ordered (and a Python server's
/// two threads may print into each other's lines).
fn check_server(lines: &Receiver<String>, run: &Run, single_is_new: bool) {
    let stores = |n: i64| format!("DB: user user123 stores: number = {n}");
    let retrieve = "DB: user user123 retrieve: number";
    let created = "[SessionboundDatabase] new instance and connection for user: user123";
    let sequential = next_lines(lines, 6, Duration::from_secs(10));
    assert_eq!(sequential, [created, &stores(42), retrieve, created, &stores(43), retrieve]);
    let single = next_lines(lines, 4 + usize::from(single_is_new), Duration::from_secs(10));
    let mut expected = vec![stores(42), retrieve.to_owned(), stores(43), retrieve.to_owned()];
    if single_is_new {
        expected.insert(0, "[SingletonDatabase] new instance and connection".to_owned());
    }
    assert_eq!(single, expected);

    let mut concurrent = next_lines(lines, 14, Duration::from_secs(10)).join("\n");
    assert_eq!(take(&mut concurrent, created), 2, "{concurrent}");
    for n in 100..=102 {
        assert_eq!(take(&mut concurrent, &stores(n)), 2, "{concurrent}");
    }
    assert_eq!(take(&mut concurrent, retrieve), 6, "{concurrent}");
    assert!(concurrent.trim().is_empty(), "{concurrent}");

    let mut concurrent = next_lines(lines, 6 - run.write_errors + run.single_nums, Duration::from_secs(10)).join("\n");
    assert_eq!(take(&mut concurrent, "DB: user user123 stores: number = 10"), 6 - run.write_errors, "{concurrent}");
    assert_eq!(take(&mut concurrent, retrieve), run.single_nums, "{concurrent}");
    assert!(concurrent.chars().all(|c| c.is_whitespace() || ('0'..='2').contains(&c)), "{concurrent}");
}

#[test]
fn rust_server_python_client() {
    let ns = name_server();
    let (_server, lines) = start_server(with_ns(example("usersession_server"), &ns));
    for (run, serializer) in ["serpent", "msgpack"].into_iter().enumerate() {
        let mut client = with_ns(python("client.py"), &ns);
        client.env("PYRO_SERIALIZER", serializer);
        let out = run_with_input(client, "\n\n", LONG);
        let printed = check_client(&out, 1);
        check_server(&lines, &printed, run == 0);
    }
}

#[test]
fn python_server_rust_client() {
    let ns = name_server();
    let (_server, lines) = start_server(with_ns(python("server.py"), &ns));
    let out = run_with_input(with_ns(example("usersession_client"), &ns), "\n\n", LONG);
    let printed = check_client(&out, 1);
    check_server(&lines, &printed, true);
    // Without input, the client stops at the first prompt as Python's does (EOFError).
    let out = run_with_input(with_ns(example("usersession_client"), &ns), "", LONG);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.ends_with(&format!("{}enter to start: ", HEADERS[2].trim_end_matches("enter to start: "))));
    assert_eq!(out.stderr, "EOFError: EOF when reading a line\n");
}

#[test]
fn without_a_name_server_the_server_stops_as_pyro5s_serve() {
    let mut alone = example("usersession_server");
    alone.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", "1").env("PYRO_BROADCAST_ADDRS", "127.0.0.1");
    alone.env("PYRO_NS_BCPORT", "1");
    let out = run_with_input(alone, "", LONG);
    assert_eq!((out.code, out.stdout.as_str()), (Some(1), ""));
    assert!(out.stderr.starts_with("Pyro5.errors.NamingError: "), "{}", out.stderr);
}

/// Calls in a fixed order whose results do not depend on timing.
const ERRORS_SCRIPT: &str = r#"
from Pyro5.api import Proxy, current_context

def as_user(name):
    current_context.annotations = {} if name is None else {"USER": name}

def attempt(what, call):
    try:
        result = repr(call())
    except Exception as e:
        result = "%s: %s" % (type(e).__name__, e)
    print(what, "->", result, flush=True)

session = "PYRONAME:example.usersession.sessiondb"
single = "PYRONAME:example.usersession.singletondb"
with Proxy(session) as s1, Proxy(session) as s2, Proxy(single) as g1, Proxy(single) as g2:
    as_user(None)
    attempt("session, no user: ping", s1.ping)
    attempt("session, no user: store", lambda: s1.store("k", 1))
    as_user(b"intruder")
    attempt("session, intruder: store", lambda: s1.store("k", 1))
    as_user(b"user123")
    attempt("same session, user123: store", lambda: s1.store("k", 1))
    as_user(b"\xff")
    attempt("other session, not utf-8: ping", s2.ping)
    as_user(b"admin")
    attempt("other session, admin: retrieve missing", lambda: s2.retrieve("missing"))
    attempt("same session: store", lambda: s2.store("k", 2))
    attempt("same session: retrieve", lambda: s2.retrieve("k"))
    as_user(None)
    attempt("singleton, no user: ping", g1.ping)
    attempt("singleton, no user: store", lambda: g1.store("k", 3))
    as_user(b"intruder")
    attempt("singleton, intruder: store", lambda: g1.store("k", 3))
    as_user(b"")
    attempt("singleton, empty user: retrieve", lambda: g1.retrieve("k"))
    as_user(b"user123")
    attempt("singleton: retrieve missing", lambda: g1.retrieve("missing"))
    attempt("singleton, other connection: store", lambda: g2.store("k", 4))
    attempt("singleton, other connection: retrieve", lambda: g2.retrieve("k"))
    attempt("singleton, same connection: store", lambda: g1.store("k", 5))
    attempt("singleton, same connection: retrieve", lambda: g1.retrieve("k"))
"#;

const ERRORS_OUTPUT: &str = "\
session, no user: ping -> KeyError: 'USER'
session, no user: store -> KeyError: 'USER'
session, intruder: store -> AssertionError: access denied
same session, user123: store -> AssertionError: access denied
other session, not utf-8: ping -> {not utf-8}
other session, admin: retrieve missing -> KeyError: 'missing'
same session: store -> None
same session: retrieve -> 2
singleton, no user: ping -> 'hi'
singleton, no user: store -> KeyError: 'USER'
singleton, intruder: store -> AssertionError: access denied
singleton, empty user: retrieve -> AssertionError: access denied
singleton: retrieve missing -> KeyError: 'missing'
singleton, other connection: store -> RuntimeError: ERROR: concurrent connection access (write) by multiple different threads
singleton, other connection: retrieve -> RuntimeError: ERROR: concurrent connection access (read) by multiple different threads
singleton, same connection: store -> None
singleton, same connection: retrieve -> 5
";

/// What the servers print while the script runs.
const ERRORS_SERVER_LINES: [&str; 9] = [
    "[SessionboundDatabase] new instance and connection for user: intruder",
    "[SessionboundDatabase] new instance and connection for user: admin",
    "DB: user admin retrieve: missing",
    "DB: user admin stores: k = 2",
    "DB: user admin retrieve: k",
    "[SingletonDatabase] new instance and connection",
    "DB: user user123 retrieve: missing",
    "DB: user user123 stores: k = 5",
    "DB: user user123 retrieve: k",
];

#[test]
fn errors_are_pythons_on_both_servers() {
    // The `UnicodeDecodeError` holds the bytes it could not decode: msgpack carries them, but
    // serpent sends bytes as a base64 dict, from which Pyro5's client cannot rebuild the
    // exception (a Python server gives the same `TypeError`).
    let not_utf8 = [
        ("serpent", "TypeError: a bytes-like object is required, not 'dict'"),
        ("msgpack", "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    ];
    for (serializer, not_utf8) in not_utf8 {
        for (which, server) in [("rust", example("usersession_server")), ("python", python("server.py"))] {
            let ns = name_server();
            let (_server, lines) = start_server(with_ns(server, &ns));
            let mut script = with_ns(pyro_interop::python().command(), &ns);
            script.arg("-c").arg(ERRORS_SCRIPT).env("PYRO_SERIALIZER", serializer);
            let out = run_with_input(script, "", LONG);
            assert_eq!(out.code, Some(0), "{}", out.stderr);
            assert_eq!(out.stdout, ERRORS_OUTPUT.replace("{not utf-8}", not_utf8), "{which} server, {serializer}");
            let printed = next_lines(&lines, ERRORS_SERVER_LINES.len(), Duration::from_secs(10));
            assert_eq!(printed, ERRORS_SERVER_LINES, "{which} server, {serializer}");
        }
    }
}
