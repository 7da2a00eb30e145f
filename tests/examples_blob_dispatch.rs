//! Pyro5's blob-dispatch example against its Rust ports, every program unchanged, over the
//! default serializer (serpent), with our name server: the Rust dispatcher with Python's
//! listener and client next to a Rust listener, and Python's dispatcher with the Rust client
//! and listener next to Python's listener. Each program prints what its Python counterpart
//! prints; the `CustomData` each listener receives went through the dispatcher unread.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use examples_support::{Process, example, matches, next_lines, python_example, run_with_input, spawn_with_lines};
use pyro_ns::{NameServerBuilder, RunningNameServer};

const WAIT: Duration = Duration::from_secs(30);

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

/// `command` finding the name server `ns` as Pyro5 programs do, and printing each line at once.
fn with_ns(mut command: Command, ns: &RunningNameServer) -> Command {
    command
        .env("PYRO_NS_HOST", "127.0.0.1")
        .env("PYRO_NS_PORT", ns.uri().port().unwrap().to_string())
        .env("PYTHONUNBUFFERED", "1");
    command
}

fn python_program(program: &str, ns: &RunningNameServer) -> Command {
    let (folder, file) = program.split_once('/').unwrap();
    with_ns(python_example(pyro_interop::python(), &format!("blob-dispatch/{folder}"), file), ns)
}

/// Whether `line` is `prefix` + a generated object's URI (`PYRO:obj_<hex>@localhost:<port>`).
fn object_uri_line(line: &str, prefix: &str) -> bool {
    let Some(uri) = line.strip_prefix(prefix).and_then(|rest| rest.strip_prefix("PYRO:obj_")) else { return false };
    let Some((id, port)) = uri.split_once("@localhost:") else { return false };
    id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()) && matches("#", port)
}

/// Starts a dispatcher and checks what `serve()` prints.
fn start_dispatcher(command: Command) -> (Process, Receiver<String>) {
    let (process, lines) = spawn_with_lines(command);
    let banner = next_lines(&lines, 4, WAIT);
    assert_eq!(banner[0], "Object <class '__main__.Dispatcher'>:", "{banner:?}");
    assert!(object_uri_line(&banner[1], "    uri = "), "{banner:?}");
    assert_eq!(banner[2..], ["    name = example.blobdispatcher", "Pyro daemon running."], "{banner:?}");
    (process, lines)
}

/// Starts a listener for `topic` and checks that it and the dispatcher say so.
fn start_listener(mut command: Command, topic: &str, dispatcher: &Receiver<String>) -> (Process, Receiver<String>) {
    command.arg(topic);
    let (process, lines) = spawn_with_lines(command);
    assert_eq!(next_lines(&lines, 1, WAIT), [format!("Listener for topic {topic} waiting for data.")]);
    let registered = next_lines(dispatcher, 1, WAIT);
    assert!(object_uri_line(&registered[0], &format!("New listener for topic {topic} registered: ")), "{registered:?}");
    (process, lines)
}

/// Sends one blob per topic with `client` and checks what it prints.
fn send(client: Command, topics: &[&str]) {
    let input: String = topics.iter().map(|t| format!("{t}\n")).chain(["\n".to_owned()]).collect();
    let out = run_with_input(client, &input, WAIT);
    assert_eq!(out.code, Some(0), "the client failed: {}", out.stderr);
    let prompt = "Enter topic to send data on (just enter to quit) ";
    assert_eq!(out.stdout, format!("{}{prompt}", format!("{prompt}processed\n").repeat(topics.len())));
}

/// Checks that a listener printed one `CustomData`.
fn assert_received(listener: &Receiver<String>) {
    let lines = next_lines(listener, 2, WAIT);
    assert_eq!(lines[0], "Received custom data (type=<class 'customdata.CustomData'>):");
    assert!(matches("    a=42, b=hello world, c=#-#-#T#:#:#", &lines[1]), "{lines:?}");
}

#[test]
fn rust_dispatcher_with_python_client_and_listeners() {
    let ns = name_server();
    let (_dispatcher, dispatched) = start_dispatcher(with_ns(example("blob_dispatch_dispatcher"), &ns));
    let (_python, python_got) = start_listener(python_program("listeners/main.py", &ns), "alpha", &dispatched);
    let (_rust, rust_got) = start_listener(with_ns(example("blob_dispatch_listeners"), &ns), "beta", &dispatched);
    send(python_program("client/client.py", &ns), &["alpha", "beta", "gamma"]);
    assert_eq!(
        next_lines(&dispatched, 3, WAIT),
        ["Dispatching blob with name: alpha", "Dispatching blob with name: beta", "Dispatching blob with name: gamma"]
    );
    assert_received(&python_got);
    assert_received(&rust_got);
}

#[test]
fn python_dispatcher_with_rust_client_and_listeners() {
    let ns = name_server();
    let (_dispatcher, dispatched) = start_dispatcher(python_program("dispatcher/dispatcher.py", &ns));
    let (_rust, rust_got) = start_listener(with_ns(example("blob_dispatch_listeners"), &ns), "alpha", &dispatched);
    let (_python, python_got) = start_listener(python_program("listeners/main.py", &ns), "beta", &dispatched);
    send(with_ns(example("blob_dispatch_client"), &ns), &["alpha", "beta", "alpha"]);
    assert_eq!(
        next_lines(&dispatched, 3, WAIT),
        ["Dispatching blob with name: alpha", "Dispatching blob with name: beta", "Dispatching blob with name: alpha"]
    );
    assert_received(&rust_got);
    assert_received(&python_got);
    assert_received(&rust_got);
}

#[test]
fn a_listener_needs_one_topic() {
    let out = run_with_input(example("blob_dispatch_listeners"), "", WAIT);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "Give topic as argument.\n"));
    let mut empty = example("blob_dispatch_listeners");
    empty.arg(" ");
    let out = run_with_input(empty, "", WAIT);
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stderr, "ValueError: Must give topic name.\n");
}
