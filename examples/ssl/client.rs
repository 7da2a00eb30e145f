//! The client of Pyro5's `ssl` example: 2-way TLS with a client certificate, checking the
//! server's certificate once connected (Python's `CertCheckingProxy._pyroValidateHandshake`),
//! then calling `echo`. Works with Python's `server.py` and with `ssl_server`.
//!
//! ```sh
//! cd pyro5-5.17/examples/ssl && cargo run --example ssl_client   # uses ../../certs, as Python
//! cargo run --example ssl_client -- path/to/certs                  # or a directory like it
//! ```
//!
//! The directory holds `server_cert.pem` (the CA file that admits the server),
//! `client_cert.pem` and `client_key.pem`. A failed check ends the program as Python's uncaught
//! `CommunicationError` does: its exception line on standard error and status 1.

#[path = "certcheck.rs"]
mod certcheck;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use pyro::Config;
use pyro::proxy::Proxy;

/// Pyro5's demo server certificate's serial number, which the Python client checks.
const SERVER_SERIAL: &str = "63B5A2EB71E2C78CBE4200C7EAB9634E7B669407";

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> pyro::Result<()> {
    let certs = certcheck::certs_dir();
    let config = Config {
        ssl: true,
        ssl_ca_certs: Some(certs.join("server_cert.pem")),
        ssl_client_cert: Some(certs.join("client_cert.pem")),
        ssl_client_key: Some(certs.join("client_key.pem")),
        ..Config::environment()?
    };
    println!("SSL enabled (2-way).");
    let uri = python::input("Server uri: ")
        .map_err(|e| pyro::Error::Communication { message: format!("reading the server uri: {e}"), source: None })?;
    let proxy = Proxy::with_config(uri.trim().parse()?, &config);
    let proxy = match std::env::var_os("PYRO_SERIALIZER") {
        Some(_) => proxy,
        None => proxy.with_serializer(pyro::Serializer::Serpent),
    };
    proxy.bind()?;
    let (serial, subject) = certcheck::verify_cert(&proxy.peer_certificates(), SERVER_SERIAL, "cert missing")
        .map_err(|message| pyro::Error::Communication { message, source: None })?;
    println!("(SSL server cert is ok: serial={serial}, subject={subject})");
    let response: String = proxy.call("echo", &("client speaking",))?;
    println!("response: {response}");
    Ok(())
}
