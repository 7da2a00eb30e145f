//! The server of Pyro5's first callback example: serves a `CallbackServer` registered in the
//! name server as `example.callback` (printing what Pyro5's `serve()` prints). A client passes
//! its callback handler (a proxy for an object its own daemon serves) to `addworker`, which
//! makes a `Worker` and returns it by reference (the client receives a proxy); the worker's
//! oneway `work(amount)` sleeps `amount` seconds, unregisters the worker and calls the client's
//! handler back. Python's `client.py` runs against it unchanged, and `callback_client` against
//! either server.
//!
//! ```sh
//! pyro-ns &                                     # or: python -m Pyro5.nameserver
//! cargo run --example callback_server           # or: python server.py (in Pyro5's examples)
//! cargo run --example callback_client           # or: python client.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_NS_HOST`, ...).
//! As Pyro5's `serve()` does, the class is registered (session instance mode): each client
//! connection gets its own `CallbackServer`, so each client's workers are numbered from 1.

mod worker;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pyro::daemon::InstanceMode;
use pyro::dispatch::CallContext;
use pyro::naming::locate_ns_with_config;
use pyro::{Config, Daemon, Remote, ShutdownHandle};
use worker::{CallbackHandlerProxy, CallbackServer, Worker};

/// The name Python's `serve()` registers the server under.
const NAME: &str = "example.callback";

/// A worker, as Python's `Worker`.
struct Job {
    number: u32,
    callback: CallbackHandlerProxy,
    /// Its own object id, to unregister itself (Python's `self._pyroDaemon.unregister(self)`).
    id: String,
    daemon: ShutdownHandle,
}

impl Worker for Job {
    fn work(&self, amount: u64) {
        println!("Worker {} busy...", self.number);
        std::thread::sleep(Duration::from_secs(amount));
        println!("Worker {} done. Informing callback client.", self.number);
        self.daemon.unregister(&self.id);
        // invoke the callback object
        if let Err(e) = self.callback.done(self.number) {
            eprintln!("Worker {}: {}: {e}", self.number, e.python_class());
        }
    }
}

/// Python's `CallbackServer`, one per client connection.
struct Server {
    number: AtomicU32,
    daemon: ShutdownHandle,
}

impl CallbackServer for Server {
    fn addworker(&self, callback: CallbackHandlerProxy) -> Remote<dyn Worker> {
        let number = self.number.fetch_add(1, Ordering::SeqCst) + 1;
        println!("server: adding worker {number}");
        let id = Daemon::new_object_id();
        let worker = Job { number, callback, id: id.clone(), daemon: self.daemon.clone() };
        println!("Worker {number} created");
        // Registered when the reply is sent (make it a Pyro object); it unregisters itself.
        Remote::new(worker).with_id(id).daemon_wide()
    }
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("callback_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> pyro::Result<()> {
    let config = Config::environment()?;
    let daemon = Daemon::builder().config(config.clone()).bind()?;
    let ns = locate_ns_with_config(None, None, &config)?;
    let handle = daemon.shutdown_handle();
    let create = move |_: &CallContext| Server { number: AtomicU32::new(0), daemon: handle.clone() };
    let uri = daemon.register_class_as::<dyn CallbackServer, _>(InstanceMode::Session, create, None)?;
    println!("Object <class '__main__.CallbackServer'>:\n    uri = {uri}");
    ns.register(NAME, &uri, false, None)?;
    println!("    name = {NAME}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
