//! The client of Pyro5's callcontext example: sets a correlation id for the thread (and prints
//! it), asks for the server's URI (`Enter the URI of the server object: `, as Python's
//! `client.py` does), then calls `echo` and `oneway` with a custom `XYZZ` annotation each,
//! printing the response annotations after each call, as Python's client prints them. Works
//! against `callcontext_server` and against Python's `server.py` alike.
//!
//! ```sh
//! cargo run --example callcontext_server         # or: python server.py (in Pyro5's examples)
//! cargo run --example callcontext_client
//! ```
//!
//! Python sets `current_context.correlation_id` and `current_context.annotations`, which its
//! proxy reads: here the same goes through `pyro::current_context`, whose settings every proxy
//! call of the thread sends, and whose `response_annotations()` are those of the last reply. As
//! in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. The output lines are Python's.

mod echo;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use echo::EchoServerProxy;
use pyro::protocol::{AnnotationId, Annotations};
use pyro::uuid::Uuid;
use pyro::{Value, current_context};
use python::input;

fn main() -> ExitCode {
    // Set a single correlation id for the thread: every call passes it along.
    let correlation_id = Uuid::new_v4();
    current_context::set_correlation_id(Some(correlation_id));
    println!("correlation id set to: {correlation_id}");
    let uri = match input("Enter the URI of the server object: ") {
        Ok(uri) => uri,
        Err(e) => return python::exit_status(Err(e)),
    };
    python::exit_status(run(uri.trim()))
}

fn run(uri: &str) -> pyro::Result<()> {
    println!("\n------- get annotations via normal proxy and the call context... -----\n");
    let proxy = EchoServerProxy::from_proxy(python::proxy(uri)?);
    println!("normal call");
    current_context::set_annotations(xyzz(b"custom annotation from client (1)")?);
    proxy.echo("hi there - new method of annotation access in client".into())?;
    print_response_annotations();

    println!("\noneway call");
    current_context::set_annotations(xyzz(b"custom annotation from client (2)")?);
    proxy.oneway("hi there ONEWAY - new method of annotation access in client".into())?;
    print_response_annotations();
    println!("(should be an empty result because oneway!)");
    proxy.proxy().release();

    println!("\nSee the console output on the server for more results.");
    Ok(())
}

fn xyzz(value: &[u8]) -> pyro::Result<Annotations> {
    Ok([(AnnotationId::try_from("XYZZ")?, value.to_vec())].into_iter().collect())
}

fn print_response_annotations() {
    println!("Annotations in response were: ");
    for (id, value) in current_context::response_annotations().iter() {
        println!("   {} -> {}", id.as_str(), Value::Bytes(value.to_vec()));
    }
}
