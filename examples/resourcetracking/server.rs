//! The server of Pyro5's resourcetracking example: serves the single-instance `Service` as
//! `service` (without a name server, as Python's `serve(..., use_ns=False)`), whose `allocate`
//! makes a (fictional) resource and tracks it on the caller's connection, `free` closes and
//! untracks it, and `list` names the allocated ones. When a client goes away without freeing
//! its resources, the connection closes them; a disconnect hook (Python's
//! `CustomDaemon.clientDisconnect`) first prints who left and which resources it still held.
//! It prints what Python's `server.py` prints, so that Python's `client.py` from that example
//! runs against it unchanged (and `resourcetracking_client` against either server).
//!
//! ```sh
//! cargo run --example resourcetracking_server    # or: python server.py (in Pyro5's examples)
//! cargo run --example resourcetracking_client    # or: python client.py; paste the URI
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, ...); the port is any
//! free one. Python keeps its resources in sets, which list them in no particular order; here
//! `list` and the disconnect hook give them in the order they were allocated. Client addresses
//! print as Python prints `getpeername()`: `('host', port)` for IPv4; the address is the one the
//! client connected from, so this hook prints its lines also for a client whose connection was
//! reset (killed before it read a reply), where Python's `getpeername()` fails and its hook
//! prints nothing (the resources are closed either way).

#[path = "../common/python.rs"]
mod python;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use pyro::daemon::{ConnectionInfo, InstanceMode};
use pyro::dispatch::CallContext;
use pyro::session::{Resource as Tracked, ResourceHandle};
use pyro::{Config, Daemon, Value};

/// The object id Python's `serve()` registers the `Service` class under.
const OBJECT_ID: &str = "service";

/// The allocated resources (Python's `Service.resources` set), shared with the resources
/// themselves so that closing one removes it (Python's `collection.discard(self)`).
type Collection = Arc<Mutex<Vec<Allocated>>>;

/// One allocated resource as the service knows it.
struct Allocated {
    /// Tells resources with the same name apart.
    serial: u64,
    name: String,
    /// How the connection that allocated it tracks it.
    handle: ResourceHandle,
}

/// Numbers the resources.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// Python's `Resource`: a fictional resource that must be freed again later.
struct Resource {
    serial: u64,
    name: String,
    collection: Collection,
}

impl Tracked for Resource {
    /// Called by the daemon for the resources a client still holds when it disconnects (and by
    /// `free`): prints it and removes the resource from the service's collection.
    fn close(&mut self) {
        println!("Resource: closing {}", self.name);
        self.collection.lock().unwrap_or_else(PoisonError::into_inner).retain(|r| r.serial != self.serial);
    }

    /// What the disconnect hook lists (Python's `r.name`).
    fn name(&self) -> String {
        self.name.clone()
    }
}

/// Pyro5's `Service`: `@behavior(instance_mode="single")`.
#[derive(Default)]
pub struct Service {
    resources: Collection,
}

#[pyro::expose]
impl Service {
    /// Allocates the resource `name`, tracked on the caller's connection.
    pub fn allocate(&self, ctx: &CallContext, name: String) -> pyro::Result<()> {
        let serial = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        let resource = Resource { serial, name: name.clone(), collection: Arc::clone(&self.resources) };
        let handle = ctx.track_resource(resource)?;
        self.lock().push(Allocated { serial, name: name.clone(), handle });
        println!("service: allocated resource {name}  for client {}", python_address(ctx.client_addr()));
        Ok(())
    }

    /// Frees (closes and untracks) every resource called `name`.
    pub fn free(&self, ctx: &CallContext, name: String) {
        let freed: Vec<Allocated> = {
            let mut resources = self.lock();
            let (freed, kept) = std::mem::take(&mut *resources).into_iter().partition(|r| r.name == name);
            *resources = kept;
            freed
        };
        for allocated in freed {
            // Untracked from the caller's connection if it tracks it (as Python's
            // `untrack_resource`); closed either way, as Python's `r.close()`.
            let mut resource = ctx.untrack_resource(allocated.handle).unwrap_or_else(|| {
                Box::new(Resource {
                    serial: allocated.serial,
                    name: allocated.name,
                    collection: Arc::clone(&self.resources),
                })
            });
            resource.close();
        }
    }

    /// The names of the allocated resources.
    pub fn list(&self) -> Vec<String> {
        self.lock().iter().map(|r| r.name.clone()).collect()
    }
}

impl Service {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Allocated>> {
        self.resources.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A socket address as Python prints `getpeername()`: `('127.0.0.1', 5000)`, or
/// `('::1', 5000, 0, 0)` for IPv6.
fn python_address(addr: Option<SocketAddr>) -> String {
    match addr {
        Some(SocketAddr::V4(v4)) => format!("('{}', {})", v4.ip(), v4.port()),
        Some(SocketAddr::V6(v6)) => format!("('{}', {}, {}, {})", v6.ip(), v6.port(), v6.flowinfo(), v6.scope_id()),
        None => "''".to_owned(), // a Unix socket's peer name
    }
}

/// Python's `CustomDaemon.clientDisconnect`: who left, and the resources it still holds
/// (closed right after this, by the daemon).
fn client_disconnect(conn: &ConnectionInfo) {
    println!("client disconnects: {}", python_address(conn.client_addr()));
    let names = Value::List(conn.tracked_resources().iter().map(|name| Value::from(name.as_str())).collect());
    println!("    resources:  {names}");
}

fn main() -> ExitCode {
    python::exit_status(serve())
}

/// What Python's `serve({Service: "service"}, use_ns=False, daemon=CustomDaemon())` does:
/// the class registered under its name, the banner, the request loop.
fn serve() -> pyro::Result<()> {
    let daemon = Daemon::builder().config(Config::environment()?).client_disconnect(client_disconnect).bind()?;
    let uri = daemon.register_class::<Service>(InstanceMode::Single, Some(OBJECT_ID))?;
    println!("Object <class '__main__.Service'>:\n    uri = {uri}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
