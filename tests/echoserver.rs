//! The echo server example against a real Python Pyro5 5.17 client written for Pyro5's own echo
//! server: `cargo run --example echoserver -- -H 127.0.0.1 -p 0`, then a Python proxy calls it
//! (reads and writes its `verbose` attribute, streams `generator`) over every serializer and
//! finally shuts it down; and a stock client of a Pyro5 without msgpack
//! ([`pyro_interop::python_plain`]) with its default configuration (serpent).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value as Json;

const CLIENT: &str = r#"
import json, math, sys
import Pyro5.api, Pyro5.errors
if sys.argv[2]:
    Pyro5.config.SERIALIZER = sys.argv[2]
out = {"serializer": Pyro5.config.SERIALIZER}
with Pyro5.api.Proxy(sys.argv[1]) as echo:
    echo._pyroBind()
    out["methods"] = sorted(echo._pyroMethods)
    out["oneway"] = sorted(echo._pyroOneway)
    out["attrs"] = sorted(echo._pyroAttrs)
    try:
        verbose = [echo.verbose]
        echo.verbose = 1
        verbose.append(echo.verbose)
        echo.verbose = ""
        verbose.append(echo.verbose)
        out["verbose"] = verbose
    except AttributeError as x:
        # Pyro5's marshal serializer cannot write the attribute calls (their kwargs are None).
        out["verbose"] = str(x)
    out["echo"] = [echo.echo("hello"), echo.echo([1, 2.5, None, {"k": True}]), str(echo.echo(2**70))]
    try:
        echo.error()
    except ValueError as x:
        out["error"] = str(x)
        out["traceback"] = "".join(Pyro5.errors.get_pyro_traceback())
    try:
        echo.error_with_text()
    except ValueError as x:
        out["error_with_text"] = str(x)
    out["oneway_echo"] = echo.oneway_echo("fire and forget")
    out["nan"] = math.isnan(echo.nan())
    out["inf"] = echo.inf() == float("inf")
    out["generator"] = list(echo.generator())
    if sys.argv[3] == "shutdown":
        echo.shutdown()
print(json.dumps(out))
"#;

/// The echoserver example binary, built by `cargo test` next to the test binaries (or built here).
fn example_binary() -> PathBuf {
    let test_exe = std::env::current_exe().expect("test binary path");
    let profile_dir = test_exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let binary = profile_dir.join("examples").join("echoserver");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo).args(["build", "--example", "echoserver"]).status().expect("running cargo");
        assert!(status.success(), "building the echoserver example failed");
    }
    binary
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_client(uri: &str, serializer: &str, then: &str) -> Json {
    run_client_in(pyro_interop::python(), uri, serializer, then)
}

/// The client in `python`, over `serializer` (empty: Pyro5's default).
fn run_client_in(python: &pyro_interop::Python, uri: &str, serializer: &str, then: &str) -> Json {
    let out = python.command().args(["-c", CLIENT, uri, serializer, then]).output().expect("python runs");
    assert!(out.status.success(), "Python client failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("client prints JSON")
}

/// Starts the echoserver example on 127.0.0.1 and a random port; returns it and its URI.
fn start_server() -> (Server, String) {
    start_server_with(&[])
}

/// [`start_server`] with extra environment variables.
fn start_server_with(vars: &[(&str, &str)]) -> (Server, String) {
    let mut child = Command::new(example_binary())
        .args(["-H", "127.0.0.1", "-p", "0"])
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("echoserver starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let uri = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("echo uri: ").map(str::to_owned))
        .expect("the server prints its URI");
    assert!(uri.starts_with("PYRO:test.echoserver@127.0.0.1:"), "{uri}");
    // Keep reading what it prints, so that its stdout never closes or fills up.
    std::thread::spawn(move || lines.for_each(drop));
    (server, uri)
}

/// Checks what the client printed; it spoke `serializer`.
fn check(out: &Json, serializer: &str) {
    assert_eq!(out["serializer"], serializer);
    let methods: Vec<&str> = out["methods"].as_array().expect("methods").iter().filter_map(Json::as_str).collect();
    for name in [
        "echo",
        "error",
        "error_with_text",
        "oneway_echo",
        "slow",
        "generator",
        "nan",
        "inf",
        "oneway_slow",
        "shutdown",
    ] {
        assert!(methods.contains(&name), "{serializer}: {name} not in {methods:?}");
    }
    assert_eq!(out["oneway"], serde_json::json!(["oneway_echo", "oneway_slow"]));
    assert_eq!(out["attrs"], serde_json::json!(["verbose"]));
    assert!(!methods.contains(&"verbose"), "{methods:?}");
    if serializer == "marshal" {
        // Pyro5's own limitation, on the client: its marshal dumpsCall needs a kwargs dict, and
        // a proxy's attribute calls pass None.
        assert_eq!(out["verbose"], "'NoneType' object has no attribute 'items'", "{serializer}");
    } else {
        // Set as Pyro5's echo server does: `bool(onoff)`.
        assert_eq!(out["verbose"], serde_json::json!([false, true, false]), "{serializer}");
    }
    assert_eq!(out["echo"], serde_json::json!(["hello", [1, 2.5, null, {"k": true}], "1180591620717411303424"]));
    assert_eq!(out["error"], "this is the generated error from echoserver echo() method");
    assert!(out["traceback"].as_str().expect("traceback").contains("Remote traceback"), "{out}");
    assert_eq!(out["error_with_text"], "the message of the error");
    assert_eq!(out["oneway_echo"], Json::Null);
    assert_eq!((out["nan"].as_bool(), out["inf"].as_bool()), (Some(true), Some(true)));
    assert_eq!(out["generator"], serde_json::json!(["one", "two", "three"]), "{serializer}");
}

#[test]
fn python_clients_for_pyro5s_echo_server_work_unchanged() {
    let (mut server, uri) = start_server();
    for (serializer, then) in [("serpent", "stay"), ("marshal", "stay"), ("msgpack", "stay"), ("json", "shutdown")] {
        check(&run_client(&uri, serializer, then), serializer);
    }
    // The Python client's shutdown() stopped the server process.
    let status = server.0.wait().expect("server exits");
    assert!(status.success(), "{status}");
}

/// A stock Pyro5 without msgpack: its default configuration speaks serpent; then its other
/// serializers, the last call shutting the server down.
#[test]
fn plain_python_client_with_default_config() {
    let (mut server, uri) = start_server();
    let plain = pyro_interop::python_plain();
    check(&run_client_in(plain, &uri, "", "stay"), "serpent");
    check(&run_client_in(plain, &uri, "marshal", "stay"), "marshal");
    check(&run_client_in(plain, &uri, "json", "shutdown"), "json");
    let status = server.0.wait().expect("server exits");
    assert!(status.success(), "{status}");
}

/// `PYRO_COMMTIMEOUT` applies to the echo server: a silent client is disconnected after it.
#[test]
fn honours_pyro_commtimeout() {
    use std::io::Read;
    let (_server, uri) = start_server_with(&[("PYRO_COMMTIMEOUT", "0.3")]);
    let port: u16 = uri.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port in the uri");
    let mut silent = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    silent.set_read_timeout(Some(std::time::Duration::from_secs(5))).expect("timeout set");
    let start = std::time::Instant::now();
    let mut byte = [0u8; 1];
    // The server closes the connection (end of stream, or a reset) instead of waiting forever;
    // without the timeout this read would time out after 5 s instead.
    let read = silent.read(&mut byte);
    assert!(
        matches!(read, Ok(0)) || read.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "{read:?}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(4), "closed only after {:?}", start.elapsed());
}

#[test]
fn with_its_own_name_server_it_registers_there() {
    // -N: a name server in the process (on any free port here), and the echo server in it.
    let mut child = Command::new(example_binary())
        .args(["-H", "127.0.0.1", "-p", "0", "-N", "-v"])
        .env("PYRO_NS_PORT", "0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("echoserver starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let _server = Server(child);
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let ns = lines
        .by_ref()
        .find_map(|line| line.strip_prefix("using name server at ").map(str::to_owned))
        .expect("it says which name server it uses");
    let uri = lines.find_map(|line| line.strip_prefix("echo uri: ").map(str::to_owned)).expect("its URI");
    std::thread::spawn(move || lines.for_each(drop));
    let ns: pyro::Uri = ns.parse().expect("a name server URI");
    let ns = pyro::locate_ns(ns.host(), ns.port()).expect("its name server answers");
    assert_eq!(ns.lookup("test.echoserver").expect("registered").to_string(), uri);
}
