//! Pyro5's timeout example against its Rust port, every program unchanged, with our name
//! server (found by `PYRO_NS_HOST`/`PYRO_NS_PORT`, as Pyro5 programs find it): `timeout_server`
//! with Python's `client.py`, and Python's `server.py` with `timeout_client`. The clients
//! check the durations themselves (a call without a timeout takes its 2 or 3 seconds, a proxy
//! timeout and `COMMTIMEOUT` end a call after 1 second, connecting to the daemon that never
//! serves times out after 1 second); both print the same lines up to the last call, which
//! hangs (the test stops them there). Both servers print the same lines.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::Command;
use std::time::Duration;

use examples_support::{example, next_lines, python_example, spawn_with_lines};
use pyro_ns::{NameServerBuilder, RunningNameServer};

const CLIENT_LINES: [&str; 11] = [
    "No timeout is configured. Calling delay with 2 seconds.",
    "Timeout set to 1 seconds. Calling delay with 2 seconds.",
    "TimeoutError! As expected!",
    "COMMTIMEOUT is set globally. Calling delay with 2 seconds.",
    "TimeoutError! As expected!",
    "No timeout is configured. Calling delay with 3 seconds.",
    "Trying to connect to the frozen daemon.",
    "Timeout set to 1 seconds. Trying to connect.",
    "TimeoutError! As expected!",
    "Disabling timeout and trying to connect again. This may take forever now.",
    "Feel free to abort with ctrl-c or ctrl-break.",
];

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

/// Points a program at `ns`, as a Pyro5 user would with the environment.
fn with_ns(mut command: Command, ns: &RunningNameServer) -> Command {
    command.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", ns.uri().port().unwrap().to_string());
    command
}

fn run(server: Command, client: Command) {
    let (_server, server_lines) = spawn_with_lines(server);
    assert_eq!(next_lines(&server_lines, 1, Duration::from_secs(30)), ["Server ready."]);
    let (_client, client_lines) = spawn_with_lines(client);
    let printed = next_lines(&client_lines, CLIENT_LINES.len(), Duration::from_secs(30));
    assert_eq!(printed, CLIENT_LINES);
    // The client now hangs connecting to the frozen daemon, as Python's does.
    assert!(client_lines.recv_timeout(Duration::from_secs(2)).is_err());
    // Three calls of 2 seconds (two of them timed out on the client, but they run to the end),
    // one of 3: the calls that timed out finish while others run, so only the counts are fixed.
    let mut served = next_lines(&server_lines, 8, Duration::from_secs(10));
    assert_eq!(served[..2], ["sleeping 2", "done."], "{served:?}");
    served.sort();
    assert_eq!(served, ["done.", "done.", "done.", "done.", "sleeping 2", "sleeping 2", "sleeping 2", "sleeping 3"]);
}

#[test]
fn rust_server_python_client() {
    let ns = name_server();
    run(
        with_ns(example("timeout_server"), &ns),
        with_ns(python_example(pyro_interop::python(), "timeout", "client.py"), &ns),
    );
}

#[test]
fn python_server_rust_client() {
    let ns = name_server();
    run(
        with_ns(python_example(pyro_interop::python(), "timeout", "server.py"), &ns),
        with_ns(example("timeout_client"), &ns),
    );
}
