//! The server of Pyro5's handshake example: a daemon whose handshake validator only lets in
//! clients that send the secret code `pancakes` (answering them with `["how", "are", "you",
//! "doing"]`) and refuses the others with "wrong secret code, connection refused", and that
//! reports clients disconnecting. It prints what Python's `server.py` prints, so that
//! Python's `client.py` from that example runs against it unchanged (and `handshake_client`
//! against either server).
//!
//! ```sh
//! cargo run --example handshake_server        # or: python server.py (in Pyro5's examples)
//! cargo run --example handshake_client        # or: python client.py; paste the URI, the code
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, ...). Python's
//! `validateHandshake` also prints its thread's `current_context`, which Pyro5 fills in for
//! calls only: on a worker thread that has served no call yet its client, address, sequence
//! number, flags and serializer id are the defaults (`None`, `None`, 0, 0, 0) and only the
//! correlation id is the handshake's. This port prints those lines, with the handshake's
//! correlation id. (When Pyro5's thread pool reuses a worker, Python prints what the last call
//! of an earlier connection left in that thread's context instead; that leftover is a Pyro5
//! quirk this port does not copy.) Client addresses print as Python prints `getpeername()`:
//! `('host', port)` for IPv4.

#[path = "../common/python.rs"]
mod python;

use std::net::SocketAddr;
use std::process::ExitCode;

use pyro::daemon::ConnectionInfo;
use pyro::{Config, Daemon, Value};

/// The code a client must send as its handshake data.
const SECRET_CODE: &str = "pancakes";

fn main() -> ExitCode {
    python::exit_status(serve())
}

/// A socket address as Python prints `sock.getpeername()`.
fn peer(addr: Option<SocketAddr>) -> String {
    match addr {
        Some(SocketAddr::V4(v4)) => format!("('{}', {})", v4.ip(), v4.port()),
        Some(SocketAddr::V6(v6)) => format!("('{}', {}, {}, {})", v6.ip(), v6.port(), v6.flowinfo(), v6.scope_id()),
        None => "''".to_owned(), // a Unix socket's peer name
    }
}

/// Python's `str()` of the handshake data (`repr()` but for strings).
fn text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Python's `CustomDaemon.validateHandshake`.
fn validate_handshake(conn: &ConnectionInfo, data: &Value) -> Result<Value, String> {
    println!("Daemon received handshake request from: {}", peer(conn.client_addr()));
    println!("Handshake data: {}", text(data));
    // What Python's `current_context` holds during a handshake: no call, only its correlation id.
    println!("  context.client:  None");
    println!("  context.client_sock_addr:  None");
    println!("  context.seq:  0");
    println!("  context.msg_flags:  0");
    println!("  context.serializer_id:  0");
    let correlation_id = conn.correlation_id().map_or_else(|| "None".to_owned(), |id| id.to_string());
    println!("  context.correlation_id: {correlation_id}");
    if data.as_str() == Some(SECRET_CODE) {
        println!("Secret code okay! Connection accepted.");
        Ok(Value::List(["how", "are", "you", "doing"].map(Value::from).to_vec()))
    } else {
        println!("Secret code wrong! Connection refused.");
        Err("wrong secret code, connection refused".to_owned())
    }
}

fn serve() -> pyro::Result<()> {
    let daemon = Daemon::builder()
        .config(Config::environment()?)
        .validate_handshake(validate_handshake)
        .client_disconnect(|conn| println!("Daemon client disconnects: {}", peer(conn.client_addr())))
        .bind()?;
    println!("Server is ready. You can use the following URI to connect:");
    println!("{}", daemon.uri_for(pyro::daemon::DAEMON_OBJECT_ID)?);
    println!("When asked, enter the following secret code:  {SECRET_CODE}");
    daemon.request_loop()
}
