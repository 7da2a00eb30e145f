//! Pyro5's warehouse tutorial (phase 3) with our name server: the Rust warehouse visited from
//! Rust and from Python by `PYRONAME:example.warehouse@host:port`, the example programs
//! (`warehouse_server`, `warehouse_visit`) run as processes, and the Rust visitor at Python's
//! own warehouse. Taking a missing item raises `ValueError` remotely in every combination.
#![allow(clippy::unwrap_used)]

#[path = "../examples/warehouse/warehouse.rs"]
mod warehouse;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pyro::naming::NameServerProxy;
use pyro::{Daemon, Error, ShutdownHandle};
use pyro_ns::{NameServerBuilder, RunningNameServer};
use serde_json::{Value as Json, json};
use warehouse::{INITIAL_CONTENTS, NAME, Stock, Warehouse, WarehouseProxy};

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

fn ns_port(ns: &RunningNameServer) -> u16 {
    ns.uri().port().unwrap()
}

/// The warehouse served by an in-process daemon and registered in `ns`; stops when dropped.
struct WarehouseServer {
    stop: ShutdownHandle,
    thread: Option<std::thread::JoinHandle<pyro::Result<()>>>,
}

impl WarehouseServer {
    fn start(ns: &RunningNameServer) -> WarehouseServer {
        let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
        let uri = daemon.register_as::<dyn Warehouse, _>(Stock::default(), None).unwrap();
        NameServerProxy::new(ns.uri().clone()).register(NAME, &uri, false, None).unwrap();
        let stop = daemon.shutdown_handle();
        let thread = Some(std::thread::spawn(move || daemon.request_loop()));
        WarehouseServer { stop, thread }
    }
}

impl Drop for WarehouseServer {
    fn drop(&mut self) {
        self.stop.shutdown();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
    }
}

fn initial() -> Vec<String> {
    INITIAL_CONTENTS.iter().map(|s| (*s).to_owned()).collect()
}

/// Asserts that `result` is the remote `ValueError` of taking a missing item.
fn assert_not_there(result: pyro::Result<()>) {
    match result {
        Err(Error::Remote(remote)) => {
            assert_eq!(remote.class, "builtins.ValueError");
            assert_eq!(remote.message, "list.remove(x): x not in list");
        }
        other => panic!("expected a remote ValueError, got {other:?}"),
    }
}

const PYTHON_VISITOR: &str = r#"
import json, sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
out = {}
with Pyro5.api.Proxy(sys.argv[1]) as warehouse:
    out["before"] = warehouse.list_contents()
    warehouse.store("Henry", "hat")
    warehouse.take("Henry", "couch")
    out["after"] = warehouse.list_contents()
    try:
        warehouse.take("Henry", "piano")
        out["missing"] = "no error"
    except ValueError as e:
        out["missing"] = "ValueError: " + str(e)
print(json.dumps(out))
"#;

fn python_visit(uri: &str, serializer: &str) -> Json {
    let out =
        pyro_interop::python().command().args(["-c", PYTHON_VISITOR, uri, serializer]).output().expect("python runs");
    assert!(out.status.success(), "Python visitor failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the visitor prints JSON")
}

#[test]
fn rust_and_python_visitors_find_the_warehouse_by_name() {
    let ns = name_server();
    let _server = WarehouseServer::start(&ns);
    let by_name = format!("PYRONAME:{NAME}@127.0.0.1:{}", ns_port(&ns));

    // Janet, from Rust.
    let warehouse = WarehouseProxy::new(&by_name).unwrap();
    assert_eq!(warehouse.list_contents().unwrap(), initial());
    warehouse.store("Janet".into(), "umbrella".into()).unwrap();
    warehouse.take("Janet".into(), "bike".into()).unwrap();
    assert_not_there(warehouse.take("Janet".into(), "bike".into()));
    let mut expected = initial();
    expected.retain(|item| item != "bike");
    expected.push("umbrella".into());
    assert_eq!(warehouse.list_contents().unwrap(), expected);

    // Henry, from Python, sees what Janet left (one warehouse for all: instance_mode="single").
    for serializer in ["serpent", "marshal", "json", "msgpack"] {
        let out = python_visit(&by_name, serializer);
        assert_eq!(out["before"], json!(expected));
        expected.push("hat".into());
        expected.retain(|item| item != "couch");
        assert_eq!(out["after"], json!(expected));
        assert_eq!(out["missing"], "ValueError: list.remove(x): x not in list");
        expected.push("couch".into()); // put back for the next round
        warehouse.store("Janet".into(), "couch".into()).unwrap();
    }
}

/// A child process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The path of an example program, built by `cargo test` next to the test binaries (or built
/// here when only this test was asked for).
fn example_binary(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("test binary path");
    let profile_dir = test_exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let binary = profile_dir.join("examples").join(name);
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--example", name]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        assert!(build.status().expect("running cargo").success(), "building the {name} example failed");
    }
    binary
}

/// An example program told where the name server is, as Pyro5 programs are: by environment.
fn example(name: &str, ns: &RunningNameServer) -> Command {
    let mut command = Command::new(example_binary(name));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PYRO_") {
            command.env_remove(key);
        }
    }
    command.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", ns_port(ns).to_string());
    command
}

/// Reads `child`'s stdout lines on a thread.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

#[test]
fn the_example_programs_run_against_our_name_server() {
    let ns = name_server();
    let mut server =
        Process(example("warehouse_server", &ns).args(["--host", "127.0.0.1"]).stdout(Stdio::piped()).spawn().unwrap());
    let lines = lines_of(&mut server.0);
    let mut banner = Vec::new();
    while banner.last().is_none_or(|line| line != "Pyro daemon running.") {
        banner.push(lines.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("server said {banner:?}")));
    }
    assert_eq!(banner[0], "Object Warehouse:");
    assert!(banner[1].starts_with("    uri = PYRO:obj_") && banner[1].contains("@127.0.0.1:"), "{banner:?}");
    assert_eq!(banner[2], format!("    name = {NAME}"));
    let registered = ns.name_server().lookup(NAME.into(), None).unwrap().uri().to_string();
    assert_eq!(banner[1], format!("    uri = {registered}"));

    let out = example("warehouse_visit", &ns)
        .args(["Janet", "--store", "umbrella", "--take", "bike", "--take", "piano"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "This is Janet.\n\
         The warehouse contains: [\"chair\", \"bike\", \"flashlight\", \"laptop\", \"couch\"]\n\
         Janet stores the umbrella.\n\
         The warehouse contains: [\"chair\", \"bike\", \"flashlight\", \"laptop\", \"couch\", \"umbrella\"]\n\
         Janet takes the bike.\n\
         The warehouse contains: [\"chair\", \"flashlight\", \"laptop\", \"couch\", \"umbrella\"]\n\
         Janet takes the piano.\n\
         The warehouse refused: ValueError: list.remove(x): x not in list\n\
         Thank you, come again!\n"
    );
    // The server printed what happened, as the Python warehouse does.
    for expected in ["Janet stored the umbrella.", "Janet took the bike."] {
        assert_eq!(lines.recv_timeout(Duration::from_secs(10)).unwrap(), expected);
    }

    let out = example("warehouse_visit", &ns).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no name: usage");

    // Without a name server to find, the visit fails with a message.
    drop(server);
    ns.shutdown().unwrap();
    let out = Command::new(example_binary("warehouse_visit"))
        .env("PYRO_NS_HOST", "127.0.0.1")
        .env("PYRO_NS_PORT", "1")
        .env("PYRO_BROADCAST_ADDRS", "127.0.0.1")
        .env("PYRO_NS_BCPORT", "1")
        .arg("Janet")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("warehouse_visit: cannot visit the warehouse:"), "{stderr}");
}

/// Pyro5's phase 3 warehouse, registered in the name server given by PYRO_NS_HOST/PORT; runs
/// until its stdin closes.
const PYTHON_WAREHOUSE: &str = r#"
import sys, threading
from Pyro5.api import expose, behavior, Daemon, locate_ns

@expose
@behavior(instance_mode="single")
class Warehouse(object):
    def __init__(self):
        self.contents = ["chair", "bike", "flashlight", "laptop", "couch"]

    def list_contents(self):
        return self.contents

    def take(self, name, item):
        self.contents.remove(item)
        print("{0} took the {1}.".format(name, item), flush=True)

    def store(self, name, item):
        self.contents.append(item)
        print("{0} stored the {1}.".format(name, item), flush=True)

daemon = Daemon(host="127.0.0.1")
uri = daemon.register(Warehouse)
locate_ns().register("example.warehouse", uri)
print("Pyro daemon running.", flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

#[test]
fn the_rust_visitor_at_pythons_warehouse() {
    let ns = name_server();
    let mut child = pyro_interop::python()
        .command()
        .args(["-c", PYTHON_WAREHOUSE])
        .env("PYRO_NS_HOST", "127.0.0.1")
        .env("PYRO_NS_PORT", ns_port(&ns).to_string())
        .env("PYRO_SERIALIZER", "msgpack")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut child);
    let _python = Process(child);
    assert_eq!(lines.recv_timeout(Duration::from_secs(30)).unwrap(), "Pyro daemon running.");

    let warehouse = WarehouseProxy::new(&format!("PYRONAME:{NAME}@127.0.0.1:{}", ns_port(&ns))).unwrap();
    assert_eq!(warehouse.list_contents().unwrap(), initial());
    warehouse.store("Janet".into(), "umbrella".into()).unwrap();
    warehouse.take("Janet".into(), "laptop".into()).unwrap();
    assert_not_there(warehouse.take("Janet".into(), "piano".into()));
    assert_eq!(warehouse.list_contents().unwrap(), ["chair", "bike", "flashlight", "couch", "umbrella"]);
    assert_eq!(lines.recv_timeout(Duration::from_secs(10)).unwrap(), "Janet stored the umbrella.");
    assert_eq!(lines.recv_timeout(Duration::from_secs(10)).unwrap(), "Janet took the laptop.");
}
