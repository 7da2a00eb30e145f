//! The async proxy (`pyro::aio::Proxy`) against a real Python Pyro5 5.17 daemon: calls, keyword
//! arguments, oneway calls, batches, item streams, exceptions and attributes over every
//! serializer; serializer negotiation with a Pyro5 without msgpack; cancellation at any point;
//! many tasks sharing one proxy.

#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::future::poll_fn;
use std::pin::pin;
use std::time::{Duration, Instant};

use pyro_interop::PythonServer;
use pyro_runtime::aio::Proxy;
use pyro_runtime::futures_core::Stream;
use pyro_runtime::serializer::Serializer;
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Error, Uri};

const SERVER: &str = r#"
import threading, time
from Pyro5.api import Daemon, expose, oneway, current_context

@expose
class Thing:
    def __init__(self):
        self._lock = threading.Lock()
        self._notes = []
        self._count = 0

    def add(self, a, b):
        return a + b

    def greet(self, name, polite=False):
        return ("Good day, " if polite else "hi ") + name

    def fail(self, message):
        raise ValueError(message, 42)

    @oneway
    def notify(self, event):
        with self._lock:
            self._notes.append(event)

    def notes(self):
        with self._lock:
            return list(self._notes)

    def slow(self, seconds):
        time.sleep(seconds)
        return "slept"

    def big(self, n):
        return "x" * n

    def numbers(self, n):
        for i in range(n):
            yield i
        if n == 3:
            raise ValueError("no more")

    def annotations(self):
        current_context.response_annotations = {"RESP": b"back"}
        seen = {k: bytes(v).decode() for k, v in current_context.annotations.items() if k != "CORR"}
        return [seen, str(current_context.correlation_id)]

    def open_streams(self):
        return len(daemon.streaming_responses)

    @property
    def count(self):
        return self._count

    @count.setter
    def count(self, value):
        self._count = value

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Thing(), "thing"), flush=True)
daemon.requestLoop()
"#;

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

fn start() -> (PythonServer, Uri) {
    let server = PythonServer::start(pyro_interop::python(), SERVER);
    let uri = server.uri().parse().unwrap();
    (server, uri)
}

fn proxy(uri: &Uri, serializer: Serializer) -> Proxy {
    Proxy::new(uri.clone()).with_serializer(serializer).with_timeout(Some(Duration::from_secs(20)))
}

/// The next item of a stream.
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_oneway_exceptions_and_attributes() {
    let (_server, uri) = start();
    for ser in SERIALIZERS {
        let proxy = proxy(&uri, ser);
        assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).await.unwrap(), 3, "{ser}");
        assert_eq!(proxy.call::<_, String>("greet", &("bob",)).await.unwrap(), "hi bob");
        let kwargs: Dict = [("polite", Value::Bool(true))].into_iter().collect();
        let polite: String = proxy.call_with_kwargs("greet", &("bob",), &kwargs).await.unwrap();
        assert_eq!(polite, "Good day, bob");
        let value = proxy.call_value("add", vec![Value::Int(2), Value::Int(3)], Dict::new()).await.unwrap();
        assert_eq!(value, Value::Int(5));
        assert!(proxy.metadata().unwrap().oneway.contains("notify"));
        proxy.call_oneway("notify", &(format!("{ser}-a"),)).await.unwrap();
        let () = proxy.call("notify", &(format!("{ser}-b"),)).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let notes: Vec<String> = proxy.call("notes", &()).await.unwrap();
            if notes.contains(&format!("{ser}-a")) && notes.contains(&format!("{ser}-b")) {
                break;
            }
            assert!(Instant::now() < deadline, "{ser}: {notes:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let err = proxy.call::<_, Value>("fail", &("boom",)).await.unwrap_err();
        let Error::Remote(remote) = &err else { panic!("{ser}: {err:?}") };
        assert_eq!((remote.class.as_str(), remote.message.as_str()), ("builtins.ValueError", "('boom', 42)"));
        assert!(remote.traceback_text().contains("in fail"));
        // Unexposed names fail locally, from the metadata.
        let err = proxy.call::<_, Value>("nope", &()).await.unwrap_err();
        assert_eq!(err.python_class(), "builtins.AttributeError", "{ser}");
        proxy.set_attribute("count", &7).await.unwrap();
        assert_eq!(proxy.get_attribute::<i64>("count").await.unwrap(), 7, "{ser}");
        assert!(proxy.get_attribute::<i64>("nothing").await.is_err());
        proxy.ping().await.unwrap();
        assert_eq!(proxy.open_connections(), 1, "{ser}");
        assert_eq!(proxy.handshake_response(), Some(Value::from("hello")));
        // Raw replies: the payload unread.
        if ser == Serializer::Json {
            let raw = proxy.call_raw("add", &(1, 2), &Dict::new(), false).await.unwrap().unwrap();
            assert_eq!((raw.data.as_slice(), raw.exception), (&b"3"[..], false));
            let raised = proxy.call_raw("fail", &("x",), &Dict::new(), false).await.unwrap().unwrap();
            assert!(raised.exception);
            assert_eq!(proxy.get_attribute_raw("count").await.unwrap().unwrap().data, b"7");
            assert!(proxy.call_raw("numbers", &(2,), &Dict::new(), false).await.is_err());
        }
        // Large replies come whole.
        assert_eq!(proxy.call::<_, String>("big", &(300_000,)).await.unwrap().len(), 300_000);
    }
}

#[tokio::test]
async fn batches_run_and_stop_at_the_first_exception() {
    let (_server, uri) = start();
    for ser in SERIALIZERS {
        let proxy = proxy(&uri, ser);
        let mut batch = proxy.batch();
        let sum = batch.call_with::<_, i64>("add", &(1, 2));
        let text = batch.call("greet", vec!["ann".into()], Dict::new());
        // Python's marshal cannot carry the exception of a batch call (Pyro5 fails to
        // serialize it), so that part is for the other serializers.
        let raises = ser != Serializer::Marshal;
        let failed = raises.then(|| batch.call_with::<_, Value>("fail", &("stop",)));
        let skipped = raises.then(|| batch.call_with::<_, i64>("add", &(3, 4)));
        batch.run().await.unwrap();
        assert_eq!(sum.get().unwrap(), 3, "{ser}");
        assert_eq!(text.get().unwrap(), Value::from("hi ann"));
        if let (Some(failed), Some(skipped)) = (failed, skipped) {
            assert_eq!(failed.get().unwrap_err().python_class(), "builtins.ValueError");
            assert!(matches!(skipped.get(), Err(Error::Batch { .. })));
        }
        let mut oneway = proxy.batch();
        let _ = oneway.call_with::<_, ()>("notify", &(format!("{ser}-batch"),));
        oneway.run_oneway().await.unwrap();
        assert!(proxy.batch().is_empty());
        proxy.batch().run().await.unwrap();
    }
}

#[tokio::test]
async fn item_streams_are_streams_and_close_when_dropped() {
    let (_server, uri) = start();
    for ser in SERIALIZERS {
        let proxy = proxy(&uri, ser);
        let mut items = pin!(proxy.call_stream::<_, i64>("numbers", &(5,)).await.unwrap());
        let mut got = Vec::new();
        while let Some(item) = next(&mut items).await {
            got.push(item.unwrap());
        }
        assert_eq!(got, [0, 1, 2, 3, 4], "{ser}");
        // The exception that ends a stream is its last item.
        let mut items = Box::pin(proxy.call_stream::<_, i64>("numbers", &(3,)).await.unwrap());
        let mut all = Vec::new();
        while let Some(item) = next(&mut items).await {
            all.push(item);
        }
        assert_eq!(all.len(), 4);
        assert_eq!(all[3].as_ref().unwrap_err().python_class(), "builtins.ValueError");
        // A stream dropped early is closed on the daemon.
        let mut partial = Box::pin(proxy.call_stream::<_, i64>("numbers", &(100,)).await.unwrap());
        assert_eq!(next(&mut partial).await.unwrap().unwrap(), 0);
        assert_eq!(proxy.call::<_, i64>("open_streams", &()).await.unwrap(), 1, "{ser}");
        drop(partial);
        let deadline = Instant::now() + Duration::from_secs(10);
        while proxy.call::<_, i64>("open_streams", &()).await.unwrap() != 0 {
            assert!(Instant::now() < deadline, "{ser}: the stream was not closed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A plain call of a streaming method is an error.
        assert!(proxy.call::<_, Value>("numbers", &(2,)).await.is_err());
        assert!(proxy.call_stream::<_, i64>("add", &(1, 2)).await.is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_calls_leave_the_proxy_usable() {
    let (_server, uri) = start();
    let proxy = proxy(&uri, Serializer::Msgpack).with_max_connections(1);
    proxy.bind().await.unwrap();
    // Dropped while waiting for the reply: the connection is dropped with it.
    let late = tokio::time::timeout(Duration::from_millis(200), proxy.call::<_, String>("slow", &(0.5,))).await;
    assert!(late.is_err());
    assert_eq!(proxy.open_connections(), 0);
    // The next call gets its own reply, not the late one.
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).await.unwrap(), 3);
    // Dropped at every point of a call (before sending, while sending, mid-reply): polled a
    // few times, then dropped, then a normal call.
    for polls in 0..6 {
        let mut call = Box::pin(proxy.call::<_, String>("big", &(2_000_000,)));
        for _ in 0..polls {
            let _ = poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx).is_ready())).await;
            tokio::task::yield_now().await;
        }
        drop(call);
        assert_eq!(proxy.call::<_, i64>("add", &(polls, 1)).await.unwrap(), polls + 1, "after {polls} polls");
    }
    // Dropped while sending a large request.
    let large = "y".repeat(8_000_000);
    for polls in 1..4 {
        let args = (large.as_str(), "z");
        let mut call = Box::pin(proxy.call::<_, String>("add", &args));
        for _ in 0..polls {
            let _ = poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx).is_ready())).await;
        }
        drop(call);
        assert_eq!(proxy.call::<_, i64>("add", &(polls, 2)).await.unwrap(), polls + 2);
    }
    // A timeout of the proxy's own is an error of the call, and the proxy goes on.
    let quick = proxy.clone().with_timeout(Some(Duration::from_millis(100)));
    let err = quick.call::<_, String>("slow", &(0.5,)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(quick.call::<_, i64>("add", &(2, 2)).await.unwrap(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_share_one_proxy() {
    let (_server, uri) = start();
    let proxy = std::sync::Arc::new(proxy(&uri, Serializer::Msgpack));
    let tasks: Vec<_> = (0..16i64)
        .map(|i| {
            let proxy = std::sync::Arc::clone(&proxy);
            tokio::spawn(async move {
                for j in 0..20i64 {
                    assert_eq!(proxy.call::<_, i64>("add", &(i, j)).await.unwrap(), i + j);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert!(proxy.open_connections() <= proxy.max_connections());
}

#[tokio::test]
async fn calls_on_a_connection_the_daemon_closed_are_retried_up_to_max_retries() {
    // A daemon that closes connections idle for 0.3 s (Pyro5's COMMTIMEOUT on the server).
    let script = format!("import Pyro5.api\nPyro5.api.config.COMMTIMEOUT = 0.3\n{SERVER}");
    let server = PythonServer::start(pyro_interop::python(), &script);
    let uri: Uri = server.uri().parse().unwrap();
    let proxy = proxy(&uri, Serializer::Msgpack);
    assert_eq!(proxy.call::<_, i64>("add", &(1, 1)).await.unwrap(), 2);
    tokio::time::sleep(Duration::from_millis(800)).await;
    // MAX_RETRIES 0: the closed connection is the call's error.
    let err = proxy.call::<_, i64>("add", &(1, 1)).await.unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
    let retrying = proxy.clone().with_max_retries(1);
    assert_eq!(retrying.call::<_, i64>("add", &(2, 2)).await.unwrap(), 4);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(retrying.call::<_, i64>("add", &(3, 3)).await.unwrap(), 6);
}

#[tokio::test]
async fn annotations_and_correlation_ids_travel() {
    use pyro_runtime::protocol::{AnnotationId, Annotations};
    let (_server, uri) = start();
    let id = pyro_runtime::uuid::Uuid::new_v4();
    let annotations: Annotations = [(AnnotationId::try_from("XYZZ").unwrap(), b"hi".to_vec())].into_iter().collect();
    let proxy = proxy(&uri, Serializer::Json).with_annotations(annotations).with_correlation_id(Some(id));
    let (seen, correlation): (std::collections::BTreeMap<String, String>, String) =
        proxy.call("annotations", &()).await.unwrap();
    assert_eq!(seen.get("XYZZ").map(String::as_str), Some("hi"));
    assert_eq!(correlation, id.to_string());
    // The reply's annotations are the thread's right after the call.
    let response = pyro_runtime::current_context::response_annotations();
    assert_eq!(response.get(AnnotationId::try_from("RESP").unwrap()), Some(&b"back"[..]));
}

#[tokio::test]
async fn a_pyro5_without_msgpack_is_spoken_to_in_serpent() {
    let server = PythonServer::start(pyro_interop::python_plain(), SERVER);
    let uri: Uri = server.uri().parse().unwrap();
    let proxy = Proxy::new(uri).with_timeout(Some(Duration::from_secs(20)));
    assert_eq!(proxy.call::<_, i64>("add", &(40, 2)).await.unwrap(), 42);
    assert_eq!(proxy.serializer(), Serializer::Serpent);
}

#[tokio::test]
async fn reconnect_and_refused_connections() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = Proxy::new(Uri::pyro("thing", "127.0.0.1", port).unwrap());
    let err = proxy.call::<_, Value>("x", &()).await.unwrap_err();
    assert!(matches!(err, Error::ConnectionRefused { .. }), "{err:?}");
    let err = proxy.reconnect(1).await.unwrap_err();
    assert!(err.to_string().contains("failed to reconnect"), "{err}");
    let (_server, uri) = start();
    let proxy = Proxy::new(uri);
    proxy.reconnect(1).await.unwrap();
    assert_eq!(proxy.open_connections(), 1);
    proxy.release();
    assert_eq!(proxy.open_connections(), 0);
}
