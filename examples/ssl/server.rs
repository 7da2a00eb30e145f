//! The server of Pyro5's `ssl` example: 2-way TLS (`SSL_REQUIRECLIENTCERT`), serving an object
//! whose `echo` prints the message and answers `"hi!"`, behind a daemon whose handshake
//! validator checks the client's certificate (Python's `CertValidatingDaemon`). Works with
//! Python's `client.py` and with `ssl_client`.
//!
//! ```sh
//! cd pyro5-5.17/examples/ssl && cargo run --example ssl_server   # uses ../../certs, as Python
//! cargo run --example ssl_server -- path/to/certs                  # or a directory like it
//! ```
//!
//! The directory holds `server_cert.pem`, `server_key.pem` and `client_cert.pem` (the CA file
//! that admits clients), named as in Pyro5's source distribution. The other `PYRO_*`
//! environment variables apply as in Pyro5.

#[path = "certcheck.rs"]
mod certcheck;

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use pyro::daemon::Daemon;
use pyro::{Config, Value};

/// Pyro5's demo client certificate's serial number, which the Python server checks.
const CLIENT_SERIAL: &str = "1FABD733200A52DCED0702B7A856773F37AAC0E3";

struct Safe;

#[pyro::expose]
impl Safe {
    pub fn echo(&self, message: Value) -> String {
        println!("got message: {}", python_str(&message));
        "hi!".to_owned()
    }
}

/// Python's `str()` of a message (a string prints bare).
fn python_str(value: &Value) -> String {
    value.as_str().map_or_else(|| format!("{value:?}"), str::to_owned)
}

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> pyro::Result<()> {
    let certs = certcheck::certs_dir();
    let config = Config {
        ssl: true,
        ssl_require_client_cert: true,
        ssl_server_cert: Some(certs.join("server_cert.pem")),
        ssl_server_key: Some(certs.join("server_key.pem")),
        ssl_ca_certs: Some(certs.join("client_cert.pem")),
        ..Config::environment()?
    };
    println!("SSL enabled (2-way).");
    let daemon = Daemon::builder()
        .config(config)
        .validate_handshake(|conn, _data| {
            let (serial, subject) =
                certcheck::verify_cert(conn.peer_certificates(), CLIENT_SERIAL, "client cert missing")?;
            println!("(SSL client cert is ok: serial={serial}, subject={subject})");
            Ok(Value::from("hello"))
        })
        .bind()?;
    let uri = daemon.register(Safe, None)?;
    println!("server uri: {uri}");
    daemon.request_loop()
}
