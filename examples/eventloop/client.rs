//! The client of Pyro5's eventloop example: calls `multiply` of `example.eventloop.server`
//! (looked up in the name server) with numbers and with a string, waits for enter on standard
//! input, then makes 19 more pairs of calls, printing what Python's `client.py` prints. Works
//! against `eventloop_server_threads`, `eventloop_server_multiplexed` and Python's servers alike.
//!
//! ```sh
//! cargo run --example eventloop_server_multiplexed   # or: python server_multiplexed.py
//! cargo run --example eventloop_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (the name server is found with
//! `PYRO_NS_HOST`, `PYRO_NS_PORT`, else by broadcast), and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. An error ends the program with Pyro5's exception line on
//! standard error and status 1; so does the end of standard input at the prompt (`EOFError`).

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use pyro::Value;

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> Result<(), python::Failure> {
    // `with Proxy(...) as proxy:` — dropped, its connection closed, at the end.
    let proxy = python::proxy("PYRONAME:example.eventloop.server")?;
    let multiply = |x: Value, y: Value| -> pyro::Result<Value> { proxy.call("multiply", &(x, y)) };
    println!("5*11={}", multiply(Value::Int(5), Value::Int(11))?);
    println!("'x'*10={}", text(&multiply(Value::from("x"), Value::Int(10))?));

    python::input("press enter to do a loop of some more calls:")?;
    for i in 1..20 {
        println!("2*i={}", multiply(Value::Int(2), Value::Int(i))?);
        println!("'@'*i={}", text(&multiply(Value::from("@"), Value::Int(i))?));
    }
    Ok(())
}

/// Python's `"%s" % value`: a string as it is, anything else as Python prints it.
fn text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}
