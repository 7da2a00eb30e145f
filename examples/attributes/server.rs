//! The server of Pyro5's attributes example: serves a `Thingy` as `example.attributes` and
//! prints what Pyro5's `serve({Thingy: "example.attributes"}, use_ns=False)` prints, so that
//! Python's `client.py` from that example runs against it unchanged (and `attributes_client`
//! against either server).
//!
//! ```sh
//! cargo run --example attributes_server
//! cargo run --example attributes_client           # or: python client.py (in Pyro5's examples)
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, ...). As Pyro5's
//! `serve()` does, the class is registered (Pyro5's default "session" instance mode): each
//! proxy connection gets a fresh `Thingy`, so a `prop_value` one client changed is 42 again
//! for the next. The banner names the Python class as Pyro5 prints it
//! (`<class '__main__.Thingy'>`), so the output lines are the same.

mod thingy;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};

use pyro::daemon::InstanceMode;
use pyro::{Config, Daemon, Value};
use thingy::Thingy;

/// The object id Python's `serve()` registers the `Thingy` under.
const OBJECT_ID: &str = "example.attributes";

/// The Python class as Pyro5's `serve()` prints it (`repr(Thingy)`).
const CLASS_REPR: &str = "<class '__main__.Thingy'>";

/// Python's `Thingy` instance: `sub`, `value`, and the private `_value` and `__value`, none of
/// them exposed as such.
struct Things {
    sub: BTreeMap<String, String>,
    value: AtomicI64,
    #[allow(dead_code)]
    private_value: i64,
    #[allow(dead_code)]
    mangled_value: i64,
}

impl Thingy for Things {
    fn dunder(&self) -> String {
        "yep".to_owned()
    }
    fn len(&self) -> i64 {
        200
    }
    fn get_value(&self) -> i64 {
        self.value.load(Ordering::SeqCst)
    }
    fn prop_value(&self) -> i64 {
        self.value.load(Ordering::SeqCst)
    }
    fn set_prop_value(&self, value: i64) {
        self.value.store(value, Ordering::SeqCst);
    }
    fn prop_sub(&self) -> Value {
        Value::Dict(self.sub.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
    }
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attributes_server: {e}");
            ExitCode::FAILURE
        }
    }
}

impl Things {
    /// Python's `Thingy.__init__`.
    fn new() -> Things {
        Things {
            sub: BTreeMap::from([("name".to_owned(), "value".to_owned())]),
            value: AtomicI64::new(42),
            private_value: 123,
            mangled_value: 999,
        }
    }
}

fn serve() -> pyro::Result<()> {
    let config = Config::environment()?;
    // What Pyro5's `serve(..., use_ns=False)` does: a daemon on `HOST` (any free port), the
    // class registered under its name (one instance per connection), the banner, the loop.
    let daemon = Daemon::builder().config(config).bind()?;
    let uri = daemon.register_class_as::<dyn Thingy, _>(InstanceMode::Session, |_| Things::new(), Some(OBJECT_ID))?;
    println!("Object {CLASS_REPR}:\n    uri = {uri}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
