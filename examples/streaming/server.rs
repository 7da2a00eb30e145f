//! The server of Pyro5's streaming example: serves a `Streamer` as `example.streamer` and prints
//! what Python's `server.py` prints (its note on `ITER_STREAMING`, then what Pyro5's
//! `serve({Streamer: "example.streamer"}, use_ns=False)` prints), so that Python's `client.py`
//! from that example runs against it unchanged (and `streaming_client` against either server).
//!
//! ```sh
//! cargo run --example streaming_server            # PYRO_ITER_STREAMING=false: streaming off
//! cargo run --example streaming_client            # or: python client.py (in Pyro5's examples)
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_ITER_STREAMING`,
//! `PYRO_ITER_STREAM_LIFETIME`, ...). As Python's `serve()` registers the class, this registers
//! the `Streamer` class in Pyro5's default "session" instance mode: one instance per proxy
//! connection, made on its first call and dropped when it disconnects. The banner names the
//! Python class as Pyro5 prints it (`<class '__main__.Streamer'>`), so the output lines are the
//! same.

mod streamer;

use std::process::ExitCode;
use std::time::Duration;

use num_bigint::BigInt;
use pyro::daemon::InstanceMode;
use pyro::{Config, Daemon, Value};
use streamer::Streamer;

/// The object id Python's `serve()` registers the `Streamer` under.
const OBJECT_ID: &str = "example.streamer";

/// The Python class as Pyro5's `serve()` prints it (`repr(Streamer)`).
const CLASS_REPR: &str = "<class '__main__.Streamer'>";

/// The served class: each proxy connection gets one.
struct Numbers;

impl Streamer for Numbers {
    fn list(&self) -> Vec<i64> {
        (1..=9).collect()
    }

    fn iterator(&self) -> Box<dyn Iterator<Item = i64> + Send> {
        Box::new(vec![1, 2, 3, 4, 5, 6, 7, 8, 9].into_iter())
    }

    fn generator(&self) -> Box<dyn Iterator<Item = i64> + Send> {
        Box::new(1..10)
    }

    fn slow_generator(&self) -> Box<dyn Iterator<Item = i64> + Send> {
        // Like the Python generator, each item is made (after its pause) when the client asks.
        Box::new((1..10).inspect(|_| std::thread::sleep(Duration::from_millis(500))))
    }

    fn fibonacci(&self) -> Box<dyn Iterator<Item = Value> + Send> {
        let mut pair = (BigInt::from(0), BigInt::from(1));
        Box::new(std::iter::from_fn(move || {
            let next = &pair.0 + &pair.1;
            let current = std::mem::replace(&mut pair.0, std::mem::replace(&mut pair.1, next));
            Some(Value::int(current))
        }))
    }

    fn prop_iter(&self) -> Box<dyn Iterator<Item = i64> + Send> {
        Box::new(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10].into_iter())
    }

    fn prop_generator(&self) -> Box<dyn Iterator<Item = i64> + Send> {
        Box::new(0..10)
    }
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("streaming_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> pyro::Result<()> {
    let config = Config::environment()?;
    if config.iter_streaming {
        println!("Note: iter-streaming has been enabled in the Pyro config.");
    } else {
        println!("Note: iter-streaming has not been enabled in the Pyro config (PYRO_ITER_STREAMING).");
    }
    // What Pyro5's `serve(..., use_ns=False)` does: a daemon on `HOST` (any free port), the
    // class registered under its name (session mode, Pyro5's default), the banner, the
    // request loop.
    let daemon = Daemon::builder().config(config).bind()?;
    let uri = daemon.register_class_as::<dyn Streamer, _>(InstanceMode::Session, |_| Numbers, Some(OBJECT_ID))?;
    println!("Object {CLASS_REPR}:\n    uri = {uri}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
