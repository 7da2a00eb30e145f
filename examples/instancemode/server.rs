//! The server of Pyro5's instancemode example: registers three classes, one per instance mode
//! (`single`, `session`, `percall`), with the name server as `instance.single`,
//! `instance.session` and `instance.percall`, and prints what Python's `server.py` prints: the
//! banner of Pyro5's `serve()`, a line whenever an instance is created, and one per call. Python's
//! `client.py` from that example runs against it unchanged (and `instancemode_client` against
//! either server).
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns            # a name server (or Python's: pyro5-ns)
//! cargo run --example instancemode_server        # or: python server.py (in Pyro5's examples)
//! cargo run --example instancemode_client        # or: python client.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_NS_HOST`,
//! `PYRO_NS_PORT`, ...) and the name server is found as Pyro5's `serve()` finds it
//! (`locate_ns()`); the objects get generated ids, their names live in the name server. The
//! session class has an instance creator that remembers the correlation id of the call that
//! made the instance, as Python's `create_instance` does with `current_context`.
//!
//! One difference: Python prints and returns `id(self)`, a memory address that a later
//! instance may reuse; this port numbers its instances instead (1, 2, 3, ... in order of
//! creation, never reused), so each number names one instance. The lines are otherwise the
//! same.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use pyro::daemon::InstanceMode;
use pyro::dispatch::CallContext;
use pyro::{Config, Daemon, locate_ns_with_config};

/// The next instance's number (Python's `id(self)`).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A new instance number, announced as Python's `__init__` announces `id(self)`.
fn new_instance(class: &str) -> u64 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    println!("created {class} instance with id {id}");
    id
}

/// Pyro5's `SingleInstance`: `@behavior(instance_mode="single")`.
pub struct SingleInstance {
    id: u64,
}

#[pyro::expose]
impl SingleInstance {
    /// Prints the message with the instance's id; returns the id.
    pub fn msg(&self, message: String) -> u64 {
        println!("[{}] SingleInstance.msg: {message}", self.id);
        self.id
    }
}

/// Pyro5's `SessionInstance`: `@behavior(instance_mode="session", instance_creator=...)`, the
/// creator storing the correlation id of the call it was made for.
pub struct SessionInstance {
    id: u64,
    correlation_id: Option<String>,
}

#[pyro::expose]
impl SessionInstance {
    /// Prints the message with the instance's id; returns the id and the stored correlation id.
    pub fn msg(&self, message: String) -> (u64, Option<String>) {
        println!("[{}] SessionInstance.msg: {message}", self.id);
        (self.id, self.correlation_id.clone())
    }
}

/// Pyro5's `PercallInstance`: `@behavior(instance_mode="percall")`.
pub struct PercallInstance {
    id: u64,
}

#[pyro::expose]
impl PercallInstance {
    /// Prints the message with the instance's id; returns the id.
    pub fn msg(&self, message: String) -> u64 {
        println!("[{}] PercallInstance.msg: {message}", self.id);
        self.id
    }
}

fn main() -> ExitCode {
    python::exit_status(serve())
}

/// What Pyro5's `serve({...}, verbose=True)` does: locate the name server, then register each
/// class under a generated id, print its URI, register its name, print the name; then serve.
fn serve() -> pyro::Result<()> {
    let config = Config::environment()?;
    let ns = locate_ns_with_config(None, None, &config)?;
    let daemon = Daemon::builder().config(config).bind()?;
    let single = |_: &CallContext| SingleInstance { id: new_instance("SingleInstance") };
    let session = |ctx: &CallContext| SessionInstance {
        id: new_instance("SessionInstance"),
        correlation_id: ctx.correlation_id().map(|id| id.to_string()),
    };
    let percall = |_: &CallContext| PercallInstance { id: new_instance("PercallInstance") };
    let uris = [
        ("SingleInstance", "instance.single", daemon.register_class_with(InstanceMode::Single, single, None)?),
        ("SessionInstance", "instance.session", daemon.register_class_with(InstanceMode::Session, session, None)?),
        ("PercallInstance", "instance.percall", daemon.register_class_with(InstanceMode::Percall, percall, None)?),
    ];
    for (class, name, uri) in uris {
        println!("Object <class '__main__.{class}'>:\n    uri = {uri}");
        ns.register(name, &uri, false, None)?;
        println!("    name = {name}");
    }
    println!("Pyro daemon running.");
    daemon.request_loop()
}
