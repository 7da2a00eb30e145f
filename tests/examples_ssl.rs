//! Pyro5's `ssl` example against its Rust port: `ssl_server` with Python's `client.py` and
//! Python's `server.py` with `ssl_client` (and Rust with Rust), 2-way TLS, each side checking
//! the other's certificate in its handshake hook. The Python programs run unchanged from a
//! copy whose `../../certs` holds certificates made at test time with the serial numbers,
//! organization and country that the programs check (Pyro5's demo certificates' values).
//! A client that trusts another CA refuses the server.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use examples_support::{Process, example, matches, next_lines, pyro5_example, run_with_input, spawn_with_lines};
use pyro_interop::TestCerts;

const LONG: Duration = Duration::from_secs(60);

/// The example's directory layout: `<root>/certs` and `<root>/examples/ssl` with copies of the
/// Python programs; returns the latter (where every program runs).
fn layout(certs: &TestCerts) -> PathBuf {
    let root = certs.dir().join("pyro5");
    certs.write_pyro5_layout(&root.join("certs"));
    let programs = root.join("examples").join("ssl");
    std::fs::create_dir_all(&programs).unwrap();
    for program in ["server.py", "client.py"] {
        std::fs::copy(pyro5_example("ssl").join(program), programs.join(program)).unwrap();
    }
    programs
}

fn python(dir: &Path, program: &str) -> Command {
    let mut command = pyro_interop::python().command();
    command.arg(program).current_dir(dir);
    command
}

fn rust(dir: &Path, name: &str) -> Command {
    let mut command = example(name);
    command.current_dir(dir);
    command
}

fn start(server: Command) -> (Process, Receiver<String>, String) {
    let (process, lines) = spawn_with_lines(server);
    let banner = next_lines(&lines, 2, Duration::from_secs(30));
    assert_eq!(banner[0], "SSL enabled (2-way).");
    let uri = banner[1].strip_prefix("server uri: ").unwrap_or_else(|| panic!("{banner:?}")).to_owned();
    let (object, port) = uri.split_once("@localhost:").unwrap_or_else(|| panic!("{uri}"));
    assert!(object.starts_with("PYRO:obj_") && matches("#", port), "{uri}");
    (process, lines, uri)
}

fn run_client(client: Command, uri: &str) {
    let out = run_with_input(client, &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "SSL enabled (2-way).\nServer uri: (SSL server cert is ok: serial=63B5A2EB71E2C78CBE4200C7EAB9634E7B669407, \
         subject=Razorvine.net)\nresponse: hi!\n"
    );
}

fn check_server(lines: &Receiver<String>) {
    assert_eq!(
        next_lines(lines, 2, Duration::from_secs(10)),
        [
            "(SSL client cert is ok: serial=1FABD733200A52DCED0702B7A856773F37AAC0E3, subject=Razorvine.net)",
            "got message: client speaking",
        ]
    );
}

#[test]
fn rust_server_python_client() {
    let certs = TestCerts::new("example-rs-py");
    let dir = layout(&certs);
    let (_server, lines, uri) = start(rust(&dir, "ssl_server"));
    for _ in 0..2 {
        run_client(python(&dir, "client.py"), &uri);
        check_server(&lines);
    }
}

#[test]
fn python_server_rust_client() {
    let certs = TestCerts::new("example-py-rs");
    let dir = layout(&certs);
    let (_server, lines, uri) = start(python(&dir, "server.py"));
    for _ in 0..2 {
        run_client(rust(&dir, "ssl_client"), &uri);
        check_server(&lines);
    }
}

#[test]
fn rust_server_rust_client_and_the_wrong_ca() {
    let certs = TestCerts::new("example-rs-rs");
    let dir = layout(&certs);
    let (_server, lines, uri) = start(rust(&dir, "ssl_server"));
    run_client(rust(&dir, "ssl_client"), &uri);
    check_server(&lines);
    // A client whose CA file is another CA's refuses the server's certificate.
    let wrong = certs.dir().join("wrong");
    certs.write_pyro5_layout(&wrong);
    std::fs::copy(&certs.other_ca, wrong.join("server_cert.pem")).unwrap();
    let mut client = example("ssl_client");
    client.arg(&wrong);
    let out = run_with_input(client, &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(out.stderr.starts_with("Pyro5.errors.CommunicationError: TLS: "), "{}", out.stderr);
    assert!(out.stderr.contains("certificate"), "{}", out.stderr);
}
