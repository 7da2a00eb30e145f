//! The client of Pyro5's resourcetracking example: asks for the server's URI (as Python's
//! `client.py` does), lists the allocated resources, allocates two with random names, then
//! waits for Enter: on Enter it frees them and lists again; if standard input ends instead (or
//! the program is interrupted), it leaves without freeing them and the server closes them when
//! the connection goes. Works against `resourcetracking_server` and against Python's
//! `server.py` alike.
//!
//! ```sh
//! cargo run --example resourcetracking_server    # or: python server.py (in Pyro5's examples)
//! cargo run --example resourcetracking_client    # paste the URI; Enter, or ^C / ^D to abort
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. The names are made as Python makes them (the last four
//! characters of `hex()` of a random number up to 999999). Where Python's `input()` raises
//! `EOFError` at the end of input, this program closes its connection and ends as the uncaught
//! exception ends Python's: its exception line on standard error (Python's stack frames, which
//! a Rust program does not have, left out) and status 1; on ^C it is ended by the signal, which
//! closes the connection as forcefully.

#[path = "../common/python.rs"]
mod python;

use std::hash::{BuildHasher, RandomState};
use std::process::ExitCode;

use pyro::Value;
use pyro::proxy::Proxy;
use python::{Failure, input};

fn main() -> ExitCode {
    python::exit_status(run())
}

/// Python's `hex(random.randint(0, 999999))[-4:]`.
fn random_name() -> String {
    let number = RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000;
    let hex = format!("{number:#x}");
    hex[hex.len().saturating_sub(4)..].to_owned()
}

fn run() -> Result<(), Failure> {
    let uri = input("Enter the URI of the server object: ").map_err(Failure::Eof)?;
    {
        // `with Proxy(uri) as proxy:` — the connection closes when the block is left, also
        // when the prompt below meets the end of input.
        let proxy: Proxy = python::proxy(uri.trim())?;
        println!("currently allocated resources: {}", proxy.call::<_, Value>("list", &())?);
        let name1 = random_name();
        let name2 = random_name();
        println!("allocating resource... {name1}");
        proxy.call::<_, Value>("allocate", &(&name1,))?;
        println!("allocating resource... {name2}");
        proxy.call::<_, Value>("allocate", &(&name2,))?;
        input("\nhit Enter now to continue normally or ^C/break to abort the connection forcefully:")
            .map_err(Failure::Eof)?;
        println!("free resources normally...");
        proxy.call::<_, Value>("free", &(&name1,))?;
        proxy.call::<_, Value>("free", &(&name2,))?;
        println!("allocated resources: {}", proxy.call::<_, Value>("list", &())?);
    }
    println!("done.");
    Ok(())
}
