//! The server of Pyro5's second callback example: serves a `CallbackServer` registered in the
//! name server as `example.callback2`, whose oneway `doCallback(callback)` calls the client's
//! handler back twice; both calls crash, and the server prints each exception with its remote
//! traceback (as Python's `get_pyro_traceback()` gives it). Python's `client2.py` runs against
//! it unchanged, and `callback_client2` against either server.
//!
//! ```sh
//! pyro-ns &                                     # or: python -m Pyro5.nameserver
//! cargo run --example callback_server2          # or: python server2.py (in Pyro5's examples)
//! cargo run --example callback_client2          # or: python client2.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply. A Rust program has no Python stack
//! frames: the local part of each traceback is only the exception line.

// The remote method keeps its Python name, `doCallback`.
#![allow(non_snake_case)]

mod crash;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use crash::{CallbackHandlerProxy, CallbackServer};
use pyro::daemon::InstanceMode;
use pyro::naming::locate_ns_with_config;
use pyro::{Config, Daemon, Error};
use python::pyro_traceback;

/// The name Python's `serve()` registers the server under.
const NAME: &str = "example.callback2";

struct Server;

impl CallbackServer for Server {
    fn doCallback(&self, callback: CallbackHandlerProxy) {
        println!("\n\nserver: doing callback 1 to client");
        if let Err(e) = callback.call1() {
            report(&e);
        }
        println!("\n\nserver: doing callback 2 to client");
        if let Err(e) = callback.call2() {
            report(&e);
        }
        println!("server: callbacks done.\n");
    }
}

/// Python's `print("got an exception from the callback:")` and
/// `print("".join(Pyro5.errors.get_pyro_traceback()))`.
fn report(error: &Error) {
    println!("got an exception from the callback:");
    match error {
        Error::Remote(remote) => println!("{}", pyro_traceback(remote)),
        other => println!("{}: {other}\n", other.python_class()),
    }
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("callback_server2: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> pyro::Result<()> {
    let config = Config::environment()?;
    let daemon = Daemon::builder().config(config.clone()).bind()?;
    let ns = locate_ns_with_config(None, None, &config)?;
    // Pyro5's `serve()` registers the class: one (stateless) instance per client connection.
    let uri = daemon.register_class_as::<dyn CallbackServer, _>(InstanceMode::Session, |_| Server, None)?;
    println!("Object <class '__main__.CallbackServer'>:\n    uri = {uri}");
    ns.register(NAME, &uri, false, None)?;
    println!("    name = {NAME}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
