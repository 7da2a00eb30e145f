//! Pyro5's eventloop example against its Rust port, every program unchanged and with no
//! `PYRO_*` setting: `eventloop_server_threads` and `eventloop_server_multiplexed` with Python's
//! `client.py`, and Python's `server_threads.py` and `server_multiplexed.py` with
//! `eventloop_client`. Each server starts its own name server at the fixed port 9090 with a
//! broadcast responder at 9091, and the clients find it by broadcast.
//!
//! The servers listen on the machine's outward address, as Pyro5's `get_ip_address(None,
//! workaround127=True)` finds it, and broadcast: so each test runs its programs in a network
//! namespace of its own (`ip netns`, which needs root; without it the tests say so and skip) whose
//! only interface is loopback, with a documentation address (198.51.100.7) added to it and a
//! default route through it. Nothing leaves the namespace, and the fixed ports cannot clash
//! with other tests.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use examples_support::{Process, example, matches, next_lines, python_example, run_with_input, spawn_with_lines};

/// The address the namespace's outward interface has.
const ADDRESS: &str = "198.51.100.7";

/// A network namespace, deleted when dropped.
struct NetNs(String);

impl NetNs {
    /// A namespace with loopback up; with `outward`, [`ADDRESS`] on it and a default route.
    /// `None`, with the reason printed, where namespaces cannot be made (no `ip` from iproute2,
    /// or not root): the test is then skipped rather than failed.
    fn new(tag: &str, outward: bool) -> Option<NetNs> {
        let name = format!("pyro-{tag}-{}", std::process::id());
        let run = |args: &[&str]| Command::new("ip").args(args).stdin(Stdio::null()).output();
        let ip = |args: &[&str]| {
            let out = run(args).unwrap();
            assert!(out.status.success(), "ip {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        };
        let _ = Command::new("ip").args(["netns", "del", &name]).stderr(Stdio::null()).status();
        match run(&["netns", "add", &name]) {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                let why = String::from_utf8_lossy(&out.stderr);
                eprintln!("SKIPPED: `ip netns add` failed (network namespaces need root): {}", why.trim());
                return None;
            }
            Err(e) => {
                eprintln!("SKIPPED: this test runs `ip` (iproute2) to make a network namespace: {e}");
                return None;
            }
        }
        let netns = NetNs(name);
        ip(&["-n", &netns.0, "link", "set", "lo", "up"]);
        if outward {
            ip(&["-n", &netns.0, "addr", "add", &format!("{ADDRESS}/32"), "dev", "lo"]);
            ip(&["-n", &netns.0, "route", "add", "default", "dev", "lo", "src", ADDRESS]);
        }
        Some(netns)
    }

    /// `command` run in the namespace, with the same arguments, environment and folder.
    fn command(&self, command: Command) -> Command {
        let mut inside = Command::new("ip");
        inside.args(["netns", "exec", &self.0]).arg(command.get_program()).args(command.get_args());
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => inside.env(key, value),
                None => inside.env_remove(key),
            };
        }
        if let Some(dir) = command.get_current_dir() {
            inside.current_dir(dir);
        }
        inside
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).stderr(Stdio::null()).status();
    }
}

/// Python's `socket.gethostname()`, the host the daemons' uris name.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_owned()
}

/// Whether `line` is Python's `time.asctime()` followed by " Waiting for requests...".
fn is_waiting(line: &str) -> bool {
    line.strip_suffix(" Waiting for requests...").is_some_and(|time| {
        let fields: Vec<&str> = time.split_whitespace().collect();
        time.len() == 24 && fields.len() == 5 && matches("#:#:#", fields[3]) && matches("#", fields[4])
    })
}

/// Starts a server and checks what it prints before it serves.
fn start_server(command: Command, banner: &str) -> (Process, Receiver<String>) {
    let (process, lines) = spawn_with_lines(command);
    let printed = next_lines(&lines, 7, Duration::from_secs(30));
    assert_eq!(printed[0], format!("{banner} server type. Initializing services..."), "{printed:#?}");
    assert_eq!(printed[1..3], ["Make sure that you don't have a name server running already!", ""]);
    assert_eq!(printed[3], format!("got a Nameserver, uri=PYRO:Pyro.NameServer@{ADDRESS}:9090"));
    let uri = printed[4].strip_prefix("server uri=PYRO:obj_").unwrap_or_else(|| panic!("{printed:#?}"));
    let (id, location) = uri.split_once('@').unwrap();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{uri}");
    assert!(matches(&format!("{}:#", hostname()), location), "{uri}");
    assert_eq!(printed[5], "");
    assert!(is_waiting(&printed[6]), "{printed:#?}");
    (process, lines)
}

/// Runs a client (pressing enter at its prompt) and checks every line it printed.
fn run_client(command: Command) {
    let out = run_with_input(command, "\n", Duration::from_secs(60));
    assert_eq!(out.code, Some(0), "the client failed: {}\n{}", out.stdout, out.stderr);
    let mut expected = vec!["5*11=55".to_owned(), "'x'*10=xxxxxxxxxx".to_owned()];
    for i in 1..20 {
        let prompt = if i == 1 { "press enter to do a loop of some more calls:" } else { "" };
        expected.push(format!("{prompt}2*i={}", 2 * i));
        expected.push(format!("'@'*i={}", "@".repeat(i)));
    }
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), expected, "{}", out.stderr);
}

/// The lines a server printed while a client ran, after its last one.
fn lines_since(lines: &Receiver<String>) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(500));
    lines.try_iter().collect()
}

/// What the threaded server printed: each wake names who was ready, as the Python program's
/// loop does; the client looked the name server up by broadcast, asked it, and called.
fn check_threads_server(printed: &[String]) {
    for line in printed {
        let known =
            ["Broadcast server received a request", "Nameserver received a request", "Daemon received a request"];
        assert!(is_waiting(line) || known.contains(&line.as_str()), "{line:?}: {printed:#?}");
    }
    for said in ["Broadcast server received a request", "Nameserver received a request", "Daemon received a request"] {
        assert!(printed.iter().any(|line| line == said), "{said:?} missing: {printed:#?}");
    }
}

/// What the multiplexed server printed: only its loop condition's line.
fn check_multiplexed_server(printed: &[String]) {
    assert!(printed.iter().all(|line| is_waiting(line)), "{printed:#?}");
    assert!(printed.len() > 1, "{printed:#?}");
}

#[test]
fn rust_threads_server_python_client() {
    let Some(netns) = NetNs::new("el-rt", true) else { return };
    let (_server, lines) = start_server(netns.command(example("eventloop_server_threads")), "THREADED");
    run_client(netns.command(python_example(pyro_interop::python(), "eventloop", "client.py")));
    check_threads_server(&lines_since(&lines));
}

#[test]
fn rust_multiplexed_server_python_client() {
    let Some(netns) = NetNs::new("el-rm", true) else { return };
    let (_server, lines) = start_server(netns.command(example("eventloop_server_multiplexed")), "MULTIPLEXED");
    run_client(netns.command(python_example(pyro_interop::python(), "eventloop", "client.py")));
    check_multiplexed_server(&lines_since(&lines));
}

#[test]
fn python_threads_server_rust_client() {
    let Some(netns) = NetNs::new("el-pt", true) else { return };
    let server = python_example(pyro_interop::python(), "eventloop", "server_threads.py");
    let (_server, lines) = start_server(netns.command(server), "THREADED");
    run_client(netns.command(example("eventloop_client")));
    check_threads_server(&lines_since(&lines));
}

#[test]
fn python_multiplexed_server_rust_client() {
    let Some(netns) = NetNs::new("el-pm", true) else { return };
    let server = python_example(pyro_interop::python(), "eventloop", "server_multiplexed.py");
    let (_server, lines) = start_server(netns.command(server), "MULTIPLEXED");
    run_client(netns.command(example("eventloop_client")));
    check_multiplexed_server(&lines_since(&lines));
}

#[test]
fn rust_client_rust_server_over_json() {
    // The Rust programs together, and a serializer chosen with the environment.
    let Some(netns) = NetNs::new("el-rr", true) else { return };
    let (_server, lines) = start_server(netns.command(example("eventloop_server_multiplexed")), "MULTIPLEXED");
    let mut client = example("eventloop_client");
    client.env("PYRO_SERIALIZER", "json");
    run_client(netns.command(client));
    check_multiplexed_server(&lines_since(&lines));
}

#[test]
fn on_loopback_only_there_is_no_broadcast_server() {
    // With only a loopback address, Pyro5 starts no broadcast server and the programs stop on
    // their assertion, Python's and the ports alike.
    let Some(netns) = NetNs::new("el-lo", false) else { return };
    for (python, rust) in
        [("server_threads.py", "eventloop_server_threads"), ("server_multiplexed.py", "eventloop_server_multiplexed")]
    {
        let python = python_example(pyro_interop::python(), "eventloop", python);
        let python = run_with_input(netns.command(python), "", Duration::from_secs(30));
        let rust = run_with_input(netns.command(example(rust)), "", Duration::from_secs(30));
        assert_eq!((python.code, rust.code), (Some(1), Some(1)), "{}\n{}", python.stderr, rust.stderr);
        assert_eq!(python.stderr.lines().last(), Some("AssertionError: expect a broadcast server to be created"));
        assert_eq!(rust.stderr, "AssertionError: expect a broadcast server to be created\n");
        assert_eq!(rust.stdout, python.stdout);
    }
}
