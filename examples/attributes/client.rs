//! The client of Pyro5's attributes example: asks for the server's URI (`enter attribute server
//! object uri: `, as Python's `client.py` does), then reads and writes the remote property
//! `prop_value`, calls `__dunder__`, reads names the server does not expose (each refused with
//! Pyro5's `AttributeError`, before anything is sent), and shows that a dict property arrives
//! as a local copy; printing the lines Python's client prints. Works against
//! `attributes_server` and against Python's `server.py` alike.
//!
//! ```sh
//! cargo run --example attributes_server          # or: python server.py (in Pyro5's examples)
//! cargo run --example attributes_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. An unexpected error is printed as Pyro5 prints an uncaught
//! one (to standard error) and the program exits with status 1.

#[path = "../common/python.rs"]
mod python;
mod thingy;

use std::process::ExitCode;

use pyro::{Error, RemoteError, Value};
use python::input;
use thingy::ThingyProxy;

fn main() -> ExitCode {
    let uri = match input("enter attribute server object uri: ") {
        Ok(uri) => uri,
        Err(e) => return python::exit_status(Err(e)),
    };
    python::exit_status(run(uri.trim()))
}

/// Python's `RuntimeError(text)`, raised locally.
fn runtime_error(text: &str) -> Error {
    RemoteError::new("builtins.RuntimeError", vec![Value::from(text)]).into()
}

/// `with Pyro5.api.Proxy(uri) as p:`: a proxy, released at the end of the block.
fn with_proxy(uri: &str, block: impl FnOnce(&ThingyProxy) -> pyro::Result<()>) -> pyro::Result<()> {
    let p = ThingyProxy::from_proxy(python::proxy(uri)?);
    let result = block(&p);
    p.proxy().release();
    result
}

fn run(uri: &str) -> pyro::Result<()> {
    with_proxy(uri, |p| {
        // Direct remote attribute access.
        println!("\nDirect attribute access:");
        println!("p.prop_value= {}", p.prop_value()?);
        println!("adding 500 to p.prop_value");
        p.set_prop_value(p.prop_value()? + 500)?;
        println!("p.prop_value= {}", p.prop_value()?);
        println!("actual remote value:  {}  (via p.getValue() remote method call)", p.get_value()?);
        if p.prop_value()? != p.get_value()? {
            println!(
                "Remote value is different! The p.prop_value attribute must be a local one (not remote), this should \
                 not happen! (because metadata is enabled here)"
            );
        }
        println!();
        // dunder names
        println!("calling p.__dunder__()....:  {}", p.dunder()?);
        Ok(())
    })?;

    with_proxy(uri, |p| {
        // unexposed attributes
        println!("\nAccessing unexposed attributes:");
        for name in ["sub", "value", "_value", "__value"] {
            println!("accessing p.{name}...");
            match p.proxy().get_attribute::<Value>(name) {
                Ok(_) => return Err(runtime_error("this should not be possible!")),
                Err(Error::Remote(e)) if e.class == "builtins.AttributeError" => {
                    println!("ok, got expected error: {}", e.message);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })?;

    with_proxy(uri, |p| {
        // Dotted names are not traversed remotely: the first part is read, the rest is looked
        // up on the local copy.
        println!("\nTrying dotted name traversal:");
        let value = p.prop_sub()?;
        println!("value gotten from p.prop_sub= {value}");
        println!("\nTrying to update the dictionary directly on the remote object...");
        let mut copy = p.prop_sub()?;
        if let Value::Dict(dict) = &mut copy {
            dict.insert("test", "nope"); // this only updates the local copy
        }
        let new_value = p.prop_sub()?;
        println!("value gotten from p.prop_sub= {new_value}   (should be unchanged!)");
        if new_value != value {
            return Err(runtime_error("update should not have been done remotely"));
        }
        println!("\nTrying longer dotted name: p.prop_sub.foobar.attribute");
        // `p.prop_sub.foobar`: a dict has no attribute `foobar`, a local error with no remote
        // traceback.
        let sub = p.prop_sub()?;
        println!("ok, got expected error (local only): '{}' object has no attribute 'foobar'", sub.type_name());
        Ok(())
    })
}
