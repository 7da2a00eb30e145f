//! A remote interface (`#[pyro::expose] trait`) with `async fn` methods beside plain ones,
//! served through its generated marker type (`LibraryInterface`) by the blocking daemon and by
//! `pyro::aio::Daemon` (as an object and as a registered class), and called through the blocking typed proxy (`LibraryProxy`), the async
//! one (`LibraryProxyAsync`), their batches, and a real Python Pyro5 5.17 client.

#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;
use std::time::Duration;

use pyro::dispatch::{CallArgs, CallContext, Servant, Served};
use pyro::{Daemon, Remote, Serializer, Value};

/// A remote interface with async and plain methods.
#[pyro::expose]
pub trait Library {
    /// A plain method.
    fn title(&self, id: u32) -> String;

    /// An async method with a typed result.
    async fn fetch(&self, id: u32, delay_ms: Option<u64>) -> Result<String, String>;

    /// An async method with a default body.
    async fn shelves(&self) -> Vec<u32> {
        vec![1, 2, 3]
    }

    /// An async oneway method.
    #[pyro::oneway]
    async fn note(&self, line: String);

    /// The notes so far.
    fn notes(&self) -> Vec<String>;

    /// An async method with the call context (answers with the call's correlation id).
    async fn correlated(&self, ctx: &CallContext, echo: String) -> String;

    /// An object by reference, typed through the marker.
    fn branch(&self) -> Remote<LibraryInterface>;

    /// A plain getter beside async methods.
    #[pyro::getter]
    fn name(&self) -> String;
}

/// An implementor writing `async fn` as usual.
#[derive(Default)]
pub struct City {
    notes: Mutex<Vec<String>>,
}

impl Library for City {
    fn title(&self, id: u32) -> String {
        format!("book {id}")
    }

    async fn fetch(&self, id: u32, delay_ms: Option<u64>) -> Result<String, String> {
        tokio::time::sleep(Duration::from_millis(delay_ms.unwrap_or(1))).await;
        if id == 0 { Err("no book 0".into()) } else { Ok(self.title(id)) }
    }

    async fn note(&self, line: String) {
        tokio::task::yield_now().await;
        self.notes.lock().unwrap().push(line);
    }

    fn notes(&self) -> Vec<String> {
        self.notes.lock().unwrap().clone()
    }

    async fn correlated(&self, ctx: &CallContext, echo: String) -> String {
        tokio::task::yield_now().await;
        format!("{echo} {}", ctx.correlation_id().map_or(0, |id| id.as_u128()))
    }

    fn branch(&self) -> Remote<LibraryInterface> {
        Remote::new(City::default())
    }

    fn name(&self) -> String {
        "city library".into()
    }
}

/// The marker type renamed with `interface = "..."`.
#[pyro::expose(interface = "ClockService")]
pub trait Clock {
    /// Ticks after `ms` milliseconds.
    async fn tick(&self, ms: u64) -> u64;
}

impl Clock for City {
    async fn tick(&self, ms: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }
}

#[test]
fn served_outside_any_daemon() {
    let clock = Served::<City, ClockService>::with_interface(City::default());
    assert_eq!(clock.invoke("tick", CallArgs::new("tick", vec![Value::Int(2)], None), Serializer::Json).unwrap(), b"2");
    let _: fn(&ClockProxy, u64) -> pyro::Result<u64> = ClockProxy::tick;
    let served = Served::<City, LibraryInterface>::with_interface(City::default());
    assert!(served.is_async("fetch") && served.is_async("shelves") && !served.is_async("title"));
    assert!(served.metadata().oneway.contains("note"));
    let reply = served.invoke("fetch", CallArgs::new("fetch", vec![Value::Int(7)], None), Serializer::Json);
    assert_eq!(reply.unwrap(), br#""book 7""#);
    let reply = served.invoke("shelves", CallArgs::new("shelves", vec![], None), Serializer::Json);
    assert_eq!(reply.unwrap(), b"[1, 2, 3]");
    let error = served.invoke("fetch", CallArgs::new("fetch", vec![Value::Int(0)], None), Serializer::Json);
    assert!(error.unwrap_err().to_string().contains("no book 0"));
}

/// Every call shape through the blocking typed proxy.
fn blocking_calls(uri: &str) {
    let library = LibraryProxy::new(uri).unwrap();
    assert_eq!(library.title(3).unwrap(), "book 3");
    assert_eq!(library.fetch(4, None).unwrap(), "book 4");
    let error = library.fetch(0, Some(2)).unwrap_err();
    assert!(error.to_string().contains("no book 0"), "{error}");
    assert_eq!(library.shelves().unwrap(), [1, 2, 3]);
    library.note("blocking".into()).unwrap();
    assert!(pyro_interop::wait_for(|| library.notes().unwrap().contains(&"blocking".to_owned())));
    let mut with_id = LibraryProxy::new(uri).unwrap();
    with_id.proxy_mut().set_correlation_id(Some(pyro::uuid::Uuid::from_u128(5)));
    assert_eq!(with_id.correlated("hi".into()).unwrap(), "hi 5");
    assert_eq!(library.name().unwrap(), "city library");
    let branch: LibraryProxy = library.branch().unwrap();
    assert_eq!(branch.fetch(9, None).unwrap(), "book 9");
    let mut batch = library.batch();
    let (a, b, c) = (batch.fetch(1, None), batch.title(2), batch.fetch(0, None));
    batch.run().unwrap();
    assert_eq!((a.get().unwrap(), b.get().unwrap()), ("book 1".to_owned(), "book 2".to_owned()));
    assert!(c.get().is_err());
}

/// Every call shape through the async typed proxy, with slow async calls overlapping.
async fn async_calls(uri: &str) {
    let library = LibraryProxyAsync::new(uri).unwrap();
    assert_eq!(library.title(3).await.unwrap(), "book 3");
    assert_eq!(library.fetch(4, None).await.unwrap(), "book 4");
    assert!(library.fetch(0, None).await.unwrap_err().to_string().contains("no book 0"));
    assert_eq!(library.shelves().await.unwrap(), [1, 2, 3]);
    library.note("async".into()).await.unwrap();
    let mut seen = false;
    for _ in 0..200 {
        if library.notes().await.unwrap().contains(&"async".to_owned()) {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(seen, "the oneway async call ran");
    let mut with_id = library.clone();
    with_id.proxy_mut().set_correlation_id(Some(pyro::uuid::Uuid::from_u128(7)));
    assert_eq!(with_id.correlated("hey".into()).await.unwrap(), "hey 7");
    assert_eq!(library.name().await.unwrap(), "city library");
    let branch: LibraryProxyAsync = library.branch().await.unwrap();
    assert_eq!(branch.fetch(9, None).await.unwrap(), "book 9");
    let mut batch = library.batch();
    let (a, b) = (batch.fetch(1, None), batch.shelves());
    batch.run().await.unwrap();
    assert_eq!((a.get().unwrap(), b.get().unwrap()), ("book 1".to_owned(), vec![1, 2, 3]));
    // Five 300 ms calls on separate connections overlap on the daemon.
    let started = std::time::Instant::now();
    let calls = (1..=5).map(|id| {
        let proxy = LibraryProxyAsync::new(uri).unwrap();
        tokio::spawn(async move { proxy.fetch(id, Some(300)).await.unwrap() })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap();
    }
    assert!(started.elapsed() < Duration::from_millis(1400), "{:?}", started.elapsed());
}

#[test]
fn the_blocking_daemon_serves_the_async_interface() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register_as::<LibraryInterface, _>(City::default(), Some("library")).unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    blocking_calls(&uri);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async_calls(&uri));
    stop.shutdown();
    server.join().unwrap().unwrap();
}

#[test]
fn a_registered_class_serves_the_async_interface() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon
        .register_class_as::<LibraryInterface, _>(pyro::daemon::InstanceMode::Session, |_| City::default(), Some("lib"))
        .unwrap()
        .to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    let (first, second) = (LibraryProxy::new(&uri).unwrap(), LibraryProxy::new(&uri).unwrap());
    first.note("first".into()).unwrap();
    assert_eq!(first.fetch(2, None).unwrap(), "book 2");
    assert!(pyro_interop::wait_for(|| first.notes().unwrap() == ["first"]));
    // One instance per connection (session): the second proxy's object has no notes.
    assert_eq!(second.fetch(3, None).unwrap(), "book 3");
    assert!(second.notes().unwrap().is_empty());
    stop.shutdown();
    server.join().unwrap().unwrap();
}

#[test]
fn the_async_daemon_serves_the_async_interface() {
    let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register_as::<LibraryInterface, _>(City::default(), Some("library")).unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(daemon.serve())
    });
    blocking_calls(&uri);
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async_calls(&uri));
    stop.shutdown();
    server.join().unwrap().unwrap();
}

const PYTHON_CLIENT: &str = r#"
import json, sys, time
import Pyro5.api, Pyro5.errors
Pyro5.config.SERIALIZER = sys.argv[2]
lib = Pyro5.api.Proxy(sys.argv[1])
out = {"title": lib.title(5), "fetch": lib.fetch(6), "fetch_kw": lib.fetch(id=8, delay_ms=5), "shelves": lib.shelves()}
# (Pyro5's marshal serializer cannot send the `__getattr__` call of a property: its kwargs are None.)
if sys.argv[2] != "marshal":
    out["name"] = lib.name
try:
    lib.fetch(0)
except Exception as x:
    out["error"] = [type(x).__name__, str(x)]
lib.note("from python")
for _ in range(200):
    if "from python" in lib.notes():
        break
    time.sleep(0.02)
out["notes"] = lib.notes()
# marshal has no autoproxy (as in Pyro5): returning an object by reference is a SerializeError.
try:
    out["branch"] = lib.branch().fetch(2)
except Pyro5.errors.SerializeError as x:
    out["branch"] = "SerializeError"
print(json.dumps(out))
"#;

fn python_calls(uri: &str) {
    for serializer in ["serpent", "marshal", "json", "msgpack"] {
        let out = pyro_interop::python().command().args(["-c", PYTHON_CLIENT, uri, serializer]).output().unwrap();
        assert!(out.status.success(), "{serializer}: {}", String::from_utf8_lossy(&out.stderr));
        let out: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out["title"], "book 5", "{serializer}: {out}");
        assert_eq!(out["fetch"], "book 6", "{serializer}: {out}");
        assert_eq!(out["fetch_kw"], "book 8", "{serializer}: {out}");
        assert_eq!(out["shelves"], serde_json::json!([1, 2, 3]), "{serializer}: {out}");
        if serializer != "marshal" {
            assert_eq!(out["name"], "city library", "{serializer}: {out}");
        }
        assert_eq!(out["error"], serde_json::json!(["RuntimeError", "no book 0"]), "{serializer}: {out}");
        assert!(out["notes"].as_array().unwrap().contains(&serde_json::json!("from python")), "{out}");
        let branch = if serializer == "marshal" { "SerializeError" } else { "book 2" };
        assert_eq!(out["branch"], branch, "{serializer}: {out}");
    }
}

#[test]
fn a_python_client_calls_the_async_interface_on_both_daemons() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register_as::<LibraryInterface, _>(City::default(), Some("library")).unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    python_calls(&uri);
    stop.shutdown();
    server.join().unwrap().unwrap();

    let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register_as::<LibraryInterface, _>(City::default(), Some("library")).unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(daemon.serve())
    });
    python_calls(&uri);
    stop.shutdown();
    server.join().unwrap().unwrap();
}
