//! The async daemon (`pyro::aio::Daemon`) serving real Python Pyro5 5.17 clients, msgpack and
//! the stock serpent client: async and plain methods, oneway calls, batches, item streams,
//! exceptions with tracebacks, panics, attributes, the call context (response annotations,
//! correlation id carried across awaits), concurrency (slow async calls overlap, a blocking
//! method does not stall the runtime), shutdown; TLS; and the blocking daemons (thread pool and
//! multiplexed) serving the same async methods.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

mod aio_service;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aio_service::{Service, config, start};
use pyro::proxy::Proxy;
use pyro_interop::{TestCerts, path_text};
use serde_json::{Value as Json, json};

const SCRIPT: &str = r#"
import json, sys, threading, time, uuid
import Pyro5.api, Pyro5.errors
for key, value in json.loads(sys.argv[3]).items():
    setattr(Pyro5.config, key, value)
uri = sys.argv[1]

def out(name, value):
    print(json.dumps({"case": name, "value": value}), flush=True)

def err(e):
    return {"class": type(e).__module__ + "." + type(e).__name__, "message": str(e),
            "traceback": "".join(getattr(e, "_pyroTraceback", []) or [])}

with Pyro5.api.Proxy(uri) as p:
    out("serializer", Pyro5.config.SERIALIZER)
    out("add", p.add(1, 2))
    out("add_kw", p.add(a=40, b=2))
    out("mul", p.mul(6, 7))
    out("echo", p.echo({"k": [1, 2.5, None, True, "s"]}))
    try:
        p.fail("oops")
    except ValueError as e:
        out("fail", err(e))
    try:
        p.explode()
    except RuntimeError as e:
        out("explode", err(e))
    try:
        p.add(1)
    except TypeError as e:
        out("typeerror", err(e))
    out("stream", list(p.count_to(5)))
    p.notify("first")
    out("oneway_returned", True)
    p.value = 17
    out("attribute", p.value)
    cid = uuid.uuid4()
    Pyro5.api.current_context.correlation_id = cid
    seen = p.whoami()
    out("whoami", {"sent": str(cid), "ctx": seen[0], "thread": seen[1],
                    "annotation": bytes(Pyro5.api.current_context.response_annotations.get("ASYN", b"")).decode()})
    Pyro5.api.current_context.correlation_id = None
    batch = Pyro5.api.BatchProxy(p)
    batch.add(1, 1)
    batch.mul(2, 3)
    batch.echo("x")
    batch.fail("in batch")
    results = []
    try:
        for r in batch():
            results.append(r)
    except ValueError as e:
        results.append("ValueError: " + str(e))
    out("batch", results)
    batch = Pyro5.api.BatchProxy(p)
    batch.add(2, 2)
    batch.thread_name()
    out("async_batch", list(batch()))
    batch = Pyro5.api.BatchProxy(p)
    batch.mul(2, 2)
    batch.thread_name()
    out("mixed_batch", list(batch()))
    out("thread_name", p.thread_name())
    kid = p.child("kid")
    out("child", [type(kid).__name__, kid.name()])
    p._pyroBind()
    out("methods", sorted(p._pyroMethods))
    out("oneway", sorted(p._pyroOneway))
    out("attrs", sorted(p._pyroAttrs))

# Slow async calls from 8 connections at once overlap on the runtime.
def slow():
    with Pyro5.api.Proxy(uri) as q:
        q.slow(300)
start = time.time()
threads = [threading.Thread(target=slow) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
out("slow_elapsed", time.time() - start)

# A blocking plain method does not hold up the other clients.
def slow_sync():
    with Pyro5.api.Proxy(uri) as q:
        q.slow_sync(1000)
blocker = threading.Thread(target=slow_sync)
blocker.start()
time.sleep(0.1)
start = time.time()
with Pyro5.api.Proxy(uri) as q:
    q.add(1, 1)
out("beside_blocking", time.time() - start)
blocker.join()

with Pyro5.api.Proxy(uri) as p:
    time.sleep(0.2)
    out("events", p.events())
    out("most_in_flight", p.most_in_flight())

with Pyro5.api.Proxy(sys.argv[2]) as d:
    out("daemon_info", d.info())
out("done", True)
"#;

/// Runs the script against `running` in `python` with the `Pyro5.config` `settings`; the cases
/// it printed.
fn run_script(python: &pyro_interop::Python, running: &aio_service::Running, settings: &Json) -> HashMap<String, Json> {
    let (uri, daemon) = (running.uri.to_string(), running.daemon_uri.to_string());
    let output = python.command().args(["-c", SCRIPT, &uri, &daemon, &settings.to_string()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "python failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
        .lines()
        .map(|line| {
            let v: Json = serde_json::from_str(line).unwrap();
            (v["case"].as_str().unwrap().to_owned(), v["value"].clone())
        })
        .collect()
}

fn check(cases: &HashMap<String, Json>, serializer: &str) {
    let case = |name: &str| cases.get(name).unwrap_or_else(|| panic!("{serializer}: no {name} in {cases:?}")).clone();
    assert_eq!(case("serializer"), json!(serializer));
    assert_eq!(case("add"), json!(3));
    assert_eq!(case("add_kw"), json!(42));
    assert_eq!(case("mul"), json!(42));
    assert_eq!(case("echo"), json!({"k": [1, 2.5, null, true, "s"]}));
    let fail = case("fail");
    assert_eq!((&fail["class"], &fail["message"]), (&json!("builtins.ValueError"), &json!("oops")));
    let traceback = fail["traceback"].as_str().unwrap();
    assert!(traceback.contains("service.fail") && traceback.ends_with("ValueError: oops\n"), "{traceback}");
    let explode = case("explode");
    assert_eq!(explode["class"], json!("builtins.RuntimeError"));
    assert!(explode["message"].as_str().unwrap().contains("async boom"), "{explode}");
    assert_eq!(case("typeerror")["class"], json!("builtins.TypeError"));
    assert_eq!(case("stream"), json!([1, 2, 3, 4, 5]));
    assert_eq!(case("attribute"), json!(17));
    let whoami = case("whoami");
    assert_eq!(whoami["ctx"], whoami["sent"], "{whoami}");
    assert_eq!(whoami["thread"], whoami["sent"], "the thread context carries the id across awaits: {whoami}");
    assert_eq!(whoami["annotation"], json!("from async"));
    let batch = case("batch");
    assert_eq!(batch.as_array().unwrap()[0..3], [json!(2), json!(6), json!("x")], "{batch}");
    assert!(batch[3].as_str().unwrap().contains("in batch"), "{batch}");
    assert_eq!(
        case("methods"),
        json!([
            "add",
            "child",
            "count_to",
            "echo",
            "events",
            "explode",
            "fail",
            "most_in_flight",
            "mul",
            "notify",
            "slow",
            "slow_sync",
            "thread_name",
            "whoami"
        ])
    );
    assert_eq!(case("child"), json!(["Proxy", "kid"]));
    // Async methods, alone or in a batch of async calls, are awaited on the daemon's runtime; a
    // batch with a plain call runs on a blocking thread, its async calls on the shared runtime.
    assert_eq!(case("thread_name"), json!("aio-test-worker"));
    assert_eq!(case("async_batch"), json!([4, "aio-test-worker"]));
    assert_eq!(case("mixed_batch"), json!([4, "pyro-async"]));
    assert_eq!(case("oneway"), json!(["notify"]));
    assert_eq!(case("attrs"), json!(["value"]));
    // 8 calls of 300 ms at once take about 300 ms, not 2.4 s.
    let slow = case("slow_elapsed").as_f64().unwrap();
    assert!(slow < 1.5, "slow async calls did not overlap: {slow} s");
    assert!(case("most_in_flight").as_i64().unwrap() >= 4, "{cases:?}");
    let beside = case("beside_blocking").as_f64().unwrap();
    assert!(beside < 0.6, "a blocking method held up another client for {beside} s");
    assert_eq!(case("events"), json!(["first"]));
    assert!(case("daemon_info").as_str().unwrap().contains("async server"), "{cases:?}");
    assert_eq!(case("done"), json!(true));
}

#[test]
fn python_msgpack_client_calls_the_async_daemon() {
    let running = start(pyro::Daemon::builder().config(config()));
    let cases = run_script(pyro_interop::python(), &running, &json!({"SERIALIZER": "msgpack"}));
    check(&cases, "msgpack");
    running.stop();
}

#[test]
fn stock_python_client_calls_the_async_daemon_with_serpent() {
    let running = start(pyro::Daemon::builder().config(config()));
    let cases = run_script(pyro_interop::python_plain(), &running, &json!({}));
    check(&cases, "serpent");
    running.stop();
}

/// TLS as for the blocking daemon: the same certificate settings, the handshake hook sees the
/// client's certificate; a plaintext client gets an error, not a hang.
#[test]
fn python_client_two_way_tls_to_the_async_daemon() {
    const CLIENT: &str = r#"
import json, sys
import Pyro5.api
for key, value in json.loads(sys.argv[2]).items():
    setattr(Pyro5.config, key, value)
Pyro5.config.COMMTIMEOUT = 10
try:
    with Pyro5.api.Proxy(sys.argv[1]) as p:
        print(json.dumps({"ok": [p.add(20, 22), p.mul(2, 3), list(p.count_to(3))]}))
except Exception as e:
    print(json.dumps({"error": type(e).__module__ + "." + type(e).__name__, "message": str(e)}))
"#;
    let certs = TestCerts::new("aio-2way");
    let server = pyro::Config {
        ssl: true,
        ssl_server_cert: Some(certs.server.cert.clone()),
        ssl_server_key: Some(certs.server.key.clone()),
        ssl_require_client_cert: true,
        ssl_ca_certs: Some(certs.ca.clone()),
        ..config()
    };
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = std::sync::Arc::clone(&seen);
    let builder = pyro::Daemon::builder().config(server).validate_handshake(move |conn, _| {
        record.lock().unwrap().push(conn.peer_certificates().to_vec());
        Ok(pyro::Value::from("hello"))
    });
    let running = start(builder);
    let client = |settings: Json| -> Json {
        let output = pyro_interop::python()
            .command()
            .args(["-c", CLIENT, &running.uri.to_string(), &settings.to_string()])
            .output()
            .unwrap();
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
    };
    let with_cert = json!({
        "SSL": true,
        "SSL_CACERTS": path_text(&certs.ca),
        "SSL_CLIENTCERT": path_text(&certs.client.cert),
        "SSL_CLIENTKEY": path_text(&certs.client.key),
    });
    assert_eq!(client(with_cert), json!({"ok": [42, 6, [1, 2, 3]]}));
    assert_eq!(seen.lock().unwrap().first().and_then(|chain| chain.first()), Some(&certs.client.der));
    let without = client(json!({"SSL": true, "SSL_CACERTS": path_text(&certs.ca)}));
    assert!(without["error"].as_str().unwrap().starts_with("Pyro5.errors."), "{without}");
    let plaintext = client(json!({}));
    assert!(plaintext["error"].as_str().unwrap().starts_with("Pyro5.errors."), "{plaintext}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    running.stop();
}

/// Rust's blocking proxy against the async daemon: calls, streams, batches, oneway; and a
/// remote shutdown answered before `serve` returns.
#[test]
fn rust_proxy_calls_the_async_daemon() {
    let running = start(pyro::Daemon::builder().config(config()));
    let proxy = Proxy::new(running.uri.clone());
    assert_eq!(proxy.call::<_, i64>("add", &(2, 3)).unwrap(), 5);
    assert_eq!(proxy.call::<_, i64>("mul", &(2, 3)).unwrap(), 6);
    let items: Vec<i64> = proxy.call_stream::<_, i64>("count_to", &(4,)).unwrap().map(Result::unwrap).collect();
    assert_eq!(items, [1, 2, 3, 4]);
    let error = proxy.call::<_, i64>("fail", &("typed",)).unwrap_err();
    assert!(error.to_string().contains("ValueError: typed"), "{error}");
    // A slow oneway call does not hold up the connection's next call.
    let started = Instant::now();
    proxy.call_oneway("slow", &(800,)).unwrap();
    assert_eq!(proxy.call::<_, i64>("add", &(1, 1)).unwrap(), 2);
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    proxy.call_oneway("notify", &("rust",)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while running.events.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*running.events.lock().unwrap(), ["rust"]);
    running.stop();
}

/// The blocking daemons run async methods to completion (on the shared runtime): thread pool
/// and multiplexed server, with the context and streams.
#[test]
fn blocking_daemons_serve_async_methods() {
    let types = [pyro::config::ServerType::Thread, pyro::config::ServerType::Multiplex];
    for server_type in types {
        let daemon = pyro::Daemon::builder()
            .config(pyro::Config { server_type, ..config() })
            .host("127.0.0.1")
            .port(0)
            .bind()
            .unwrap();
        let uri = daemon.register(Service::default(), Some("service")).unwrap();
        let shutdown = daemon.shutdown_handle();
        let server = std::thread::spawn(move || daemon.request_loop());
        let mut proxy = Proxy::new(uri);
        assert_eq!(proxy.call::<_, i64>("add", &(20, 22)).unwrap(), 42, "{server_type:?}");
        assert_eq!(proxy.call::<_, String>("thread_name", &()).unwrap(), "pyro-async");
        let items: Vec<i64> = proxy.call_stream::<_, i64>("count_to", &(3,)).unwrap().map(Result::unwrap).collect();
        assert_eq!(items, [1, 2, 3], "{server_type:?}");
        let id = pyro::uuid::Uuid::new_v4();
        proxy.set_correlation_id(Some(id));
        let (ctx, thread): (String, String) = proxy.call("whoami", &()).unwrap();
        assert_eq!((ctx.as_str(), thread.as_str()), (id.to_string().as_str(), id.to_string().as_str()));
        let annotation = pyro::current_context::response_annotations();
        let annotation = annotation.get(pyro::protocol::AnnotationId::try_from("ASYN").unwrap());
        assert_eq!(annotation, Some(&b"from async"[..]), "{server_type:?}");
        let error = proxy.call::<_, i64>("explode", &()).unwrap_err();
        assert!(error.to_string().contains("async boom"), "{server_type:?}: {error}");
        shutdown.shutdown();
        server.join().unwrap().unwrap();
    }
}

/// A direct call of an async method from inside a tokio runtime (a current-thread one, whose
/// only thread waits) works and does not panic.
#[test]
fn an_async_method_called_directly_inside_a_runtime_completes() {
    use pyro::dispatch::{CallArgs, Servant, Served};
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let served = Served::new(Service::default());
    let bytes = runtime.block_on(async {
        let args = CallArgs::new("add", vec![pyro::Value::Int(1), pyro::Value::Int(2)], None);
        served.invoke("add", args, pyro::Serializer::Json)
    });
    assert_eq!(bytes.unwrap(), b"3");
}

/// `shutdown` makes `serve` return with a connection open and idle.
#[test]
fn shutdown_closes_idle_connections_and_serve_returns() {
    let running = start(pyro::Daemon::builder().config(config()));
    let proxy = Proxy::new(running.uri.clone());
    assert_eq!(proxy.call::<_, i64>("add", &(1, 1)).unwrap(), 2);
    let started = Instant::now();
    running.stop();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(proxy.call::<_, i64>("add", &(1, 1)).is_err());
}

/// A silent client and one sending half a message delay no other client; `COMMTIMEOUT` closes
/// them.
#[test]
fn silent_and_trickling_clients_delay_no_other() {
    use std::io::{Read, Write};
    let config = pyro::Config { comm_timeout: Some(Duration::from_millis(700)), ..pyro::Config::default() };
    let running = start(pyro::Daemon::builder().config(config));
    let addr = format!("127.0.0.1:{}", running.uri.to_string().rsplit(':').next().unwrap());
    let mut silent = std::net::TcpStream::connect(&addr).unwrap();
    let mut half = std::net::TcpStream::connect(&addr).unwrap();
    half.write_all(b"PYRO\x01\xf6\x01").unwrap();
    let started = Instant::now();
    let proxy = Proxy::new(running.uri.clone());
    assert_eq!(proxy.call::<_, i64>("add", &(2, 2)).unwrap(), 4);
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    // Both are closed after COMMTIMEOUT.
    for stream in [&mut silent, &mut half] {
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buffer = [0u8; 64];
        assert_eq!(stream.read(&mut buffer).unwrap(), 0, "the daemon closes the connection");
    }
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    running.stop();
}

/// Past `with_max_connections`, a client's handshake is refused with Pyro5's CONNECTFAIL.
#[test]
fn connections_past_the_maximum_are_refused() {
    let daemon =
        pyro::aio::Daemon::new(pyro::Daemon::builder().config(config()).host("127.0.0.1").port(0).bind().unwrap())
            .with_max_connections(1);
    let uri = daemon.register(Service::default(), Some("service")).unwrap();
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(daemon.serve())
    });
    let first = Proxy::new(uri.clone());
    assert_eq!(first.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    let second = Proxy::new(uri);
    let error = second.call::<_, i64>("add", &(1, 2)).unwrap_err();
    assert!(error.to_string().contains("no free workers"), "{error}");
    drop(first);
    shutdown.shutdown();
    server.join().unwrap().unwrap();
}

/// The async daemon on a Unix domain socket.
#[cfg(unix)]
#[test]
fn the_async_daemon_serves_a_unix_socket() {
    let path = format!("\0pyro-aio-test-{}", std::process::id());
    let daemon = pyro::aio::Daemon::new(pyro::Daemon::builder().config(config()).unix_socket(path).bind().unwrap());
    let uri = daemon.register(Service::default(), Some("service")).unwrap();
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(daemon.serve())
    });
    let proxy = Proxy::new(uri);
    assert_eq!(proxy.call::<_, i64>("add", &(40, 2)).unwrap(), 42);
    assert_eq!(proxy.call::<_, i64>("mul", &(6, 7)).unwrap(), 42);
    shutdown.shutdown();
    server.join().unwrap().unwrap();
}
