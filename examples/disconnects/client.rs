//! The client of Pyro5's disconnects example: asks for the server's URI (as Python's
//! `client.py` does), calls `echo` through a proxy that pings the daemon before every call and
//! reconnects when the connection turns out to be lost (Python's `AutoReconnectingProxy`,
//! which overrides `_pyroInvoke` to send a protocol PING and calls `_pyroReconnect()` on
//! `ConnectionClosedError`), waits for enter, and calls again: if the server dropped the idle
//! connection meanwhile (its `COMMTIMEOUT` is 5 seconds), the ping finds out and the proxy
//! reconnects. It prints what the Python program prints. Works against `disconnects_server`
//! and against Python's `server.py`.
//!
//! ```sh
//! cargo run --example disconnects_client        # paste the URI; wait 5 seconds; press enter
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use pyro::proxy::Proxy;
use pyro::{Error, Value};
use python::{Failure, exit_status, input};

fn main() -> ExitCode {
    exit_status(run())
}

/// Python's `AutoReconnectingProxy`: a proxy whose calls first check the connection.
struct AutoReconnectingProxy(Proxy);

impl AutoReconnectingProxy {
    /// A call through Python's overridden `_pyroInvoke`: if there is a connection, ping over
    /// it; on `ConnectionClosedError` reconnect; then the actual call.
    fn call(&self, method: &str, arg: &str) -> pyro::Result<Value> {
        // Python looks the method up first, which connects to get the metadata.
        if self.0.metadata().is_none() {
            self.0.bind()?;
        }
        if self.0.open_connections() > 0 {
            println!("  <proxy: ping>");
            match self.0.ping() {
                Ok(()) => println!("  <proxy: ping reply (still connected)>"),
                Err(Error::ConnectionClosed { .. }) => {
                    println!("  <proxy: Connection lost. REBINDING...>");
                    self.0.reconnect(100_000_000)?;
                    println!("  <proxy: Connection restored, continue with actual method call...>");
                }
                Err(e) => return Err(e),
            }
        }
        self.0.call(method, &(arg,))
    }
}

/// What Python's `print` shows for a result.
fn text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

fn run() -> Result<(), Failure> {
    println!(
        "You can run this client on a different computer so you can disable the network connection (by yanking out the lan cable or whatever)."
    );
    println!("Alternatively, wait for a timeout on the server, which will then close its connection.");
    let uri = input("Uri of server? ")?;
    let obj = AutoReconnectingProxy(python::proxy(uri.trim())?);
    let result = obj.call("echo", "12345")?;
    println!("result = {}", text(&result));
    println!(
        "\nClient proxy connection is still open. Disable the network now (or wait until the connection timeout on the server expires) and see what the server does."
    );
    println!("Once you see on the server that it got a timeout or a disconnect, enable the network again.");
    input("Press enter to continue:")?;
    println!("\nDoing a new call on the same proxy:");
    let result = obj.call("echo", "12345")?;
    println!("result = {}", text(&result));
    // Python's `with` block releases the proxy here.
    obj.0.release();
    Ok(())
}
