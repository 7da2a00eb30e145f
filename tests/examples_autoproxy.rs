//! Pyro5's autoproxy example against its Rust port, every program unchanged, over the default
//! serializer (serpent): `autoproxy_server` with Python's `client.py`, and Python's `server.py`
//! with `autoproxy_client`. The clients print the same lines (the proxy's `repr` differs only
//! in its address, object id and owner), the servers print what the things say.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::Command;
use std::time::Duration;

use examples_support::{assert_banner, example, matches, next_lines, python_example, run_with_input, spawn_with_lines};

const LONG: Duration = Duration::from_secs(60);

/// Starts a server program, checks its banner, and returns it with its URI and output lines.
fn start(server: Command) -> (examples_support::Process, String, std::sync::mpsc::Receiver<String>) {
    let (process, lines) = spawn_with_lines(server);
    let banner = next_lines(&lines, 3, Duration::from_secs(30));
    let uri = assert_banner(&banner, "Factory", "example.autoproxy");
    (process, uri, lines)
}

/// Checks a client's output: the prompt, the lines, the proxy's repr.
fn assert_client_output(stdout: &str, port: &str) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0], "enter factory server object uri: Creating things.");
    assert_eq!(lines[2], "Speaking stuff (see output on server).");
    // <Pyro5.client.Proxy at 0x7f6b447b43d0; not connected; for PYRO:obj_<32 hex>@localhost:45419; owner 1400987>
    let repr = lines[1];
    let rest = repr.strip_prefix("<Pyro5.client.Proxy at 0x").unwrap_or_else(|| panic!("{repr}"));
    let (address, rest) = rest.split_once("; not connected; for PYRO:obj_").unwrap_or_else(|| panic!("{repr}"));
    assert!(!address.is_empty() && address.chars().all(|c| c.is_ascii_hexdigit()), "{repr}");
    let (id, rest) = rest.split_once('@').unwrap_or_else(|| panic!("{repr}"));
    assert!(id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()), "{repr}");
    assert!(matches(&format!("localhost:{port}; owner #>"), rest), "{repr}");
}

fn port_of(uri: &str) -> &str {
    uri.rsplit(':').next().unwrap()
}

const SPOKEN: [&str; 3] =
    ["Thingy 1 says: I am the first", "Thingy 2 says: I am second", "Thingy 3 says: I am last then..."];

#[test]
fn rust_server_python_client() {
    let (_server, uri, lines) = start(example("autoproxy_server"));
    let client = python_example(pyro_interop::python(), "autoproxy", "client.py");
    let out = run_with_input(client, &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "client.py failed: {}", out.stderr);
    assert_client_output(&out.stdout, port_of(&uri));
    assert_eq!(next_lines(&lines, 3, LONG), SPOKEN);
}

#[test]
fn python_server_rust_client() {
    let (_server, uri, lines) = start(python_example(pyro_interop::python(), "autoproxy", "server.py"));
    let out = run_with_input(example("autoproxy_client"), &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "autoproxy_client failed: {}", out.stderr);
    assert_client_output(&out.stdout, port_of(&uri));
    assert_eq!(out.stderr, "");
    assert_eq!(next_lines(&lines, 3, LONG), SPOKEN);
}

#[test]
fn rust_server_rust_client() {
    let (_server, uri, lines) = start(example("autoproxy_server"));
    let out = run_with_input(example("autoproxy_client"), &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "autoproxy_client failed: {}", out.stderr);
    assert_client_output(&out.stdout, port_of(&uri));
    assert_eq!(next_lines(&lines, 3, LONG), SPOKEN);
}
