//! Pyro5's batchedcalls example against its Rust port, every program unchanged, over the default
//! serializer (serpent): `batchedcalls_server` with Python's `client.py` run in a plain
//! `pip install Pyro5` environment, and Python's `server.py` with `batchedcalls_client`; both
//! print the lines of Python's programs (timings aside). The Rust `Thingy` then computes as
//! Python's does: the same results and exceptions for ints, big ints, floats and bools, with
//! negative numbers and zero divisors, from both servers (and Python's generic `TypeError` for
//! operands that are not numbers).
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::time::Duration;

use examples_support::{
    assert_banner, assert_lines, example, next_lines, python_example, run_with_input, spawn_with_lines,
};

/// What the client prints (both clients), up to the remote traceback; `#` is a number.
const CLIENT_LINES: &[&str] = &[
    "enter server object uri: Normal remote calls...",
    "that took # seconds (# calls/sec)",
    "",
    "Batched remote calls...",
    "processing the results...",
    "total time taken # seconds (# calls/sec)",
    "batched calls were # times faster than normal remote calls",
    "",
    "Oneway batched remote calls...",
    "executing batch, there will be no result values. Check server to see printed messages...",
    "total time taken # seconds (# calls/sec)",
    "oneway batched calls were # times faster than normal remote calls",
    "",
    "Batch with an error. Dividing a number by decreasing divisors...",
    "getting results...",
    "100//3 = 33",
    "100//2 = 50",
    "100//1 = 100",
    "A divide by zero error occurred during the batch! (expected)",
];

/// What the server prints while the client runs (the last after the 2 s delay of batch #2).
const SERVER_LINES: [&str; 6] = [
    "beginning normal calls",
    "end of normal calls",
    "beginning batch #1",
    "end of batch #1",
    "beginning batch #2",
    "end of batch #2",
];

const LONG: Duration = Duration::from_secs(120);

/// The lines after the traceback's exception line, as `get_pyro_traceback()` frames them.
fn remote_traceback(lines: &[&str]) -> Vec<String> {
    let start = lines
        .iter()
        .position(|l| *l == "ZeroDivisionError: integer division or modulo by zero")
        .unwrap_or_else(|| panic!("no exception line in {lines:#?}"));
    lines[start + 1..].iter().map(|l| (*l).to_owned()).collect()
}

#[test]
fn rust_server_python_client() {
    let (_server, lines) = spawn_with_lines(example("batchedcalls_server"));
    let banner = next_lines(&lines, 3, Duration::from_secs(30));
    let uri = assert_banner(&banner, "Thingy", "example.batched");

    // The client of a plain `pip install Pyro5` (serpent, no msgpack), unchanged.
    let client = python_example(pyro_interop::python_plain(), "batchedcalls", "client.py");
    let out = run_with_input(client, &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "client.py failed (its asserts check the results): {}", out.stderr);
    let printed: Vec<&str> = out.stdout.lines().collect();
    assert_lines(&printed[..CLIENT_LINES.len()], CLIENT_LINES, "client.py");
    // Python's own frames, then the exception and the remote traceback pyro's daemon sent.
    assert_eq!(printed[CLIENT_LINES.len()], "Traceback (most recent call last):", "{printed:#?}");
    assert_eq!(
        remote_traceback(&printed),
        [
            " +--- This exception occurred remotely (Pyro) - Remote traceback:",
            " | Traceback (most recent call last):",
            " |   File \"<rust>\", in example.batched.divide",
            " | ZeroDivisionError: integer division or modulo by zero",
            " +--- End of remote traceback",
            "",
        ]
    );
    assert_eq!(next_lines(&lines, 6, Duration::from_secs(30)), SERVER_LINES);
}

#[test]
fn python_server_rust_client() {
    let (_server, lines) = spawn_with_lines(python_example(pyro_interop::python(), "batchedcalls", "server.py"));
    let banner = next_lines(&lines, 3, Duration::from_secs(30));
    let uri = assert_banner(&banner, "Thingy", "example.batched");

    let out = run_with_input(example("batchedcalls_client"), &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "batchedcalls_client failed: {}", out.stderr);
    let printed: Vec<&str> = out.stdout.lines().collect();
    assert_lines(&printed[..CLIENT_LINES.len()], CLIENT_LINES, "batchedcalls_client");
    // No Python frames of its own: the exception line, then Python's remote traceback.
    assert_eq!(printed[CLIENT_LINES.len()], "ZeroDivisionError: integer division or modulo by zero");
    let remote = remote_traceback(&printed);
    assert_eq!(
        remote[..2],
        [" +--- This exception occurred remotely (Pyro) - Remote traceback:", " | Traceback (most recent call last):"]
    );
    assert!(
        remote.iter().any(|l| l.starts_with(" |   File \"") && l.ends_with("server.py\", line 14, in divide")),
        "{remote:#?}"
    );
    assert!(remote.iter().any(|l| l.trim_end() == " |     return a // b"), "{remote:#?}");
    assert_eq!(
        remote[remote.len() - 3..],
        [" | ZeroDivisionError: integer division or modulo by zero", " +--- End of remote traceback", ""]
    );
    assert_eq!(next_lines(&lines, 6, Duration::from_secs(30)), SERVER_LINES);
}

/// Calls every method of a `Thingy` with many operands and prints each result's repr (or its
/// exception), one per line.
const PARITY: &str = r#"
import sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
numbers = [0, 1, -1, 7, -7, 100, -100, 3, -3, 2**70, -(2**70), 2**63 - 1, -(2**63), True, False,
           0.0, -0.0, 2.5, -2.5, 7.0, -0.5, 1e308, float("inf"), float("-inf"), 10**400]
p = Pyro5.api.Proxy(sys.argv[1])
def show(f, *args):
    try:
        r = f(*args)
        print(type(r).__name__, repr(r))
    except Exception as e:
        print(type(e).__name__, str(e))
for a in numbers:
    for b in numbers:
        for method in (p.multiply, p.add, p.divide):
            show(method, a, b)
# Not numbers: Python's generic TypeError (for str and list Python words it differently).
for a, b in [(None, 1), (1, None), (None, 2.5)]:
    show(p.add, a, b)
    show(p.multiply, a, b)
    show(p.divide, a, b)
show(p.error)
for s in [0, 0.01, True, -1, "x", None, float("nan")]:
    show(p.delay, s)
show(p.printmessage, "parity")
"#;

#[test]
fn the_rust_thingy_computes_as_pythons() {
    let (_rust, rust_lines) = spawn_with_lines(example("batchedcalls_server"));
    let rust_uri = assert_banner(&next_lines(&rust_lines, 3, Duration::from_secs(30)), "Thingy", "example.batched");
    let (_python, python_lines) = spawn_with_lines(python_example(pyro_interop::python(), "batchedcalls", "server.py"));
    let python_uri = assert_banner(&next_lines(&python_lines, 3, Duration::from_secs(30)), "Thingy", "example.batched");
    for serializer in ["serpent", "msgpack"] {
        let results = |uri: &str| {
            let mut command = pyro_interop::python().command();
            command.args(["-c", PARITY, uri, serializer]);
            let out = run_with_input(command, "", LONG);
            assert_eq!(out.code, Some(0), "{}", out.stderr);
            out.stdout
        };
        let (rust, python) = (results(&rust_uri), results(&python_uri));
        assert!(python.lines().count() > 1800, "{python}");
        for (index, (r, p)) in rust.lines().zip(python.lines()).enumerate() {
            assert_eq!(r, p, "{serializer}: result {index} differs");
        }
        assert_eq!(rust.lines().count(), python.lines().count());
        assert!(python.contains("ZeroDivisionError integer division or modulo by zero"));
        assert!(python.contains("ZeroDivisionError float floor division by zero"));
        for lines in [&rust_lines, &python_lines] {
            assert_eq!(next_lines(lines, 1, Duration::from_secs(10)), ["parity"]);
        }
    }
}
