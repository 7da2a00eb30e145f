//! The client of Pyro5's handshake example: asks for the server's URI and the secret code (as
//! Python's `client.py` does), connects with the code as its handshake data, prints the
//! server's handshake response (Python's `_pyroValidateHandshake` override), pings the daemon
//! object and says so. Works against `handshake_server` and against Python's `server.py`.
//!
//! ```sh
//! cargo run --example handshake_server        # or: python server.py (in Pyro5's examples)
//! cargo run --example handshake_client        # paste the URI, then the code (or a wrong one)
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. A refused connection ends the program as the uncaught
//! `CommunicationError` ends Python's: its exception line on standard error (Python's stack
//! frames, which a Rust program does not have, left out) and status 1.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use pyro::{Error, Value};
use python::{input, pyro_traceback};

fn main() -> ExitCode {
    let asked = input("Enter the URI of the server object: ").and_then(|uri| {
        let secret = input("Enter the secret code of the server (or make a mistake on purpose to see what happens): ")?;
        Ok((uri, secret))
    });
    let (uri, secret) = match asked {
        Ok(answers) => answers,
        Err(e) => {
            eprintln!("EOFError: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(&uri, secret) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Remote(e)) => {
            eprint!("{}", pyro_traceback(&e));
            ExitCode::FAILURE
        }
        Err(Error::ConnectionRejected { location, reason }) => {
            eprintln!(
                "Pyro5.errors.CommunicationError: connection to {} rejected: {reason}",
                python_location(&location)
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{}: {e}", e.python_class());
            ExitCode::FAILURE
        }
    }
}

/// A daemon location as Pyro5 names it in errors: `('host', port)`, or a Unix socket's path.
fn python_location(location: &str) -> String {
    if let Some(path) = location.strip_prefix("./u:") {
        return path.to_owned();
    }
    match location.rsplit_once(':') {
        Some((host, port)) => format!("('{}', {port})", host.trim_start_matches('[').trim_end_matches(']')),
        None => location.to_owned(),
    }
}

fn run(uri: &str, secret: String) -> pyro::Result<()> {
    let mut proxy = python::proxy(uri.trim())?;
    proxy.set_handshake(Value::from(secret));
    println!("connecting...");
    proxy.bind()?;
    let response = proxy.handshake_response().unwrap_or(Value::None);
    println!("Proxy received handshake response data:  {response}");
    let () = proxy.call("ping", &())?;
    println!("Connection ok!");
    drop(proxy);
    println!("done.");
    Ok(())
}
