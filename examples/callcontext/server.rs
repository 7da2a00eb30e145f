//! The server of Pyro5's callcontext example: serves an `EchoServer` as `example.context` on a
//! daemon whose response annotations hook adds `DDAA` to every reply (Python's `CustomDaemon`
//! overriding `Daemon.annotations()`), prints the URI as Python's `server.py` does, and for each
//! call prints what its call context says, so that Python's `client.py` from that example runs
//! against it unchanged (and `callcontext_client` against either server).
//!
//! ```sh
//! cargo run --example callcontext_server         # or: python server.py (in Pyro5's examples)
//! cargo run --example callcontext_client         # or: python client.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, ...). The lines are
//! Python's, with what cannot be the same in Rust said the Rust way:
//!
//! - `thread:` is the Rust thread's number (`std::thread::ThreadId`), not Python's
//!   `threading.get_ident()`; as in Python, a oneway call runs on another thread than a normal
//!   one.
//! - `obj.daemon:` describes the daemon as `<pyro Daemon; <location> - IPv4; <n> objects>`
//!   (Python prints its `repr` with a memory address), and `context.client:` the connection
//!   as `<pyro connection <session id>>` (Python prints its `SocketConnection` object).
//! - `obj.pyroid:` is the id the object was registered under (a Rust object does not carry it).
//!
//! As Python's, it registers the class: one instance per connection (Pyro5's default "session"
//! instance mode).

mod echo;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use echo::EchoServer;
use pyro::daemon::InstanceMode;
use pyro::dispatch::CallContext;
use pyro::protocol::{AnnotationId, Annotations};
use pyro::{Config, Daemon, Value};

/// The object id Python's `server.py` registers the `EchoServer` under.
const OBJECT_ID: &str = "example.context";

/// Python's `EchoServer`, one per client connection.
struct Echo {
    /// How `obj.daemon` is printed (known once the object is registered).
    daemon: Arc<OnceLock<String>>,
}

impl EchoServer for Echo {
    fn echo(&self, ctx: &CallContext, message: String) -> String {
        let thread = format!("{:?}", std::thread::current().id());
        let thread = thread.trim_start_matches("ThreadId(").trim_end_matches(')');
        println!("\nGot Message: {message}");
        println!("  thread:  {thread}");
        println!("  obj.pyroid:  {OBJECT_ID}");
        println!("  obj.daemon:  {}", self.daemon.get().map_or("None", String::as_str));
        println!("  context.client:  <pyro connection {}>", ctx.session_id());
        println!("  context.client_sock_addr:  {}", python_address(ctx.client_addr()));
        println!("  context.seq:  {}", ctx.seq());
        println!("  context.msg_flags:  {}", ctx.flags().bits());
        println!("  context.serializer_id:  {}", ctx.serializer().id());
        match ctx.correlation_id() {
            Some(id) => println!("  context.correlation_id: {id}"),
            None => println!("  context.correlation_id: None"),
        }
        if let Some(value) = AnnotationId::try_from("XYZZ").ok().and_then(|id| ctx.annotations().get(id)) {
            println!("  custom annotation 'XYZZ': {}", Value::Bytes(value.to_vec()));
        }
        message
    }

    fn oneway(&self, ctx: &CallContext, message: String) {
        self.echo(ctx, message);
    }
}

/// A socket address as Python prints `getpeername()`: `('127.0.0.1', 5000)`, or
/// `('::1', 5000, 0, 0)` for IPv6.
fn python_address(addr: Option<SocketAddr>) -> String {
    match addr {
        Some(SocketAddr::V4(v4)) => format!("('{}', {})", v4.ip(), v4.port()),
        Some(SocketAddr::V6(v6)) => format!("('{}', {}, {}, {})", v6.ip(), v6.port(), v6.flowinfo(), v6.scope_id()),
        None => "None".to_owned(),
    }
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("callcontext_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> pyro::Result<()> {
    let annotation = AnnotationId::try_from("DDAA")?;
    let daemon = Daemon::builder()
        .config(Config::environment()?)
        .annotations(move || {
            let mut annotations = Annotations::new();
            annotations.insert(annotation, b"custom response annotation set by the daemon".to_vec());
            annotations
        })
        .bind()?;
    let description = Arc::new(OnceLock::new());
    let shared = Arc::clone(&description);
    let create = move |_: &CallContext| Echo { daemon: Arc::clone(&shared) };
    let uri = daemon.register_class_as::<dyn EchoServer, _>(InstanceMode::Session, create, Some(OBJECT_ID))?;
    let family = if daemon.local_addr().is_some_and(|a| a.is_ipv6()) { "IPv6" } else { "IPv4" };
    let _ = description.set(format!(
        "<pyro Daemon; {} - {family}; {} objects>",
        daemon.location(),
        daemon.registered().len()
    ));
    println!("Server is ready. You can use the following URI to connect:");
    println!("{uri}");
    daemon.request_loop()
}
