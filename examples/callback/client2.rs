//! The client of Pyro5's second callback example: serves a callback handler whose two methods
//! crash, passes it to the server `PYRONAME:example.callback2` (a oneway call), and serves it
//! until interrupted. `call2` is a `#[pyro::callback]`: its exception goes to the server and is
//! also reported here, on standard error, as Pyro5 logs the exception it re-raises
//! (`[...,WARNING] error during handleRequest: ...`). Prints what Python's `client2.py` prints;
//! works against `callback_server2` and against Python's `server2.py` alike.
//!
//! ```sh
//! pyro-ns &                                     # or: python -m Pyro5.nameserver
//! cargo run --example callback_server2          # or: python server2.py (in Pyro5's examples)
//! cargo run --example callback_client2
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another.

mod crash;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use crash::{CallbackHandler, CallbackHandlerProxy, CallbackServerProxy, ZeroDivisionError};
use pyro::{Config, Daemon};

/// The callback handler, as Python's `CallbackHandler`.
struct Handler;

impl Handler {
    fn crash(&self) -> Result<i64, ZeroDivisionError> {
        let (a, b) = (1i64, 0i64);
        a.checked_div(b).ok_or(ZeroDivisionError)
    }
}

impl CallbackHandler for Handler {
    fn call1(&self) -> Result<i64, ZeroDivisionError> {
        println!("\n\ncallback 1 received from server!");
        println!("going to crash - you won't see the exception here, only on the server");
        self.crash()
    }

    fn call2(&self) -> Result<i64, ZeroDivisionError> {
        println!("\n\ncallback 2 received from server!");
        println!("going to crash - but you will see the exception printed here too:");
        self.crash()
    }
}

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> pyro::Result<()> {
    // What Pyro5's logging shows for the exception it re-raises in a callback method.
    let daemon = Daemon::builder()
        .config(Config::environment()?)
        .on_callback_error(|error| {
            eprintln!("[pyro::callback,WARNING] error during handleRequest: {}", error.error.message);
        })
        .bind()?;
    let uri = daemon.register_as::<dyn CallbackHandler, _>(Handler, None)?;
    let callback = CallbackHandlerProxy::from(daemon.proxy_for(uri.object())?);
    {
        let server = CallbackServerProxy::from_proxy(python::proxy("PYRONAME:example.callback2")?);
        server.doCallback(callback)?; // this is a oneway call, so we can continue right away
        server.proxy().release();
    }
    println!("waiting for callbacks to arrive...");
    println!("(ctrl-c/break the program once it's done)");
    daemon.request_loop()
}
