//! The client of Pyro5's first callback example: serves a callback handler on a daemon of its
//! own, asks the server `PYRONAME:example.callback` for five workers, passing them the handler,
//! puts each to work for 1 to 5 seconds, and serves the handler until all five reported back.
//! Prints what Python's `client.py` prints; works against `callback_server` and against Python's
//! `server.py` alike.
//!
//! ```sh
//! pyro-ns &                                     # or: python -m Pyro5.nameserver
//! cargo run --example callback_server           # or: python server.py (in Pyro5's examples)
//! cargo run --example callback_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (its daemon binds `PYRO_HOST`), with
//! `COMMTIMEOUT` 0.5 s as Python's client sets it, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another.

#[path = "../common/python.rs"]
mod python;
mod worker;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pyro::{Config, Daemon, Error};
use worker::{CallbackHandler, CallbackHandlerProxy, CallbackServerProxy};

const NUM_WORKERS: usize = 5;

/// The callback handler, as Python's `CallbackHandler`.
struct Handler {
    workdone: Arc<AtomicUsize>,
}

impl CallbackHandler for Handler {
    fn done(&self, number: u32) {
        println!("callback: worker {number} reports work is done!");
        self.workdone.fetch_add(1, Ordering::SeqCst);
    }
}

fn main() -> ExitCode {
    python::exit_status(run())
}

/// A number from 1 to 5, as Python's `random.randint(1, 5)`.
fn randint() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    u64::from(nanos / 1000 % 5) + 1
}

fn run() -> pyro::Result<()> {
    // Python's client sets COMMTIMEOUT so that its request loop can check its condition.
    let config = Config { comm_timeout: Some(Duration::from_millis(500)), ..Config::environment()? };
    let daemon = Arc::new(Daemon::new(config)?);
    // register our callback handler
    let workdone = Arc::new(AtomicUsize::new(0));
    let uri = daemon.register_as::<dyn CallbackHandler, _>(Handler { workdone: Arc::clone(&workdone) }, None)?;
    let callback = CallbackHandlerProxy::from(daemon.proxy_for(uri.object())?);
    let serving = Arc::clone(&daemon);
    let request_loop = std::thread::spawn(move || serving.request_loop());

    // contact the server and put it to work
    println!("creating a bunch of workers");
    {
        let server = CallbackServerProxy::from_proxy(python::proxy("PYRONAME:example.callback")?);
        for _ in 0..NUM_WORKERS {
            let worker = server.addworker(callback.clone())?; // provide our callback handler!
            worker.work(randint())?;
        }
        server.proxy().release();
    }

    println!("waiting for all work complete...");
    while workdone.load(Ordering::SeqCst) < NUM_WORKERS {
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon.shutdown();
    request_loop.join().map_err(|_| Error::Daemon { message: "the request loop panicked".into() })??;
    println!("done!");
    Ok(())
}
