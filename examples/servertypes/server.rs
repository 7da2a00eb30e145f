//! The server of Pyro5's servertypes example: asks on standard input which server type to run
//! (`t` for the thread server, anything else for the multiplexed one, as Python's `server.py`
//! asks), then serves a single `Server` instance registered with the name server as
//! `example.servertypes`, printing what Pyro5's `serve()` prints and a line for every delay
//! call with the name of the thread running it. Python's `client.py` from that example runs
//! against it unchanged (and `servertypes_client` against either server).
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns            # a name server (or Python's: pyro5-ns)
//! echo t | cargo run --example servertypes_server   # or: python server.py (in Pyro5's examples)
//! cargo run --example servertypes_client        # or: python client.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_NS_HOST`,
//! `PYRO_NS_PORT`, ...) except `PYRO_SERVERTYPE`, which the answer replaces as Python's
//! program replaces `config.SERVERTYPE`.
//!
//! The two server types behave as Pyro5's do in this example. The thread server runs each
//! connection's calls on a worker of its own, so calls from different proxies run side by
//! side. Pyro5's multiplexed server runs every call on its loop's thread, one at a time; pyro's
//! multiplexed server normally runs calls on a pool of `THREADPOOL_SIZE` workers (a slow
//! method holding up only its own client), so this port runs the loop with no call workers
//! ([`Daemon::event_loop_with_workers`] with 0), which serves calls on the main thread one
//! after the other as Pyro5 does. In both, oneway calls run in the background on threads of
//! their own.
//!
//! A method's thread is named as Python names the thread doing the same job, so that the
//! lines read the same: `MainThread` for the main thread, `Pyro-Worker-<n>` for a thread
//! server worker, `oneway-call` for a oneway call's thread (`<n>` is the Rust thread id where
//! Python prints the worker object's id). `getconfig` returns the configuration as Pyro5's
//! `config.as_dict()` does (numbers, booleans and `None` typed as Python has them), except that
//! key passwords read as empty.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pyro::config::ServerType;
use pyro::daemon::InstanceMode;
use pyro::value::Dict;
use pyro::{Config, Daemon, Value, locate_ns_with_config};

/// The name Python's `serve()` registers the server under.
const NAME: &str = "example.servertypes";

/// Pyro5's `Server`: `@behavior(instance_mode="single")`, counting completed delay calls.
pub struct Server {
    callcount: AtomicU64,
    config: Config,
}

#[pyro::expose]
impl Server {
    /// Sets the count of completed calls back to 0.
    pub fn reset(&self) {
        self.callcount.store(0, Ordering::SeqCst);
    }

    /// The number of completed calls.
    pub fn getcount(&self) -> u64 {
        self.callcount.load(Ordering::SeqCst)
    }

    /// The server's configuration, as Pyro5's `config.as_dict()`.
    pub fn getconfig(&self) -> Value {
        config_dict(&self.config)
    }

    /// Takes a second; returns the name of the thread that ran it.
    pub fn delay(&self) -> String {
        let thread = python_thread_name();
        println!("delay called in thread {thread}");
        std::thread::sleep(Duration::from_secs(1));
        self.callcount.fetch_add(1, Ordering::SeqCst);
        thread
    }

    /// Takes a second, oneway: the caller does not wait for it.
    #[pyro::oneway]
    pub fn onewaydelay(&self) {
        println!("onewaydelay called in thread {}", python_thread_name());
        std::thread::sleep(Duration::from_secs(1));
        self.callcount.fetch_add(1, Ordering::SeqCst);
    }
}

/// Python's `threading.current_thread().name` for the thread doing this job in Pyro5.
fn python_thread_name() -> String {
    let thread = std::thread::current();
    let id = format!("{:?}", thread.id());
    let number = id.trim_start_matches("ThreadId(").trim_end_matches(')');
    match thread.name() {
        Some("main") => "MainThread".to_owned(),
        Some("pyro-worker") => format!("Pyro-Worker-{number}"),
        Some("pyro-oneway") => "oneway-call".to_owned(),
        Some(other) => format!("{other}-{number}"),
        None => format!("Thread-{number}"),
    }
}

/// The configuration items whose Python values are numbers of seconds (floats).
const FLOATS: [&str; 6] =
    ["NS_AUTOCLEAN", "NS_LOOKUP_DELAY", "COMMTIMEOUT", "POLLTIMEOUT", "ITER_STREAM_LIFETIME", "ITER_STREAM_LINGER"];
/// The configuration items whose Python values are ints.
const INTS: [&str; 8] = [
    "NS_PORT",
    "NS_BCPORT",
    "NATPORT",
    "MAX_RETRIES",
    "THREADPOOL_SIZE",
    "THREADPOOL_SIZE_MIN",
    "MAX_MESSAGE_SIZE",
    "PREFER_IP_VERSION",
];
/// The configuration items that may be Python's `None`.
const OPTIONAL: [&str; 3] = ["NS_BCHOST", "NATHOST", "LOGLEVEL"];

/// Pyro5's `config.as_dict()`: every item by name, typed as Python holds it.
fn config_dict(config: &Config) -> Value {
    let mut dict = Dict::new();
    for (item, text) in config.items() {
        let value = match item {
            "BROADCAST_ADDRS" => Value::List(config.broadcast_addrs.iter().map(|a| Value::from(a.as_str())).collect()),
            "SSL_SERVERKEYPASSWD" | "SSL_CLIENTKEYPASSWD" => Value::from(""),
            _ if OPTIONAL.contains(&item) && text == "None" => Value::None,
            _ if text == "True" || text == "False" => Value::Bool(text == "True"),
            _ if INTS.contains(&item) => text.parse().map_or(Value::Str(text), Value::Int),
            _ if FLOATS.contains(&item) => text.parse().map_or(Value::Str(text), Value::Float),
            _ => Value::Str(text),
        };
        dict.insert(item, value);
    }
    Value::Dict(dict)
}

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> Result<(), python::Failure> {
    let mut config = Config::environment().map_err(pyro::Error::from)?;
    let servertype = python::input("Servertype threaded or multiplex (t/m)?")?;
    config.server_type = if servertype == "t" { ServerType::Thread } else { ServerType::Multiplex };
    serve(config)?;
    Ok(())
}

/// What Pyro5's `serve({Server: "example.servertypes"})` does: locate the name server, register
/// the class under a generated id, print its URI, register its name, print the name; then serve.
fn serve(config: Config) -> pyro::Result<()> {
    let ns = locate_ns_with_config(None, None, &config)?;
    let daemon = Daemon::builder().config(config.clone()).bind()?;
    let make = move |_: &pyro::dispatch::CallContext| Server { callcount: AtomicU64::new(0), config: config.clone() };
    let uri = daemon.register_class_with(InstanceMode::Single, make, None)?;
    println!("Object <class '__main__.Server'>:\n    uri = {uri}");
    ns.register(NAME, &uri, false, None)?;
    println!("    name = {NAME}");
    println!("Pyro daemon running.");
    #[cfg(unix)]
    if daemon.config().server_type == ServerType::Multiplex {
        // Calls on this thread, one at a time, as Pyro5's multiplexed server runs them.
        return daemon.event_loop_with_workers(0)?.run();
    }
    daemon.request_loop()
}
