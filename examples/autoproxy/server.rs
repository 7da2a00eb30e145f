//! The server of Pyro5's autoproxy example: serves a `Factory` as `example.autoproxy` (without a
//! name server, printing what Pyro5's `serve(..., use_ns=False)` prints), whose
//! `createSomething(number)` makes a new `Thingy` and returns it by reference: the daemon
//! registers it and the client receives a proxy (a `Pyro5.api.Proxy` in Python's `client.py`,
//! a `ThingyProxy` in `autoproxy_client`). Each thing prints what it is told to say.
//!
//! ```sh
//! cargo run --example autoproxy_server
//! cargo run --example autoproxy_client           # or: python client.py (in Pyro5's examples)
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, ...), and the class is
//! registered as Pyro5's `serve()` does (a factory per client connection). One difference from
//! Python: Pyro5 keeps the things registered for good; here they are unregistered when the
//! connection of the client that created them closes (see `pyro::Remote`).

mod thingy;

use std::process::ExitCode;

use pyro::daemon::InstanceMode;
use pyro::{Config, Daemon, Remote};
use thingy::{Factory, Thingy};

/// The object id Python's `serve()` registers the factory under.
const OBJECT_ID: &str = "example.autoproxy";

/// A thing, as Python's `thingy.Thingy`.
struct Thing {
    number: i64,
}

impl Thingy for Thing {
    fn speak(&self, message: String) {
        println!("Thingy {} says: {message}", self.number);
    }
}

/// Python's `Factory`, one per client connection.
struct Maker;

impl Factory for Maker {
    fn createSomething(&self, number: i64) -> Remote<dyn Thingy> {
        // Registered with the daemon when the reply is sent; the client gets a proxy.
        Remote::new(Thing { number })
    }
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autoproxy_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> pyro::Result<()> {
    let daemon = Daemon::builder().config(Config::environment()?).bind()?;
    let uri = daemon.register_class_as::<dyn Factory, _>(InstanceMode::Session, |_| Maker, Some(OBJECT_ID))?;
    println!("Object <class '__main__.Factory'>:\n    uri = {uri}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
