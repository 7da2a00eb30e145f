//! The client of Pyro5's streaming example: asks for the server's URI (`Enter streaming server
//! uri: `, as Python's `client.py` does), then reads a list, an iterator, a generator, a slow
//! generator (printing each number as it arrives) and the two streamed properties, printing
//! the lines Python's client prints. Works against `streaming_server` and against Python's
//! `server.py` alike.
//!
//! ```sh
//! cargo run --example streaming_server           # or: python server.py (in Pyro5's examples)
//! cargo run --example streaming_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another (pyro's own default is msgpack). Python's
//! client installs Pyro5's `excepthook`, which prints an uncaught remote exception with its
//! remote traceback; this one prints an error the same way (to standard error, without Python's
//! local stack frames, which a Rust program does not have) and exits with status 1. With the
//! server's `ITER_STREAMING` off, the first streamed call fails so.

#[path = "../common/python.rs"]
mod python;
mod streamer;

use std::process::ExitCode;

use python::input;
use streamer::StreamerProxy;

fn main() -> ExitCode {
    let uri = match input("Enter streaming server uri: ") {
        Ok(uri) => uri,
        Err(e) => return python::exit_status(Err(e)),
    };
    python::exit_status(run(uri.trim()))
}

fn run(uri: &str) -> pyro::Result<()> {
    let p = StreamerProxy::from_proxy(python::proxy(uri)?);
    println!("\nnormal list:");
    println!("{:?}", p.list()?);
    println!("\nvia iterator:");
    println!("{:?}", p.iterator()?.collect::<pyro::Result<Vec<i64>>>()?);
    println!("\nvia generator:");
    println!("{:?}", p.generator()?.collect::<pyro::Result<Vec<i64>>>()?);
    println!("\nslow generator:");
    for number in p.slow_generator()? {
        println!("{}", number?);
    }
    println!("\nproperty iterator:");
    println!("{:?}", p.prop_iter()?.collect::<pyro::Result<Vec<i64>>>()?);
    println!("\nproperty generator:");
    println!("{:?}", p.prop_generator()?.collect::<pyro::Result<Vec<i64>>>()?);
    Ok(())
}
