//! The server of Pyro5's timeout example: two daemons, each serving a `TimeoutServer` whose
//! `delay(amount)` sleeps that many seconds, registered with the name server as
//! `example.timeout` and `example.timeout.frozendaemon`; only the first daemon serves, so
//! connecting to the second one hangs (it accepts the connection but never answers the
//! handshake), to show connection timeouts. It prints what Python's `server.py` prints, so that
//! Python's `client.py` from that example runs against it unchanged (and `timeout_client`
//! against either server).
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns       # a name server (or Python's: pyro5-ns)
//! cargo run --example timeout_server        # or: python server.py (in Pyro5's examples)
//! cargo run --example timeout_client        # or: python client.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_NS_HOST`, ...),
//! except `COMMTIMEOUT`, which the program sets to 0 (no timeouts on the server side), as the
//! Python one does.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::time::Duration;

use pyro::{Config, Daemon, locate_ns_with_config};

/// Pyro5's `TimeoutServer`.
pub struct TimeoutServer;

#[pyro::expose]
impl TimeoutServer {
    /// Sleeps `amount` seconds, saying so before and after.
    pub fn delay(&self, amount: i64) -> String {
        println!("sleeping {amount}");
        std::thread::sleep(Duration::from_secs(amount.max(0).unsigned_abs()));
        println!("done.");
        format!("slept {amount} seconds")
    }
}

fn main() -> ExitCode {
    python::exit_status(serve())
}

fn serve() -> pyro::Result<()> {
    let mut config = Config::environment()?;
    // `config.COMMTIMEOUT = 0`: the server won't be using timeouts.
    config.comm_timeout = None;
    let ns = locate_ns_with_config(None, None, &config)?;
    let daemon = Daemon::builder().config(config.clone()).bind()?;
    let daemon2 = Daemon::builder().config(config).bind()?;
    let uri = daemon.register(TimeoutServer, None)?;
    let uri2 = daemon2.register(TimeoutServer, None)?;
    ns.register("example.timeout", &uri, false, None)?;
    ns.register("example.timeout.frozendaemon", &uri2, false, None)?;
    println!("Server ready.");
    // Only the first daemon serves; daemon2 (kept, listening) is never started, to simulate
    // connection timeouts.
    let served = daemon.request_loop();
    drop(daemon2);
    served
}
