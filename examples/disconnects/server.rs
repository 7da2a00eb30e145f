//! The server of Pyro5's disconnects example: serves `TestDisconnect` (an `echo` method that
//! prints its argument) as `example.disconnect`, without a name server, with `COMMTIMEOUT` 5
//! seconds, so that a client idle for longer is disconnected. It prints what Python's
//! `server.py` prints on standard output (Pyro5's `serve()` banner, a line per call), so that
//! Python's `client.py` from that example runs against it unchanged (and `disconnects_client`
//! against either server).
//!
//! ```sh
//! cargo run --example disconnects_server        # or: python server.py (in Pyro5's examples)
//! cargo run --example disconnects_client        # or: python client.py; paste the URI
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, ...), except
//! `COMMTIMEOUT` and `POLLTIMEOUT`, which the program sets to 5 seconds, as the Python one does.
//! Like the Python program, it logs at debug level to standard error (pyro's log lines: the
//! disconnects show there), unless `PYRO_LOGLEVEL` says otherwise.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::time::Duration;

use pyro::daemon::InstanceMode;
use pyro::{Config, Daemon, Value};

/// Pyro5's `TestDisconnect`, registered as a class (an instance per connection).
#[derive(Default)]
pub struct TestDisconnect;

#[pyro::expose]
impl TestDisconnect {
    /// Prints `echo:  <arg>` (Python's `print("echo: ", arg)`) and returns `arg`.
    pub fn echo(&self, arg: Value) -> Value {
        println!("echo:  {}", python_str(&arg));
        arg
    }
}

/// Python's `str()`: a string as itself, anything else as its `repr()`.
fn python_str(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

fn main() -> ExitCode {
    python::exit_status(serve())
}

/// Pyro5's `serve({TestDisconnect: "example.disconnect"}, use_ns=False)`.
fn serve() -> pyro::Result<()> {
    let mut config = Config::environment()?;
    config.comm_timeout = Some(Duration::from_secs(5));
    // Only used by the multiplexed server.
    config.poll_timeout = Duration::from_secs(5);
    // Python's `logging.basicConfig(level=logging.DEBUG)`: debug lines on standard error.
    if config.log_level.is_none() {
        config.log_level = Some("DEBUG".into());
        config.log_file = "{stderr}".into();
    }
    let daemon = Daemon::builder().config(config).bind()?;
    let uri = daemon.register_class::<TestDisconnect>(InstanceMode::Session, Some("example.disconnect"))?;
    println!("Object <class '__main__.TestDisconnect'>:\n    uri = {uri}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
