//! The client of Pyro5's instancemode example: calls `msg` three times on each of several
//! proxies of `instance.percall`, `instance.session` and `instance.single` (looked up in the
//! name server) and prints each result, as Python's `client.py` does: a different number per
//! call for percall, the same within a proxy's connection for session, always the same for
//! single. Works against `instancemode_server` and against Python's `server.py` alike.
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns            # a name server (or Python's: pyro5-ns)
//! cargo run --example instancemode_server        # or: python server.py (in Pyro5's examples)
//! cargo run --example instancemode_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (the name server is found with
//! `PYRO_NS_HOST`, `PYRO_NS_PORT`, else by broadcast), and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. Results print as Python prints them (`repr`), e.g. the
//! session's `(id, 'correlation id')` tuple. Each `with Proxy(...)` block of the Python client
//! is a proxy here, dropped (its connection closed) at the end of its block. An error ends the
//! program with Pyro5's exception line on standard error and status 1.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use pyro::Value;
use pyro::proxy::Proxy;

fn main() -> ExitCode {
    python::exit_status(run())
}

/// `with Proxy(uri) as p:` followed by three `print(p.msg(message))`.
fn three_calls(uri: &str, message: &str) -> pyro::Result<()> {
    let p: Proxy = python::proxy(uri)?;
    for _ in 0..3 {
        let result: Value = p.call("msg", &(message,))?;
        println!("{result}");
    }
    Ok(())
}

fn run() -> pyro::Result<()> {
    println!("Showing the different instancing modes.");
    println!("The number printed, is the id of the instance that handled the call.");

    println!("\n-----PERCALL (different number *possible* every time) -----");
    for message in ["hello1", "hello2", "hello3"] {
        three_calls("PYRONAME:instance.percall", message)?;
    }

    println!("\n-----SESSION (same numbers within session) -----");
    three_calls("PYRONAME:instance.session", "hello1")?;
    println!(" ..new proxy..");
    three_calls("PYRONAME:instance.session", "hello2")?;

    println!("\n-----SINGLE (same number always, even over proxies) -----");
    for message in ["hello1", "hello2", "hello3"] {
        three_calls("PYRONAME:instance.single", message)?;
    }
    Ok(())
}
