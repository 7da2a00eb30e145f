//! The client of Pyro5's autoproxy example: asks for the factory's URI (`enter factory server
//! object uri: `, as Python's `client.py` does), has it create three things, which arrive as
//! typed proxies (`ThingyProxy`), prints the first one as Python prints a proxy's `repr`, and
//! tells each one something to say (printed by the server). Works against `autoproxy_server` and
//! against Python's `server.py` alike.
//!
//! ```sh
//! cargo run --example autoproxy_server           # or: python server.py (in Pyro5's examples)
//! cargo run --example autoproxy_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. Python prints `repr(thing1)`, e.g. `<Pyro5.client.Proxy at
//! 0x7f6b447b43d0; not connected; for PYRO:obj_...@localhost:45419; owner 140098702474112>`;
//! this client prints the same shape, with the proxy's address and a thread number of its own.

#[path = "../common/python.rs"]
mod python;
mod thingy;

use std::process::ExitCode;

use python::input;
use thingy::{FactoryProxy, ThingyProxy};

fn main() -> ExitCode {
    let uri = match input("enter factory server object uri: ") {
        Ok(uri) => uri,
        Err(e) => return python::exit_status(Err(e)),
    };
    python::exit_status(run(uri.trim()))
}

fn run(uri: &str) -> pyro::Result<()> {
    let factory = FactoryProxy::from_proxy(python::proxy(uri)?);
    // create several things.
    println!("Creating things.");
    let thing1 = factory.createSomething(1)?;
    let thing2 = factory.createSomething(2)?;
    let thing3 = factory.createSomething(3)?;

    println!("{}", proxy_repr(&thing1));

    // interact with them on the server.
    println!("Speaking stuff (see output on server).");
    thing1.speak("I am the first".into())?;
    thing2.speak("I am second".into())?;
    thing3.speak("I am last then...".into())?;
    Ok(())
}

/// Python's `repr()` of a proxy: where it lives, whether it is connected, its uri, its owner
/// thread.
fn proxy_repr(thing: &ThingyProxy) -> String {
    let proxy = thing.proxy();
    let connected = match proxy.open_connections() {
        0 => "not connected".to_owned(),
        _ => "connected".to_owned(),
    };
    let owner = std::process::id();
    format!("<Pyro5.client.Proxy at {proxy:p}; {connected}; for {}; owner {owner}>", proxy.uri())
}
