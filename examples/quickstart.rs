//! pyro in one process: expose an object, serve it with a daemon, call it through the typed proxy
//! that `#[pyro::expose]` generates.
//!
//! ```sh
//! cargo run --example quickstart                 # the demo, then exit
//! cargo run --example quickstart -- --serve      # the demo, then keep serving on 127.0.0.1:9999
//! cargo run --example quickstart -- --serve 0    # ... on any free port (the URI is printed)
//! ```
//!
//! With `--serve`, Python can call the same list while it runs:
//!
//! ```python
//! import Pyro5.api
//! shopping = Pyro5.api.Proxy("PYRO:example.shopping@127.0.0.1:9999")
//! print(shopping.add("milk", 2), shopping.items())
//! ```

use pyro::{Daemon, RemoteError, Value};

/// A shared shopping list: the object we serve.
#[derive(Default)]
struct ShoppingList {
    items: Vec<String>,
}

#[pyro::expose]
impl ShoppingList {
    /// Adds an item (a `&mut self` method: the daemon gives it exclusive access).
    pub fn add(&mut self, item: String, quantity: Option<u32>) -> usize {
        let quantity = quantity.unwrap_or(1);
        self.items.push(format!("{quantity} x {item}"));
        self.items.len()
    }

    /// Everything on the list (a `&self` method: may run concurrently with other readers).
    pub fn items(&self) -> Vec<String> {
        self.items.clone()
    }

    /// The item at `index`, or a Python-style `IndexError`.
    pub fn get(&self, index: usize) -> Result<String, RemoteError> {
        self.items
            .get(index)
            .cloned()
            .ok_or_else(|| RemoteError::new("builtins.IndexError", vec![Value::from("list index out of range")]))
    }

    /// Prints a note on the server; the caller does not wait for it.
    #[pyro::oneway]
    pub fn note(&self, text: String) {
        println!("   [server] note received: {text}");
    }
}

/// The port `--serve` listens on when none is given (the one the README's Python snippet uses).
const SERVE_PORT: u16 = 9999;

/// `None`: the demo alone; `Some(port)`: the demo, then serve on `port` until killed.
fn serve_port(mut args: impl Iterator<Item = String>) -> Result<Option<u16>, String> {
    let usage = "usage: quickstart [--serve [PORT]]";
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, ..) => Ok(None),
        (Some("--serve"), None, _) => Ok(Some(SERVE_PORT)),
        (Some("--serve"), Some(port), None) => {
            port.parse().map(Some).map_err(|e| format!("invalid port {port:?}: {e}\n{usage}"))
        }
        _ => Err(usage.to_owned()),
    }
}

fn main() -> pyro::Result<()> {
    let serve = match serve_port(std::env::args().skip(1)) {
        Ok(serve) => serve,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    // 1. A daemon on a port of the loopback interface (any free one for the demo alone).
    let daemon = Daemon::bind("127.0.0.1", serve.unwrap_or(0))?;
    println!("1. daemon listening on {}", daemon.location());

    // 2. Register the object; the daemon hands back its URI.
    let uri = daemon.register(ShoppingList::default(), Some("example.shopping"))?;
    println!("2. registered the shopping list as {uri}");

    // 3. Serve requests on a background thread.
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    println!("3. serving requests");

    // 4. Call it through the typed proxy (any Pyro5 client can call it the same way).
    let list = ShoppingListProxy::new(&uri.to_string())?;
    println!("4. add(\"apples\", 3) -> {}", list.add("apples".into(), Some(3))?);
    println!("   add(\"bread\", None) -> {}", list.add("bread".into(), None)?);
    println!("   items() -> {:?}", list.items()?);
    list.note("all done".into())?;
    match list.get(7) {
        Err(pyro::Error::Remote(remote)) => println!("   get(7) raised {}: {}", remote.class, remote.message),
        other => println!("   get(7) -> {other:?}"),
    }

    std::thread::sleep(std::time::Duration::from_millis(50)); // let the oneway note print
    if serve.is_some() {
        // Keep serving, for other clients (Python's Pyro5, say).
        println!("5. still serving {uri} (Ctrl-C to stop); from Python:");
        println!("   Pyro5.api.Proxy(\"{uri}\").items()");
        return server.join().map_err(|_| pyro::Error::Daemon { message: "daemon thread panicked".into() })?;
    }

    // 5. Stop the daemon.
    shutdown.shutdown();
    server.join().map_err(|_| pyro::Error::Daemon { message: "daemon thread panicked".into() })??;
    println!("5. daemon stopped");
    Ok(())
}
