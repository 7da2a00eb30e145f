//! An async server: `pyro::aio::Daemon` on tokio serving an object whose methods are `async fn`
//! (a timer stands for a database or an HTTP call) next to a plain one, with an item stream
//! and a oneway call. It prints its URI and serves until a client calls `stop()`.
//!
//! ```sh
//! cargo run --features tokio --example aio_server
//! python -c "import Pyro5.api; p = Pyro5.api.Proxy('PYRO:example.aio@localhost:9999'); \
//!            print(p.lookup('tea'), p.upper('x'), list(p.countdown(3))); p.stop()"
//! ```
//!
//! `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_COMMTIMEOUT`, `PYRO_SSL`, ...);
//! the port is 9999 unless an argument gives another one (0: any free port).

use std::sync::Mutex;
use std::time::Duration;

use pyro::dispatch::CallContext;

/// A slow lookup service: each lookup waits without holding a thread.
struct Lookups {
    seen: Mutex<Vec<String>>,
}

#[pyro::expose]
impl Lookups {
    /// Looks `key` up (async: 50 ms of waiting that holds no thread, so many run at once).
    pub async fn lookup(&self, key: String) -> String {
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.seen.lock().map(|mut seen| seen.push(key.clone())).ok();
        format!("{key}: found")
    }

    /// A plain method: runs on a blocking thread of the async daemon.
    pub fn upper(&self, text: String) -> String {
        text.to_uppercase()
    }

    /// An item stream from an async method.
    pub async fn countdown(&self, from: u32) -> impl Iterator<Item = u32> + Send + 'static {
        tokio::task::yield_now().await;
        (0..=from).rev()
    }

    /// The keys looked up so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|seen| seen.clone()).unwrap_or_default()
    }

    /// Stops the server (it answers first).
    #[pyro::oneway]
    pub async fn stop(&self, ctx: &CallContext) {
        if let Some(daemon) = ctx.daemon() {
            daemon.shutdown();
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = match std::env::args().nth(1) {
        Some(port) => port.parse()?,
        None => 9999,
    };
    let daemon = pyro::aio::Daemon::new(pyro::Daemon::builder().port(port).bind()?);
    let uri = daemon.register(Lookups { seen: Mutex::new(Vec::new()) }, Some("example.aio"))?;
    println!("uri = {uri}");
    daemon.serve().await?;
    println!("stopped");
    Ok(())
}
